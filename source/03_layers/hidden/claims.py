"""Numbers the prose of 03_layers promises, checked after the source notebook ran top to bottom (never released).

Each claim: `text` is quoted from a markdown cell, `expr` is evaluated in the kernel, and must be `value` ± `tol`.
"""
_SIGMOID_NET = "(lambda r: Net([Linear(64, 32, rng=r), Sigmoid(), Linear(32, 1, rng=r)]))(np.random.default_rng(1))"
_ALL_CHECKS = "list(results.values()) + list(net_results.values())"
_DEEP = "histories['deeper ReLU net']"

CLAIMS = [
    # data
    dict(text="1,797 images, 64 pixels each", expr="X_all.shape[0] * 1000 + X_all.shape[1]", value=1797064, tol=0),
    # activations
    dict(text="The sigmoid's derivative peaks at $0.25$ for $x = 0$",
         expr="float(Sigmoid().backward(np.zeros((1, 1)), np.ones((1, 1)))[0, 0])", value=0.25, tol=1e-12),
    dict(text="For $z = -800$, $\\sigma(z)$ is\nexactly $0$ in float64", expr="float(expit(-800.0))", value=0.0, tol=0.0),
    # gradient checks: course checker below 1e-6, scipy between about 1e-8 and 1e-6
    dict(text="Every gradient check below $10^{-6}$ with the course's checker",
         expr=f"max(c for _, c in {_ALL_CHECKS})", value=5e-7, tol=5e-7),
    dict(text="between about $10^{-8}$ and $10^{-6}$", expr=f"float(np.log10(max(s for s, _ in {_ALL_CHECKS})))",
         value=-7.0, tol=1.0),
    dict(text="between about $10^{-8}$ and $10^{-6}$", expr=f"float(np.log10(min(s for s, _ in {_ALL_CHECKS})))",
         value=-7.5, tol=1.0),
    # training the sigmoid network
    dict(text="the loss starts at\nabout **0.81**", expr="history['train_loss'][0]", value=0.81, tol=0.02),
    dict(text="a logit of about $-1$ for every image ($p \\approx 0.26$)",
         expr=f"float(np.mean({_SIGMOID_NET}.forward(X_train)[0]))", value=-1.0, tol=0.1),
    dict(text="a logit of about $-1$ for every image ($p \\approx 0.26$)",
         expr=f"float(np.std({_SIGMOID_NET}.forward(X_train)[0]))", value=0.25, tol=0.1),
    dict(text="a logit of about $-1$ for every image ($p \\approx 0.26$)",
         expr=f"float(np.mean(expit({_SIGMOID_NET}.forward(X_train)[0])))", value=0.26, tol=0.02),
    dict(text="the test accuracy reaches **at least 95 %**", expr="history['test_acc'][-1]", value=0.975, tol=0.025),
    dict(text="with the training\nloss ending below the test loss",
         expr="float(history['train_loss'][-1] < history['test_loss'][-1])", value=1.0, tol=0.0),
    dict(text="the test accuracy ends at 95-97 %", expr="history['test_acc'][-1]", value=0.96, tol=0.01),
    # the four architectures (what you should see, and the model answers)
    dict(text="about 89-90 % test accuracy, both stuck at a training",
         expr="histories['no hidden non-linearity']['test_acc'][-1]", value=0.895, tol=0.01),
    dict(text="about 89-90 % test accuracy, both stuck at a training",
         expr="histories['logistic regression']['test_acc'][-1]", value=0.895, tol=0.01),
    dict(text="loss around 0.23", expr="histories['no hidden non-linearity']['train_loss'][-1]", value=0.235, tol=0.015),
    dict(text="loss around 0.23", expr="histories['logistic regression']['train_loss'][-1]", value=0.235, tol=0.015),
    dict(text="The deeper ReLU net: 100 % training accuracy", expr=f"{_DEEP}['train_acc'][-1]", value=1.0, tol=0.0),
    dict(text="about 97 % test accuracy, and a test loss", expr=f"{_DEEP}['test_acc'][-1]", value=0.97, tol=0.01),
    dict(text="that rises again after a few epochs", expr=f"float(np.argmin({_DEEP}['test_loss']))", value=3.0, tol=2.0),
    dict(text="that rises again after a few epochs", expr=f"{_DEEP}['test_loss'][-1] / min({_DEEP}['test_loss'])",
         value=1.75, tol=0.5),
    # model answers of the written questions
    dict(text="the sigmoid network reaches about 96 %", expr="histories['sigmoid hidden layer']['test_acc'][-1]",
         value=0.96, tol=0.01),
    dict(text="about 10 %\nof the examples stay on the wrong side",
         expr="1 - histories['logistic regression']['train_acc'][-1]", value=0.10, tol=0.015),
    dict(text="flattens out after a few epochs at about 0.23 with about 91 % training",
         expr="histories['logistic regression']['train_acc'][-1]", value=0.91, tol=0.01),
    dict(text="its test accuracy (about 89 %)", expr="histories['logistic regression']['test_acc'][-1]",
         value=0.89, tol=0.01),
    dict(text="(below 0.05, about 99 %", expr="histories['sigmoid hidden layer']['train_loss'][-1]", value=0.025, tol=0.025),
    dict(text="(below 0.05, about 99 %", expr="histories['sigmoid hidden layer']['train_acc'][-1]", value=0.99, tol=0.01),
    dict(text="about 94-97 % test accuracy after only one or two epochs", expr=f"{_DEEP}['test_acc'][1]",
         value=0.955, tol=0.02),
    dict(text="about 94-97 % test accuracy after only one or two epochs", expr=f"{_DEEP}['test_acc'][2]",
         value=0.955, tol=0.02),
    dict(text="best test accuracy (about 97 %)", expr=f"max({_DEEP}['test_acc'])", value=0.975, tol=0.01),
    dict(text="about 4,200 parameters for 898 training images",
         expr="sum(l.W.size + l.b.size for l in ARCHITECTURES['deeper ReLU net'](np.random.default_rng(0)) if hasattr(l, 'W'))",
         value=4225, tol=0),
    dict(text="about 4,200 parameters for 898 training images", expr="len(X_train)", value=898, tol=0),
]
