"""The visible checks of 03_layers: what its test cells call.

Each check takes the student's class or function, runs it on inputs of its own and raises
:class:`helpers.check.CheckFailure` with a diagnosis when the answer is wrong, e.g.::

    from helpers.checks import layers as checks
    checks.linear_forward(Linear)

The stand-ins (:class:`Affine`, :class:`Square`, :class:`Matmul`, :class:`RecordingNet`) are tiny
layers and a tiny network *unlike* the ones the notebook asks for, so that the tests of ``Net`` and
``fit`` judge those alone, whatever the state of the student's layers.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from helpers import check

__all__ = ["linear_init", "linear_forward", "linear_backward", "linear_step", "sigmoid", "relu", "net_forward",
           "net_backward", "net_step", "fit", "bound_candidates", "estimated_bound", "relu_mistakes", "Affine",
           "Square", "Matmul", "RecordingNet", "fit_data", "snapped", "tag_examples", "example_ids"]


# ------------------------------------------------------------------ shared mechanics (also used by binary_mnist)

def snapped(measured, candidates, within):
    """`measured`, or the candidate nearest to it when that is within a fraction `within` of the candidate.

    A statistic estimated from random draws (the largest |W|, a standard deviation) is snapped to
    the exact value it estimates, the right one or a named wrong one, so that a check can compare it
    with a tight tolerance and diagnose which one it is.

    Returns
    -------
    float
    """
    nearest = min(candidates, key=lambda c: abs(c - measured))
    return float(nearest) if abs(nearest - measured) < within * nearest else measured


def tag_examples(x):
    """Write each example's index / 1000 into column 0 of `x` (in place; small: a harmless feature)."""
    x[:, 0] = np.arange(len(x)) / 1000


def example_ids(x):
    """The indices of the examples in a minibatch `x` of examples tagged by :func:`tag_examples`."""
    return np.round(1000 * x[:, 0]).astype(int)


# ------------------------------------------------------------------ Linear

def bound_candidates(n_in, n_out):
    r"""The usual wrong bounds of a Glorot uniform initialisation, each with its diagnosis.

    Parameters
    ----------
    n_in, n_out : int
        The layer's fan-in and fan-out.

    Returns
    -------
    dict
        {description: bound}; the right bound, :math:`\sqrt{6 / (n_{in} + n_{out})}`, is not among them.
    """
    return {"the bound is sqrt(1 / n_in) (LeCun's standard deviation), not the Glorot bound sqrt(6 / (n_in + n_out))": np.sqrt(1 / n_in),
            "the bound is sqrt(6 / n_in) (fan-in only), not the Glorot bound sqrt(6 / (n_in + n_out))": np.sqrt(6 / n_in),
            "the bound is sqrt(6 / n_out) (fan-out only), not the Glorot bound sqrt(6 / (n_in + n_out))": np.sqrt(6 / n_out),
            "the bound is sqrt(2 / (n_in + n_out)): that is the Glorot *standard deviation*; a uniform U(-a, a) has standard deviation a / sqrt(3), so a = sqrt(6 / (n_in + n_out))": np.sqrt(2 / (n_in + n_out)),
            "the bound is sqrt(1 / (n_in + n_out)): the Glorot bound is sqrt(6 / (n_in + n_out))": np.sqrt(1 / (n_in + n_out)),
            "the bound is sqrt(3 / (n_in + n_out)): the Glorot bound is sqrt(6 / (n_in + n_out))": np.sqrt(3 / (n_in + n_out)),
            "the bound is sqrt(3 / n_in) (LeCun uniform, fan-in only), not the Glorot bound sqrt(6 / (n_in + n_out))": np.sqrt(3 / n_in),
            "the bound is sqrt(2 / n_in), He's standard deviation (fan-in only, for ReLU nets), not the Glorot uniform bound sqrt(6 / (n_in + n_out))": np.sqrt(2 / n_in),
            "the bound is sqrt(2) / n_in: the square root covers only the numerator and the fan is fan-in only; the Glorot uniform bound is sqrt(6 / (n_in + n_out))": np.sqrt(2) / n_in,
            "the bound is sqrt(6) / (n_in + n_out): the square root must cover the whole fraction, sqrt(6 / (n_in + n_out))": np.sqrt(6) / (n_in + n_out),
            "the bound is 6 / (n_in + n_out): the square root is missing, the Glorot bound is sqrt(6 / (n_in + n_out))": 6 / (n_in + n_out),
            "the bound is sqrt(6 / (n_in * n_out)): the fans are added, not multiplied, sqrt(6 / (n_in + n_out))": np.sqrt(6 / (n_in * n_out))}


def estimated_bound(W, n_in, n_out):
    r"""The bound a of a uniform U(-a, a) estimated from its draws W.

    The estimate is :math:`\max |W|`, snapped to :math:`\sqrt{6 / (n_{in} + n_{out})}` or to one of
    :func:`bound_candidates` when within 1 % of it (with many draws the largest one is that close).

    Returns
    -------
    float
    """
    candidates = [np.sqrt(6 / (n_in + n_out))] + list(bound_candidates(n_in, n_out).values())
    return snapped(float(np.max(np.abs(W))), candidates, within=0.01)


def _check_glorot(layer, n_in, n_out):
    """Shapes, zero bias and gradients, a uniform symmetric W; returns the estimated bound of W."""
    W = check.as_checked_array(layer.W, "W")
    check.assert_true(W.shape == (n_in, n_out),
                      f"Linear({n_in}, {n_out}).W has shape {W.shape}; expected (n_in, n_out) = ({n_in}, {n_out}).")
    check.assert_close(layer.b, np.zeros(n_out), f"Linear({n_in}, {n_out}).b (zeros of shape (n_out,))")
    check.assert_close(layer.dW, np.zeros((n_in, n_out)), f"Linear({n_in}, {n_out}).dW before any backward")
    check.assert_close(layer.db, np.zeros(n_out), f"Linear({n_in}, {n_out}).db before any backward")
    top = float(np.max(np.abs(W)))
    above_half = float(np.mean(np.abs(W) > top / 2))
    check.assert_true(abs(above_half - 0.5) < 0.03,
                      f"W does not look uniform: for U(-a, a) about half of the |W| exceed a / 2, yours {above_half:.1%}. "
                      f"Draw with rng.uniform(-a, a, size=(n_in, n_out)) (rng.normal gives a bell curve).")
    check.assert_true(abs(float(np.mean(W))) < 0.03 * top,
                      f"W is not centred on 0 (mean {np.mean(W):.3g}, max |W| {top:.3g}): draw from U(-a, a), not U(0, a).")
    return estimated_bound(W, n_in, n_out)


def linear_init(Linear):
    r"""Check ``Linear(n_in, n_out, rng)``: Glorot uniform W, zero b, dW and db, drawn from `rng`.

    .. math:: W_{ij} \sim U(-a, a), \quad a = \sqrt{6 / (n_{in} + n_{out})}, \qquad b = 0

    On a 300 x 100 layer (30,000 draws: the largest :math:`|W|` is within 0.1 % of a): the shapes,
    zeros, that W looks uniform (about half of the :math:`|W|` above a / 2) and centred, the bound
    (diagnosed among :func:`bound_candidates`), and that the same seed gives the same W and another
    seed another W.
    """
    n_in, n_out = 300, 100
    layer = check.call(Linear, n_in, n_out, rng=np.random.default_rng(0))
    bound = _check_glorot(layer, n_in, n_out)
    check.assert_close(bound, np.sqrt(6 / (n_in + n_out)), f"the bound a of W for Linear({n_in}, {n_out}) (largest |W| of {n_in * n_out} draws)",
                       tol=1e-3, mistakes=bound_candidates(n_in, n_out))
    same = check.call(Linear, 5, 3, rng=np.random.default_rng(7)).W
    again = check.call(Linear, 5, 3, rng=np.random.default_rng(7)).W
    other = check.call(Linear, 5, 3, rng=np.random.default_rng(8)).W
    check.assert_true(bool(np.array_equal(same, again)) and not np.array_equal(same, other),
                      "W must be drawn from the rng you are given (same seed, same W; another seed, another W); "
                      "don't use the global np.random.")
    print(f"Linear's initialisation is correct: W uniform on [-{bound:.4f}, {bound:.4f}], b = 0")


def _linear_with(Linear, W, b, dW=None, db=None):
    """A ``Linear`` of W's shape whose parameters (and stored gradients) are set to known copies."""
    layer = check.call(Linear, *W.shape, rng=np.random.default_rng(0))
    layer.W, layer.b = W.copy(), b.copy()       # known parameters instead of the random ones
    if dW is not None:
        layer.dW, layer.db = dW.copy(), db.copy()
    return layer


def linear_forward(Linear):
    r"""Check ``Linear.forward(x) = x @ W + b`` on a batch of 5, with a non-square 4 x 3 W.

    .. math:: y = x W + b, \qquad x \in \mathbb R^{N \times D_{in}},\ y \in \mathbb R^{N \times D_{out}}
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4))
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    y = check.call(_linear_with(Linear, W, b).forward, x)
    check.assert_close(y, x @ W + b, "Linear.forward(x)",
                       mistakes={"the bias b was not added": x @ W, "the bias was subtracted": x @ W - b})
    print("Linear.forward is correct")


def linear_backward(Linear):
    r"""Check ``Linear.backward(x, dy)``: dx returned, dW and db stored, W and b unchanged.

    Each gradient is compared with central differences of :math:`L = \sum (x W + b) \odot dy`
    (:func:`helpers.check.numerical_gradient`), with N, D_in, D_out = 5, 4, 3 all different so that
    a transpose cannot hide; diagnosed: dW off by the batch size, db reduced over the wrong axis or
    averaged.
    """
    rng = np.random.default_rng(2)
    N, D_in, D_out = 5, 4, 3
    x, dy = rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))
    W, b = rng.standard_normal((D_in, D_out)), rng.standard_normal(D_out)
    layer = _linear_with(Linear, W, b)
    dx = check.call(layer.backward, x, dy)
    check.assert_true(bool(np.array_equal(layer.W, W) and np.array_equal(layer.b, b)),
                      "Linear.backward changed W or b: backward only computes gradients; the gradient descent "
                      "step belongs in step(lr), which the training loop calls after backward.")
    # the layer as a function of each of its inputs, differentiated numerically: y = x W + b
    check.assert_gradient_matches(lambda x_: x_ @ W + b, x, dx, "dx", dout=dy)
    check.assert_gradient_matches(lambda W_: x @ W_ + b, W, layer.dW, "dW", dout=dy, batch_size=N)
    db_numerical = check.numerical_gradient(lambda b_: x @ W + b_, b, dout=dy)
    check.assert_close(layer.db, db_numerical, "db", reduced_from=dy, axis=0)
    print("Linear.backward is correct: dx, dW and db match central differences")


def linear_step(Linear):
    r"""Check ``Linear.step(lr)``: one gradient descent step with the stored gradients.

    .. math:: W \leftarrow W - \mathrm{lr}\, dW, \qquad b \leftarrow b - \mathrm{lr}\, db
    """
    rng = np.random.default_rng(3)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    dW, db = rng.standard_normal((4, 3)), rng.standard_normal(3)
    layer = _linear_with(Linear, W, b, dW, db)
    check.call(layer.step, 0.1)
    check.assert_close(layer.W, W - 0.1 * dW, "W after step(0.1)",
                       mistakes={"W moved up the gradient (W + lr * dW): gradient descent subtracts": W + 0.1 * dW,
                                 "the learning rate was not used (W - dW)": W - dW,
                                 "W was not updated": W})
    check.assert_close(layer.b, b - 0.1 * db, "b after step(0.1)",
                       mistakes={"b moved up the gradient (b + lr * db): gradient descent subtracts": b + 0.1 * db,
                                 "b was not updated": b})
    print("Linear.step is correct")


# ------------------------------------------------------------------ activations

def sigmoid(Sigmoid):
    r"""Check ``Sigmoid``: forward against scipy's ``expit``, without overflow, and its backward.

    Forward on random inputs and at x = +-1000, +-40, 0, -745 (no numpy warning allowed: a formula
    with ``np.exp(-x)`` anywhere overflows, even inside ``np.where``); backward against central
    differences of expit,

    .. math:: \frac{\partial L}{\partial x} = dy \odot \sigma(x) (1 - \sigma(x)),

    diagnosing the derivative taken at the output, the input used as the output, and dy left out.
    """
    rng = np.random.default_rng(4)
    x = 3 * rng.standard_normal((4, 3))
    layer = Sigmoid()
    check.assert_close(check.call(layer.forward, x), expit(x), "Sigmoid.forward(x)",
                       mistakes={"the sign of the exponent is flipped: that is sigma(-x) = 1 - sigma(x)": expit(-x)})
    x_extreme = np.array([[-1000.0, -40.0, 0.0], [40.0, 1000.0, -745.0]])
    s_extreme = check.call(layer.forward, x_extreme)
    check.assert_true(not check.last_warnings,
                      f"Sigmoid.forward overflowed on x = {x_extreme.ravel().tolist()} (numpy said: {'; '.join(check.last_warnings)}): "
                      f"np.exp(-x) is inf for x = -1000; np.where evaluates BOTH branches, so a formula with np.exp(-x) "
                      f"anywhere overflows; use e = np.exp(-np.abs(x)) and choose between 1/(1+e) and e/(1+e).")
    check.assert_close(s_extreme, expit(x_extreme), "Sigmoid.forward at extreme values")
    dy = rng.standard_normal((4, 3))
    dx = check.call(layer.backward, x, dy)
    s = expit(x)
    check.assert_gradient_matches(expit, x, dx, "Sigmoid.backward(x, dy)", dout=dy,
                                  mistakes={"sigma' was applied to the output (sigma(s) * (1 - sigma(s)) with s = sigma(x)); "
                                            "the derivative is s * (1 - s) with s = sigma(x)": dy * expit(s) * (1 - expit(s)),
                                            "the input x was used as if it were the output (x * (1 - x)); "
                                            "backward receives the input x: compute s = sigma(x) first": dy * x * (1 - x),
                                            "dy was not multiplied in (the chain rule)": s * (1 - s)})
    print("Sigmoid is correct")


def relu_mistakes(x, dy):
    """The usual wrong ``ReLU.backward(x, dy)``, each with its diagnosis: {description: wrong dx}."""
    return {"the derivative at exactly x = 0 was taken as 1 (x >= 0); the course takes it as 0: use x > 0": dy * (x >= 0),
            "dy was multiplied by sign(x): negative inputs must give 0, not -dy": dy * np.sign(x),
            "ReLU was applied to dy instead of masking it with x > 0": np.maximum(dy, 0),
            "dy was multiplied by x (or by max(x, 0)) instead of by 1[x > 0]": dy * np.maximum(x, 0)}


def relu(ReLU):
    r"""Check ``ReLU``: forward max(x, 0), backward with derivative 0 at exactly x = 0.

    .. math:: \mathrm{ReLU}(x) = \max(x, 0), \qquad \frac{\partial L}{\partial x} = dy \odot \mathbb 1[x > 0]

    The input holds exact zeros; the expected dx is ``dy * np.heaviside(x, 0)`` (numpy's step
    function, 0 at 0); wrong answers are diagnosed among :func:`relu_mistakes`.
    """
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5
    x[0, :2] = 0.0                                  # exact zeros: the derivative there is 0
    layer = ReLU()
    check.assert_close(check.call(layer.forward, x), np.where(x > 0, x, 0.0), "ReLU.forward(x)",
                       mistakes={"the negative part was kept instead of the positive part": np.minimum(x, 0)})
    dy = rng.standard_normal((4, 5))
    check.assert_close(check.call(layer.backward, x, dy), dy * np.heaviside(x, 0.0), "ReLU.backward(x, dy)",
                       mistakes=relu_mistakes(x, dy))
    print("ReLU is correct")


# ------------------------------------------------------------------ Net: stand-in layers

class Affine:
    """Stand-in layer y = x * a + c (elementwise, a and c of shape (D,)), logging its calls in `log`.

    ``backward`` stores ``da``, the gradient of its scale: what the layer was given to work with.
    """
    def __init__(self, name, a, c, log):
        self.name, self.a, self.c, self.log = name, np.asarray(a, float), np.asarray(c, float), log

    def forward(self, x):
        self.log.append(("forward", self.name))
        return x * self.a + self.c

    def backward(self, x, dy):
        self.log.append(("backward", self.name))
        self.da = (x * dy).sum(axis=0)
        return dy * self.a

    def step(self, lr):
        self.log.append(("step", self.name, lr))

    def __repr__(self):
        return f"Affine({self.name})"


class Square:
    """Stand-in layer y = x ** 2, logging its calls in `log`."""
    def __init__(self, name, log):
        self.name, self.log = name, log

    def forward(self, x):
        self.log.append(("forward", self.name))
        return x ** 2

    def backward(self, x, dy):
        self.log.append(("backward", self.name))
        return 2 * x * dy

    def step(self, lr):
        self.log.append(("step", self.name, lr))

    def __repr__(self):
        return f"Square({self.name})"


class Matmul:
    """Stand-in layer y = x @ M (M non-square: changes the width); step(lr) subtracts lr from M."""
    def __init__(self, M):
        self.M = M

    def forward(self, x):
        return x @ self.M

    def backward(self, x, dy):
        return dy @ self.M.T

    def step(self, lr):
        self.M = self.M - lr

    def __repr__(self):
        return f"Matmul{self.M.shape}"


def _standin_net_parts(seed, N=5, D=3):
    """A log, three stand-in layers A -> S -> B, an input x (N, D) and its hand-computed trace and output."""
    rng = np.random.default_rng(seed)
    log = []
    a1, c1, a2, c2 = rng.uniform(0.5, 2, D), rng.standard_normal(D), rng.uniform(0.5, 2, D), rng.standard_normal(D)
    layers = [Affine("A", a1, c1, log), Square("S", log), Affine("B", a2, c2, log)]
    x = rng.standard_normal((N, D))
    h1 = x * a1 + c1
    h2 = h1 ** 2
    return log, layers, x, [x, h1, h2], h2 * a2 + c2


# ------------------------------------------------------------------ Net

def net_forward(Net):
    r"""Check ``Net.forward(x)`` on stand-in layers A -> S -> B (:class:`Affine`, :class:`Square`).

    Each layer's forward must be called once, first to last, and nothing else; the output and the
    trace are compared with the hand-computed :math:`a_0 = x,\ a_{i+1} = f_i(a_i)`: ``trace[i]`` is
    the *input* of ``layers[i]`` (diagnosed: the output stored instead).
    """
    log, layers, x, trace_expected, out_expected = _standin_net_parts(seed=7)
    out, trace = check.call(Net(layers).forward, x)
    check.assert_true([e for e in log if e[0] != "forward"] == [],
                      f"Net.forward must only call forward of the layers; it called {[e for e in log if e[0] != 'forward']}.")
    check.assert_true([e[1] for e in log] == ["A", "S", "B"],
                      f"Net.forward must call each layer's forward once, first to last; the calls were {[e[1] for e in log]}.")
    check.assert_close(out, out_expected, "the output of Net.forward")
    check.assert_true(type(trace) is list and len(trace) == 3,
                      f"the trace must be a list with one entry per layer (3 here), got {type(trace).__name__} "
                      f"of length {len(trace) if hasattr(trace, '__len__') else '?'}.")
    outputs = trace_expected[1:] + [out_expected]
    for i in range(3):
        check.assert_close(trace[i], trace_expected[i], f"trace[{i}] (the input of layers[{i}])",
                           mistakes={f"trace[{i}] is the OUTPUT of layers[{i}]: store each layer's input, before calling it": outputs[i]})
    print("Net.forward is correct")


def net_backward(Net):
    r"""Check ``Net.backward(trace, dy)`` on stand-in layers A -> S -> B with a hand-computed trace.

    No step may be taken; the layers' backward must be called last to first, each once; dx is
    compared with the chain rule by hand,

    .. math:: \frac{\partial L}{\partial h_2} = dy \odot a_2, \quad
              \frac{\partial L}{\partial h_1} = 2 h_1 \odot \frac{\partial L}{\partial h_2}, \quad
              \frac{\partial L}{\partial x} = a_1 \odot \frac{\partial L}{\partial h_1},

    (diagnosed: outputs given instead of inputs, an off-by-one in the trace index), and so is what
    the first layer received.
    """
    log, layers, x, trace, out = _standin_net_parts(seed=8)
    A, S, B = layers
    dy = np.random.default_rng(9).standard_normal(out.shape)
    dx = check.call(Net(layers).backward, trace, dy)
    steps = [e for e in log if e[0] == "step"]
    check.assert_true(not steps, f"Net.backward called step(): {steps}. Computing gradients and taking a gradient "
                                 f"descent step are separate: the training loop calls net.step(lr) after net.backward.")
    visited = [e[1] for e in log if e[0] == "backward"]
    check.assert_true(visited == ["B", "S", "A"],
                      f"Net.backward must visit the layers from last to first (reversed), each once: expected "
                      f"['B', 'S', 'A'], yours called backward of {visited}.")
    dx_expected = 2 * trace[1] * (dy * B.a) * A.a
    check.assert_close(dx, dx_expected, "dx returned by Net.backward",
                       mistakes={"the layers received their outputs instead of their inputs (trace[i] is the input of layers[i])":
                                 2 * trace[2] * (dy * B.a) * A.a,
                                 "each layer got the trace entry of its neighbour (an off-by-one in the trace index)":
                                 2 * trace[0] * (dy * B.a) * A.a})
    check.assert_close(A.da, (trace[0] * (2 * trace[1] * dy * B.a)).sum(axis=0),
                       "the gradient stored by the first layer (what Net.backward passed on to it)")
    print("Net.backward is correct")


def net_step(Net):
    """Check ``Net.step(lr)``: step(lr) of each of 3 stand-in layers called exactly once, nothing else."""
    log, layers, x, trace, out = _standin_net_parts(seed=10)
    check.call(Net(layers).step, 0.25)
    check.assert_true(sorted(log) == sorted([("step", "A", 0.25), ("step", "S", 0.25), ("step", "B", 0.25)]),
                      f"Net.step(0.25) must call step(0.25) of each of the 3 layers once; the calls were {log}.")
    print("Net.step is correct")


# ------------------------------------------------------------------ fit

class RecordingNet:
    """Stand-in for a Net: logistic regression z = x @ w + c that records what fit does with it.

    Column 0 of x holds each example's index / 1000 (:func:`tag_examples`), so the minibatches that
    reach backward can be identified: ``calls`` lists ``("backward", example indices)`` and
    ``("step", lr)`` in the order of the calls.
    """
    def __init__(self, D):
        self.w, self.c, self.calls = np.zeros((D, 1)), np.zeros(1), []
        self.dw, self.dc = np.zeros((D, 1)), np.zeros(1)

    def forward(self, x):
        return x @ self.w + self.c, [x]

    def backward(self, trace, dz):
        x = trace[0]
        self.calls.append(("backward", example_ids(x)))
        self.dw, self.dc = x.T @ dz, dz.sum(axis=0)
        return dz @ self.w.T

    def step(self, lr):
        self.calls.append(("step", lr))
        self.w = self.w - lr * self.dw
        self.c = self.c - lr * self.dc

    def __repr__(self):
        return f"RecordingNet({len(self.w)} inputs, {len(self.calls)} calls)"


def fit_data(seed, N, M, D=3):
    """A small binary data set for :class:`RecordingNet`: (x (N, D), y (N,), x_test (M, D), y_test (M,)).

    Column 0 of x is the example's index / 1000 (:func:`tag_examples`).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    tag_examples(x)
    y = (x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
    x_test = rng.standard_normal((M, D))
    return x, y, x_test, (x_test[:, 1] > 0).astype(np.int64)


def _check_fit_calls(net, N, mb_size, epochs, lr):
    """The sequence of backward/step calls of one fit: minibatches, shuffling, coverage, steps."""
    kinds = [c[0] for c in net.calls]
    n_batches = -(-N // mb_size)
    batches = [c[1] for c in net.calls if c[0] == "backward"]
    seen = sum(len(b) for b in batches)
    missing_last = epochs * (N - N % mb_size)
    check.assert_true(seen == epochs * N,
                      f"over {epochs} epochs net.backward saw {seen} examples; expected epochs * N = {epochs * N}."
                      + (f" The last partial minibatch is missing (N = {N}, mb_size = {mb_size}: each epoch has "
                         f"{n_batches} minibatches, the last with {N % mb_size} examples); range(0, N, mb_size) "
                         f"gives the start of every minibatch, including the last."
                         if N % mb_size and seen == missing_last else ""))
    check.assert_true(kinds == ["backward", "step"] * (epochs * n_batches),
                      f"fit must call net.backward(trace, dz) and then net.step(learning_rate) once per minibatch "
                      f"({n_batches} minibatches per epoch for N = {N}, mb_size = {mb_size}); the calls were "
                      f"{kinds[:8]}{' ...' if len(kinds) > 8 else ''}")
    steps = [c[1] for c in net.calls if c[0] == "step"]
    check.assert_true(all(s == lr for s in steps), f"net.step must get the learning rate {lr}; it got {sorted(set(steps))}.")
    sizes = [len(b) for b in batches[:n_batches]]
    expected_sizes = [mb_size] * (N // mb_size) + ([N % mb_size] if N % mb_size else [])
    check.assert_true(sizes == expected_sizes, f"the minibatch sizes of an epoch must be {expected_sizes}; yours {sizes}.")
    epochs_order = [np.concatenate(batches[e * n_batches:(e + 1) * n_batches]) for e in range(epochs)]
    for e, o in enumerate(epochs_order):
        check.assert_true(bool(np.array_equal(np.sort(o), np.arange(N))),
                          f"epoch {e + 1} did not use every example exactly once: an epoch is one pass over a permutation of 0..N-1.")
    check.assert_true(not any(np.array_equal(o, np.arange(N)) for o in epochs_order),
                      "fit never shuffles: an epoch presented the examples in their stored order 0, 1, 2, ...; "
                      "draw order = rng.permutation(N) at the start of every epoch.")
    check.assert_true(not all(np.array_equal(o, epochs_order[0]) for o in epochs_order),
                      "every epoch used the same order: the data was shuffled once; draw a new "
                      "order = rng.permutation(N) at the start of every epoch.")


def _check_fit_history(history, epochs, final):
    """fit's history: its keys, one entry per epoch plus one, log 2 before training, the final metrics.

    `final` is {split: (loss, accuracy)} of the trained net, as the notebook's ``evaluate`` gives them.
    """
    check.assert_true(isinstance(history, dict) and set(history) == {"train_loss", "train_acc", "test_loss", "test_acc"},
                      f"fit must return a dict with keys train_loss, train_acc, test_loss, test_acc; got "
                      f"{sorted(history) if isinstance(history, dict) else type(history).__name__}.")
    for key in history:
        check.assert_true(len(history[key]) == epochs + 1,
                          f"history[{key!r}] has {len(history[key])} entries; expected epochs + 1 = {epochs + 1} "
                          f"(one before training, one after each epoch).")
    check.assert_close(np.asarray(history["train_loss"][0], dtype=float), np.log(2),
                       "history['train_loss'][0] (before training, with w = 0 the loss is log 2)")
    for split in ("train", "test"):
        check.assert_close(np.asarray(history[f"{split}_loss"][-1], dtype=float), final[split][0],
                           f"history['{split}_loss'][-1] (the loss after the last epoch)")
        check.assert_close(np.asarray(history[f"{split}_acc"][-1], dtype=float), final[split][1],
                           f"history['{split}_acc'][-1] (the accuracy after the last epoch)")


def fit(fit, evaluate):
    r"""Check ``fit`` with a :class:`RecordingNet` on N = 23 examples, mb_size = 5, 3 epochs.

    23 = 4 * 5 + 3: each epoch has :math:`\lceil N / \mathrm{mb\_size} \rceil = 5` minibatches, the
    last of 3 examples. Checked: ``net.backward`` then ``net.step(learning_rate)`` once per minibatch,
    every example once per epoch, a new order every epoch; the history's keys and lengths
    (epochs + 1), its first loss :math:`\log 2` (w = 0), and its last entries against
    ``evaluate(net, x, y)`` of the trained net; without x_test, only the train keys.

    Parameters
    ----------
    fit : callable
        The student's ``fit(net, x, y, epochs, learning_rate, mb_size, x_test, y_test, rng)``.
    evaluate : callable
        The notebook's ``evaluate(net, x, y) -> (loss, accuracy)``.
    """
    N, mb_size, epochs, lr = 23, 5, 3, 0.1
    x_fit, y_fit, x_fit_test, y_fit_test = fit_data(0, N, 7)
    net = RecordingNet(3)
    history = check.call(fit, net, x_fit, y_fit, epochs, lr, mb_size, x_test=x_fit_test, y_test=y_fit_test,
                         rng=np.random.default_rng(0))
    _check_fit_calls(net, N, mb_size, epochs, lr)
    _check_fit_history(history, epochs, {"train": evaluate(net, x_fit, y_fit), "test": evaluate(net, x_fit_test, y_fit_test)})
    history_train_only = check.call(fit, RecordingNet(3), x_fit, y_fit, 1, lr, mb_size)
    check.assert_true(set(history_train_only) == {"train_loss", "train_acc"},
                      f"without x_test, the history has only train_loss and train_acc; got {sorted(history_train_only)}.")
    print("fit is correct")
