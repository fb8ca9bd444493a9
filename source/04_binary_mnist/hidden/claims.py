"""Numbers the prose of 04_binary_mnist promises, checked after the source notebook ran top to bottom (never released).

Each claim: `text` is quoted from a markdown cell, `expr` is evaluated in the kernel, and must be `value` ± `tol`.
"""
CLAIMS = [
    # the data
    dict(text="About half of the images are 9s", expr="float(y_train.mean())", value=0.5, tol=0.02),
    dict(text='says "3" would reach only about 50 %', expr="float(np.mean(y_test == 0))", value=0.5, tol=0.02),
    dict(text="5 epochs over all 12,080 training\nimages", expr="len(X_train)", value=12080, tol=0),
    dict(text="5 epochs over all 12,080 training\nimages", expr="len(history['test_acc'])", value=5, tol=0),
    dict(text="among the 2,019 test digits", expr="len(y_test)", value=2019, tol=0),
    # activations
    dict(text="the derivative of the sigmoid peaks at $s = 0$ with value $1/4$",
         expr="float(sigmoid_activation(np.zeros(1))[1][0])", value=0.25, tol=1e-12),
    dict(text="For $s = 40$, $\\sigma(s)$ rounds to exactly `1.0` in float64", expr="float(1 / (1 + np.exp(-40.0)))",
         value=1.0, tol=0.0),
    # the untrained network
    dict(text="outputs $g \\approx 0.64$ on average", expr="float(np.mean(predict_proba(X_test, weights0, biases0)))",
         value=0.64, tol=0.02),
    dict(text="(it calls almost every image a 9)", expr="float(np.mean(predict_proba(X_test, weights0, biases0) > 0.5))",
         value=0.95, tol=0.05),
    dict(text="Its loss is therefore about **0.80**", expr="loss0", value=0.80, tol=0.02),
    dict(text="a loss of about 0.80 (a bit above", expr="loss0", value=0.80, tol=0.02),
    dict(text="and its accuracy\nabout 50 %, chance", expr="acc0", value=0.5, tol=0.03),
    dict(text="not 0.5) and about 50 % accuracy", expr="acc0", value=0.5, tol=0.03),
    # the backward pass and the gradient check
    dict(text="for the first layer of a 784-20 network and a batch of 1000 that is 125 MB",
         expr="1000 * 784 * 20 * np.dtype(np.float64).itemsize / 1e6", value=125, tol=1),
    dict(text="The relative errors should be around\n$10^{-8}$ or smaller", expr="max(errors.values())", value=5e-8, tol=5e-8),
    dict(text="(all below $10^{-7}$)", expr="max(errors.values())", value=5e-8, tol=5e-8),
    # the deliverable
    dict(text="a batch of 32 images", expr="len(y_batch)", value=32, tol=0),
    dict(text="Expect a loss of about 0.58", expr="batch_loss", value=0.58, tol=0.01),
    # training
    dict(text="The training loss falls within the first epoch",
         expr="float(np.mean(history['train_loss'][steps_per_epoch - 50:steps_per_epoch]) / np.mean(history['train_loss'][:20]))",
         value=0.15, tol=0.15),
    dict(text="the test accuracy is about 97–98 % after one epoch", expr="history['test_acc'][0]", value=0.975, tol=0.01),
    dict(text="ends above\n  **99 %** after 5", expr="history['test_acc'][-1]", value=0.995, tol=0.005),
    dict(text="train it with minibatch SGD to more than 99 % test accuracy", expr="history['test_acc'][-1]",
         value=0.995, tol=0.005),
    dict(text="fewer than 20 mistakes among the 2,019 test digits", expr="len(wrong)", value=9.5, tol=9.5),
]
