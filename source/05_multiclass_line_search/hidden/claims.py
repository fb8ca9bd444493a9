"""Numbers the prose of 05_multiclass_line_search promises, checked after the source notebook ran top to
bottom (tests/harness.py::test_source_notebook_executes_and_keeps_its_promises).

Run times ("roughly 15-25 seconds") are not asserted: they depend on the machine.
"""

CLAIMS = [
    # 2 · Cross-entropy
    dict(text="It is $\\log 10 \\approx 2.30$ when the network\nguesses uniformly",
         expr="cross_entropy(np.full((3, 10), 0.1), np.array([0, 4, 9]))", value=2.302585, tol=1e-6),
    # 3 · the fused loss: the last class of [1000, 0, -1000] underflows to exactly 0
    dict(text="which underflows to\nexactly 0 in floating point",
         expr="float(softmax(np.array([[1000.0, 0.0, -1000.0]]))[0, 2])", value=0.0, tol=0.0),
    # 4 · the gradient check table
    dict(text="The relative errors below should all be\naround 1e-8 or smaller",
         expr="max(check_errors.values())", value=0.0, tol=1e-8),
    # 5 · the deliverable
    dict(text="The loss should be close to $\\log 10 \\approx 2.30$ (it is about 2.5)",
         expr="compute_grad_loss(params_batch, X_batch, y_batch)[1]", value=2.5, tol=0.05),
    # 8 · training on 20,000 digits
    dict(text="The loss starts near $\\log 10 \\approx 2.30$ (about 2.38)",
         expr="runs[FIXED]['train_loss'][0]", value=2.38, tol=0.03),
    dict(text="With the fixed step\nit is still around 1 after 50 iterations",
         expr="runs[FIXED]['train_loss'][-1]", value=1.0, tol=0.15),
    dict(text="(test accuracy about 80 %)", expr="runs[FIXED]['test_acc'][-1]", value=0.80, tol=0.02),
    dict(text="below 0.5 and the test accuracy reaches about 89 %",
         expr="runs['line search']['train_loss'][-1]", value=0.45, tol=0.05),
    dict(text="below 0.5 and the test accuracy reaches about 89 %",
         expr="runs['line search']['test_acc'][-1]", value=0.89, tol=0.015),
    dict(text="settles\non steps of about 2, four times the cautious fixed one",
         expr="float(np.median(steps_by_run['line search'][10:]))", value=2.0, tol=0.25),
    dict(text="needs about two loss evaluations per", expr="float(np.mean(evaluations))", value=2.0, tol=0.3),
    dict(text="The probabilities of the eight digits start flat (about 0.1 each, none above 0.2)",
         expr="float(predict_proba(params0, show_X).max())", value=0.15, tol=0.05),
    # 9 · what you should see
    dict(text="Every gradient of the network matches central differences to about 1e-8",
         expr="max(check_errors.values())", value=0.0, tol=1e-8),
    dict(text="The first loss is about 2.3 ($\\log 10$)", expr="runs[FIXED]['train_loss'][0]", value=2.3, tol=0.1),
    dict(text="below 0.5 and a test accuracy near 90 %", expr="runs['line search']['train_loss'][-1]",
         value=0.45, tol=0.05),
    dict(text="below 0.5 and a test accuracy near 90 %", expr="runs['line search']['test_acc'][-1]",
         value=0.90, tol=0.015),
]
