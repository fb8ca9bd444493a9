"""Numbers the prose of 02_activations_and_gradients promises, checked after the source notebook ran top to
bottom (tests/harness.py::test_source_notebook_executes_and_keeps_its_promises). "About 10^-k" claims
are checked on a log scale: log10 of the value within 0.5 of -k."""

CLAIMS = [
    # 1 · the naive formula overflows
    dict(text=r"$\approx 1.8 \times 10^{308}$", expr="np.finfo(np.float64).max", value=1.8e308, tol=0.01, relative=True),
    dict(text=r"reached at $x \approx 709.8$", expr="np.log(np.finfo(np.float64).max)", value=709.8, tol=0.05),
    # 2 · the stable sigmoid, and the cancellation of 1 - sigma(-x)
    dict(text=r"the true value is" "\n" r"$9.357622968839300 \times 10^{-14}$",
         expr="sigmoid(np.array([-30.0]))[0]", value=9.357622968839300e-14, tol=1e-12, relative=True),
    dict(text=r"$1 - \sigma(30)$ gives $9.348 \times 10^{-14}$, wrong in the third digit",
         expr="1 - sigmoid(np.array([30.0]))[0]", value=9.348e-14, tol=5e-17),
    dict(text=r"`sigmoid(-30)` is $9.357622968839300 \times 10^{-14}$",
         expr="sigmoid(np.array([-30.0]))[0]", value=9.357622968839300e-14, tol=1e-12, relative=True),
    # 3 · sigma'(0)
    dict(text=r"It is $0.25$ at $x = 0$", expr="sigmoid_grad(np.array([0.0]))[0]", value=0.25, tol=1e-12),
    # 4 · numerical gradients
    dict(text=r"the central difference is good to about $10^{-10}$ relative",
         expr="np.log10(check.rel_error(numerical_gradient(lambda v: np.sum(v ** 3), np.array([1.5, -0.5, 2.0])), "
              "3 * np.array([1.5, -0.5, 2.0]) ** 2))", value=-10, tol=0.5),
    dict(text=r"Away from $x = 0$ the two agree to about $10^{-7}$", expr="np.log10(errors['sigmoid'])",
         value=-7, tol=0.5),
    dict(text="is a sum of 241 values", expr="len(x_plot)", value=241, tol=0),
    dict(text="for the sigmoid that sum itself is about 120 (exactly 120.5", expr="np.sum(sigmoid(x_plot))",
         value=120.5, tol=1e-9),
    dict(text=r"divided by $2h$ that is a few", expr="np.sum(sigmoid(x_plot)) * 1e-16 / (2 * 1e-5)", value=6e-10,
         tol=4e-10),
    dict(text=r"($\sigma'(6) \approx 0.0025$)", expr="sigmoid_grad(np.array([6.0]))[0]", value=0.0025, tol=5e-5),
    dict(text=r"\bigr)/2h = 0.5$", expr="at_kink['ReLU'][1]", value=0.5, tol=1e-6),
    dict(text="relative errors are about $10^{-7}$ for the sigmoid", expr="np.log10(errors['sigmoid'])",
         value=-7, tol=0.5),
    dict(text="and $10^{-9}$ for ReLU", expr="np.log10(errors['ReLU'])", value=-9, tol=0.5),
    dict(text="derivative is 0.5 and the symbolic one 0", expr="at_kink['ReLU'][1]", value=0.5, tol=1e-6),
    dict(text="derivative is 0.5 and the symbolic one 0", expr="at_kink['ReLU'][0]", value=0, tol=0),
    # 5 · binary cross-entropy
    dict(text=r"the worst loss per example is $-\log 10^{-7} \approx 16.12$", expr="bce(np.array([0.0]), np.array([1.0]))",
         value=16.12, tol=0.005),
    dict(text="The BCE of one example is $16.118$", expr="bce(np.array([0.0]), np.array([1.0]))", value=16.118, tol=5e-4),
    dict(text="its\n  gradient is finite everywhere",
         expr="float(np.all(np.isfinite([bce_grad(np.array([q]), np.array([t]))[0] for q in p_plot for t in (0.0, 1.0)])))",
         value=1, tol=0),
    dict(text="and negative for $y = 1$",
         expr="float(np.all([bce_grad(np.array([q]), np.array([1.0]))[0] < 0 for q in p_plot]))", value=1, tol=0),
    dict(text=r"(it reaches $\mp 10^7$ at the", expr="bce_grad(np.array([0.0]), np.array([1.0]))[0]", value=-1e7,
         tol=0.01, relative=True),
    dict(text=r"(it reaches $\mp 10^7$ at the", expr="bce_grad(np.array([1.0]), np.array([0.0]))[0]", value=1e7,
         tol=0.01, relative=True),
    dict(text=r"$\partial L/\partial \hat y$ is about $10^{7}$", expr="abs(bce_grad(np.array([0.0]), np.array([1.0]))[0])",
         value=1e7, tol=0.01, relative=True),
    # 6 · the neuron
    dict(text="agree with your numerical gradients to about $10^{-9}$ or better", expr="max(neuron_errors.values())",
         value=5e-10, tol=5e-10),
    dict(text=r"the loss falls from $\log 2 \approx 0.6931$", expr="history['train_loss'][0]", value=0.6931, tol=5e-5),
    dict(text="about $0.30$, the accuracy", expr="history['train_loss'][-1]", value=0.30, tol=0.01),
    dict(text=r"the accuracy reaches about $86\,\%$", expr="history['train_acc'][-1]", value=0.86, tol=0.015),
]
