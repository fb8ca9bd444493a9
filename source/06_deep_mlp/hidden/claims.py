"""Numbers the prose of 06_deep_mlp promises, checked after the source notebook ran top to bottom
(tests/harness.py::test_source_notebook_executes_and_keeps_its_promises).

Run times ("well under a minute", "a few seconds per epoch", "dozens to hundreds of times faster") are not
asserted: they depend on the machine.
"""

_FRESH = ("softmax_cross_entropy(mlp_forward(create_dense_sequential(784, 10, [256, 128], rng=np.random.default_rng(0)),"
          " X_test[:2000])[0], y_test[:2000])[0]")
_RAW_RATIO = ("float(np.ptp(mlp_forward(create_dense_sequential(784, 10, [256, 128], rng=np.random.default_rng(0)), "
              "X_raw[:64])[0]) / np.ptp(mlp_forward(create_dense_sequential(784, 10, [256, 128], "
              "rng=np.random.default_rng(0)), X_train[:64].astype(np.float64))[0]))")

CLAIMS = [
    # the introduction and section 8: 98 % on the full test set
    dict(text="reaches **98 % test accuracy on the full MNIST test set", expr="history['test_acc'][-1]",
         value=0.983, tol=0.003),
    dict(text="## 8. The real thing: 98 % on MNIST", expr="history['test_acc'][-1]", value=0.983, tol=0.003),
    dict(text="The full run reaches **≥ 98 %** test accuracy", expr="history['test_acc'][-1]", value=0.983, tol=0.003),
    # 3b: log K at zero logits
    dict(text="With\nlogits near zero, all $p \\approx 1/K$ and the loss is $\\log K$, $\\log 10 \\approx 2.30$ for digits",
         expr="softmax_cross_entropy(np.zeros((4, 10)), np.arange(4))[0]", value=2.302585, tol=1e-6),
    # what you should see: a fresh network starts near log 10
    dict(text="The loss of a freshly initialised network starts near $\\log 10 \\approx 2.30$", expr=_FRESH,
         value=2.30, tol=0.1),
    # the Jacobian route agrees with the fused gradient
    dict(text="The Jacobian route and the fused $(P - Y)/N$ agree to about $10^{-16}$",
         expr="check.rel_error(fused, via_jacobian)", value=0.0, tol=1e-15),
    # 4: the initialisation experiment
    dict(text="the activations keep the same scale through all six layers (within a\nfactor of 2)",
         expr="max(float(stats[w, 'he'][0].max() / stats[w, 'he'][0].min()) for w in (64, 1024))", value=1.5, tol=0.5),
    dict(text="the gradients of the hidden layers stay within a small factor of each other",
         expr="max(float(stats[w, 'he'][1][:5].max() / stats[w, 'he'][1][:5].min()) for w in (64, 1024))",
         value=1.5, tol=0.5),
    dict(text="$0.57$ for width 64, so the logits come out ten times smaller than the\nfirst layer's output",
         expr="float(stats[64, 'normal'][0][-1] / stats[64, 'normal'][0][0])", value=0.1, tol=0.03),
    dict(text="first layer is about twenty times smaller than with He",
         expr="float(stats[64, 'normal'][1][0] / stats[64, 'he'][1][0])", value=0.05, tol=0.02),
    dict(text="so the logits come out\nabout a hundred times larger than the first layer's output",
         expr="float(stats[1024, 'normal'][0][-1] / stats[1024, 'normal'][0][0])", value=90.0, tol=30.0),
    dict(text="a first-layer\ngradient about a hundred times He's",
         expr="float(stats[1024, 'normal'][1][0] / stats[1024, 'he'][1][0])", value=120.0, tol=50.0),
    # 6: unnormalised inputs
    dict(text="the logits are hundreds of times larger (255 times", expr=_RAW_RATIO, value=255.0, tol=3.0),
    dict(text="The loss explodes to astronomical values (past $10^{12}$)",
         expr="float(np.log10(max(raw_losses)))", value=15.0, tol=3.0),
    dict(text="almost all of the first layer's ReLU units die", expr="float(dead)", value=0.95, tol=0.05),
    dict(text="and the network is stuck near chance (10 %)", expr="float(raw_accuracy)", value=0.10, tol=0.03),
    dict(text="the loss explodes past $10^{12}$ within a few steps", expr="float(np.log10(max(raw_losses)))",
         value=15.0, tol=3.0),
    # 7: cross-entropy versus MSE
    dict(text="cross-entropy ends clearly ahead (a few points of test accuracy after 8 epochs)",
         expr="histories['cross-entropy']['test_acc'][-1] - histories['MSE']['test_acc'][-1]", value=0.035, tol=0.025),
    # 7: weight decay on 1,000 images
    dict(text="a 784-256-128-10 network memorises: training accuracy 100 %",
         expr="wd_histories[0.0]['train_acc'][-1]", value=1.0, tol=0.002),
    dict(text="the test loss stalls\nafter about ten epochs", expr="int(np.argmin(wd_histories[0.0]['test_loss'])) + 1",
         value=10, tol=6),
    dict(text="A little ($\\lambda = 10^{-2}$) lowers the test loss at no cost in\naccuracy",
         expr="wd_histories[0.0]['test_loss'][-1] - wd_histories[0.01]['test_loss'][-1]", value=0.03, tol=0.03),
    dict(text="A little ($\\lambda = 10^{-2}$) lowers the test loss at no cost in\naccuracy",
         expr="wd_histories[0.0]['test_acc'][-1] - wd_histories[0.01]['test_acc'][-1]", value=0.0, tol=0.01),
    dict(text="more shrinks the train/test gap",
         expr="(wd_histories[0.0]['train_acc'][-1] - wd_histories[0.0]['test_acc'][-1]) - "
              "(wd_histories[0.1]['train_acc'][-1] - wd_histories[0.1]['test_acc'][-1])", value=0.04, tol=0.035),
    dict(text="the test accuracy does\nnot rise with it",
         expr="wd_histories[0.0]['test_acc'][-1] - wd_histories[0.1]['test_acc'][-1]", value=0.1, tol=0.1),
]
