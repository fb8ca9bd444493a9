"""The visible checks of 04_binary_mnist: what its test cells call.

Each check takes the student's function, runs it on inputs of its own and raises
:class:`helpers.check.CheckFailure` with a diagnosis when the answer is wrong, e.g.::

    from helpers.checks import binary_mnist as checks
    checks.logistic_loss(logistic_loss)

The tests of ``layer_forward``, ``forward_pass`` and ``backward_pass`` use activations and a tiny
network of their own (tanh, the square), and the test of ``train`` replaces the functions it calls
by :class:`TrainStandIns` (a linear model with the squared error), so that each test judges its
function alone.
"""
from __future__ import annotations

import numpy as np

from helpers import check, isolate
from helpers.checks.layers import example_ids, snapped, tag_examples

__all__ = ["sigmoid_activation", "relu_activation", "logistic_loss", "layer_forward", "create_weight_matrices",
           "create_bias_vectors", "forward_pass", "backward_pass", "fd_grad", "train", "tanh_activation",
           "square_activation", "scale_candidates", "estimated_std", "TrainStandIns", "TrainRun"]


def _described(value) -> str:
    """'list of length 3', or just the type's name when it has no length (for shape messages)."""
    return type(value).__name__ + (f" of length {len(value)}" if hasattr(value, '__len__') else "")


# ------------------------------------------------------------------ activations and loss

def sigmoid_activation(sigmoid_activation):
    r"""Check ``sigmoid_activation(s) -> (out, grad)``: values, derivative, stability, clipping.

    .. math:: \sigma(s) = \frac{1}{1 + e^{-s}} \text{ clipped to } [\varepsilon, 1 - \varepsilon],
              \qquad \sigma'(s) = \sigma(s) (1 - \sigma(s)) \text{ of the clipped output}

    The output against the formula, the derivative against central differences, then
    s = -1000, -40, 40, 1000 with numpy told to raise on overflow: no overflow, outputs strictly
    inside (0, 1), and the derivative computed from the clipped output.
    """
    s = np.array([[-6.0, -1.5], [-0.2, 0.0], [0.7, 3.0], [5.0, 8.0]])       # (4, 2)
    out, grad = check.call(sigmoid_activation, s)
    check.assert_close(out, 1 / (1 + np.exp(-s)), "sigmoid output")
    check.assert_gradient_matches(
        lambda t: sigmoid_activation(t)[0], s, grad, "sigmoid derivative", dout=np.ones_like(s),
        mistakes={"the formula σ(1 − σ) was applied to s itself instead of to the output σ(s)": s * (1 - s),
                  "the derivative returned is σ(s) itself, not σ(s)(1 − σ(s))": 1 / (1 + np.exp(-s))})
    extreme = np.array([[-1000.0], [-40.0], [40.0], [1000.0]])
    overflow = None
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            out_x, grad_x = sigmoid_activation(extreme)
        except FloatingPointError as exc:
            overflow = str(exc)
    check.assert_true(overflow is None,
        f"sigmoid_activation overflowed for s = [-1000, -40, 40, 1000] (numpy: {overflow}). Compute e = np.exp(-np.abs(s)) "
        "and use 1 / (1 + e) for s >= 0 and e / (1 + e) for s < 0. Note that np.where evaluates BOTH branches on every "
        "element, so np.where(s >= 0, 1 / (1 + np.exp(-s)), ...) still overflows.")
    out_x = np.asarray(out_x)
    check.assert_true(np.all(np.isfinite(out_x)) and np.all((out_x > 0) & (out_x < 1)),
        f"sigmoid_activation returned {out_x.ravel()} for s = [-1000, -40, 40, 1000]: an output of exactly 0 or 1 makes "
        "log(g) or log(1 - g) infinite in the loss. Clip the output to [eps, 1 - eps] with np.clip.")
    clipped = np.array([[1e-7], [1e-7], [1 - 1e-7], [1 - 1e-7]])      # sigma(s) clipped to [eps, 1 - eps] at these s
    check.assert_close(np.asarray(grad_x, dtype=float), clipped * (1 - clipped), "sigmoid derivative at s = [-1000, -40, 40, 1000]",
        mistakes={"the derivative was computed from the unclipped output (0 or 4e-18 there): compute grad = out * (1 - out) "
                  "from the clipped out": np.array([[0.0], [np.exp(-40.0)], [0.0], [0.0]])})
    print("sigmoid_activation is correct and stable")


def relu_activation(relu_activation):
    r"""Check ``relu_activation(s) -> (out, grad)``: :math:`\max(s, 0)` and the 0/1 mask :math:`\mathbb 1[s > 0]`.

    The expected mask is ``np.heaviside(s, 0)`` (numpy's step function); the inputs avoid s = 0.
    """
    s = np.array([[-2.0, -0.5, 0.3], [1.5, -3.0, 4.0]])       # (2, 3)
    out, grad = check.call(relu_activation, s)
    check.assert_close(out, np.maximum(s, 0), "ReLU output")
    check.assert_close(grad, np.heaviside(s, 0.0), "ReLU derivative",
        mistakes={"the derivative is 1 for negative inputs too: (out >= 0) is always true, test s > 0": np.ones_like(s),
                  "the derivative returned is the ReLU output max(s, 0), not the 0/1 mask": np.maximum(s, 0)})
    print("relu_activation is correct")


def logistic_loss(logistic_loss):
    r"""Check ``logistic_loss(g, y) -> (loss (N,), dL_dg (N, 1))`` on a batch of 5.

    .. math:: L_n = -\bigl(y_n \log g_n + (1 - y_n) \log(1 - g_n)\bigr)

    No (N, N) broadcast of y (N,) against g (N, 1); the loss against the formula (one value per
    sample); dL/dg against central differences of :math:`\sum_n L_n`, diagnosing a division by N, a
    flipped sign, and the sigmoid output layer's g - y.
    """
    g = np.array([[0.9], [0.2], [0.6], [0.05], [0.7]])       # (5, 1)
    y = np.array([1, 0, 0, 1, 1])                            # (5,)
    loss, dL_dg = check.call(logistic_loss, g, y)
    check.assert_true(np.shape(loss) != (5, 5),
        "loss has shape (5, 5): y of shape (N,) was broadcast against g of shape (N, 1) into an (N, N) matrix. "
        "Reshape y to (N, 1) (y[:, None]) or use g[:, 0] so that both have the same shape.")
    expected = -(y * np.log(g[:, 0]) + (1 - y) * np.log(1 - g[:, 0]))
    check.assert_close(loss, expected, "per-sample loss",
        mistakes={"the loss has the wrong sign (the leading minus is missing)": -expected},
        hint="one value per sample, L_n = -(y_n log g_n + (1 - y_n) log(1 - g_n)), not averaged over the batch")
    numeric = check.numerical_gradient(lambda gg: np.sum(logistic_loss(gg, y)[0]), g)
    check.assert_close(dL_dg, numeric, "dL/dg",
        mistakes={"dL/dg was divided by N: logistic_loss returns per-sample derivatives, the backward pass averages "
                  "over the batch (once)": numeric / 5,
                  "the sign of dL/dg is flipped: it is (g - y) / (g (1 - g)), positive when g > y": -numeric,
                  "dL/dg is missing the 1 / (g (1 - g)) factor: that is dL/ds of the sigmoid output layer, "
                  "but the sigmoid's derivative is applied by the layer, so the loss must return dL/dg": g - y[:, None]})
    print(f"logistic_loss is correct; mean loss on this toy batch: {np.mean(loss):.4f}")


# ------------------------------------------------------------------ layers and the forward pass

def tanh_activation(s):
    '''An activation of the test's own, so that a test does not depend on your sigmoid or ReLU: (tanh(s), 1 - tanh(s)^2).'''
    t = np.tanh(s)
    return t, 1 - t**2


def square_activation(s):
    '''Another activation of the tests' own: (s^2, 2 s).'''
    return s**2, 2 * s


def layer_forward(layer_forward):
    r"""Check ``layer_forward(x, W, b, activation) -> (out, (x, W, grad))`` with :func:`tanh_activation`.

    .. math:: s = x W + b, \qquad \mathrm{out} = \tanh(s), \qquad \mathrm{grad} = 1 - \tanh^2(s)

    diagnosing a missing bias and the derivative taken at the output instead of at s.
    """
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    out, cache = check.call(layer_forward, x, W, b, tanh_activation)
    s = x @ W + b
    check.assert_close(out, np.tanh(s), "layer output", mistakes={"the bias b was not added": np.tanh(x @ W)})
    check.assert_true(isinstance(cache, (tuple, list)) and len(cache) == 3,
        f"cache must be the tuple (x, W, grad); got a {_described(cache)}")
    check.assert_close(cache[0], x, "cache[0] (the layer input x)")
    check.assert_close(cache[1], W, "cache[1] (the weights W)")
    check.assert_close(cache[2], 1 - np.tanh(s)**2, "cache[2] (the activation's derivative at s)",
        mistakes={"the activation's derivative was taken at the layer output instead of at the pre-activation "
                  "s = x @ W + b": 1 - np.tanh(np.tanh(s))**2})
    print("layer_forward is correct")


def scale_candidates(d_in, d_out):
    r"""The usual wrong scales of He initialisation, each with its diagnosis: {description: standard deviation}.

    The right one, :math:`\sqrt{2 / D_{in}}`, is not among them.
    """
    return {"the standard deviation is 1: did you forget to scale the standard normal draws by sqrt(2 / D_in)?": 1.0,
            "the standard deviation is sqrt(2 / D_out) (fan-out): He initialisation uses the fan-in, "
            "D_in = layer_dims[l], sqrt(2 / D_in)": np.sqrt(2 / d_out),
            "the standard deviation is sqrt(2 / (D_in + D_out)) (fan-in + fan-out, as Glorot averages them): He "
            "initialisation uses the fan-in only, sqrt(2 / D_in)": np.sqrt(2 / (d_in + d_out)),
            "the standard deviation is 2 / D_in: the variance was used as the standard deviation; rng.normal takes "
            "the standard deviation, sqrt(2 / D_in)": 2 / d_in,
            "the standard deviation is sqrt(1 / D_in) (LeCun): He initialisation for ReLU has the factor 2, "
            "sqrt(2 / D_in)": np.sqrt(1 / d_in),
            "the standard deviation is sqrt(2) / D_in: the square root must cover the whole fraction, "
            "sqrt(2 / D_in)": np.sqrt(2) / d_in,
            "the standard deviation is sqrt(6 / (D_in + D_out)), the Glorot uniform bound: He initialisation is "
            "normal with standard deviation sqrt(2 / D_in)": np.sqrt(6 / (d_in + d_out))}


def estimated_std(W, d_in, d_out):
    r"""std(W), snapped to :math:`\sqrt{2 / D_{in}}` or to one of :func:`scale_candidates` when within 3 %.

    The sampling error of the standard deviation of a large matrix is below 1 %.
    """
    candidates = [np.sqrt(2 / d_in)] + list(scale_candidates(d_in, d_out).values())
    return snapped(float(np.std(np.asarray(W, dtype=float))), candidates, within=0.03)


def create_weight_matrices(create_weight_matrices):
    r"""Check ``create_weight_matrices(layer_dims, seed)``: He initialisation, one matrix per layer.

    .. math:: W_l \in \mathbb R^{D_l \times D_{l+1}}, \qquad (W_l)_{ij} \sim \mathcal N(0, 2 / D_l)

    For layer_dims [784, 256, 64, 1]: three matrices of shape (D_in, D_out) (diagnosed: transposed);
    the two large ones not constant, with standard deviation :math:`\sqrt{2 / D_{in}}` (diagnosed among
    :func:`scale_candidates`) and mean about 0; the same seed gives the same weights, another seed
    others.
    """
    dims = [784, 256, 64, 1]          # two large matrices: their standard deviations are measured to within 1 %
    Ws = check.call(create_weight_matrices, dims, seed=0)
    check.assert_true(isinstance(Ws, (list, tuple)) and len(Ws) == 3,
        f"expected a list of 3 matrices for layer_dims {dims}; got {_described(Ws)}")
    for l, (W, d_in, d_out) in enumerate(zip(Ws, dims[:-1], dims[1:])):
        shape = np.shape(W)
        check.assert_true(shape == (d_in, d_out), f"weights[{l}] has shape {shape}; expected (D_in, D_out) = "
            f"({d_in}, {d_out})" + (": it is transposed" if shape == (d_out, d_in) else ""))
    for l, (W, d_in, d_out) in enumerate(zip(Ws[:2], dims[:2], dims[1:3])):
        std, he = np.std(W), np.sqrt(2 / d_in)
        check.assert_true(std > 0, f"weights[{l}] is constant: every hidden unit would compute the same thing and get the "
            "same gradient, so they would never become different. Draw random values.")
        check.assert_close(estimated_std(W, d_in, d_out), he, f"the standard deviation of weights[{l}] (D_in = {d_in}, "
            f"D_out = {d_out}; expected sqrt(2 / D_in) = {he:.4f})", tol=0.03, mistakes=scale_candidates(d_in, d_out))
        check.assert_true(abs(np.mean(W)) < 0.2 * he, f"weights[{l}] has mean {np.mean(W):.4f}; expected about 0 "
            "(rng.random draws from [0, 1), use rng.normal).")
    again, other = create_weight_matrices(dims, seed=0), create_weight_matrices(dims, seed=1)
    check.assert_true(all(np.array_equal(a, c) for a, c in zip(Ws, again)),
        "two calls with the same seed gave different weights: draw from rng = np.random.default_rng(seed), not from np.random")
    check.assert_true(not np.array_equal(Ws[0], other[0]), "seeds 0 and 1 gave the same weights: use the seed argument")
    print("create_weight_matrices is correct")


def create_bias_vectors(create_bias_vectors):
    """Check ``create_bias_vectors(layer_dims)``: one vector of zeros of shape (D_out,) per layer.

    Diagnosed: column or row vectors (which broadcast wrongly), and the input width D_in used.
    """
    dims = [784, 64, 16, 1]
    bs = check.call(create_bias_vectors, dims)
    check.assert_true(isinstance(bs, (list, tuple)) and len(bs) == 3,
        f"expected a list of 3 bias vectors for layer_dims {dims}; got {_described(bs)}")
    for l, (b, d_out) in enumerate(zip(bs, dims[1:])):
        shape = np.shape(b)
        check.assert_true(shape == (d_out,), f"biases[{l}] has shape {shape}; expected (D_out,) = ({d_out},)"
            + (": a column or row vector broadcasts wrongly against x @ W of shape (N, D_out)"
               if shape in ((d_out, 1), (1, d_out)) else "")
            + (": the bias belongs to the layer's OUTPUT units (layer_dims[l + 1])" if shape == (dims[l],) else ""))
        check.assert_close(b, np.zeros(d_out), f"biases[{l}]", hint="biases start at zero")
    print("create_bias_vectors is correct")


def forward_pass(forward_pass, layer_forward):
    r"""Check ``forward_pass(X, weights, biases, activations)`` on a 5-5-1 network (tanh, then the square).

    The expected values come from the student's own `layer_forward`, called layer by layer by hand
    (:math:`a_0 = X,\ a_l = \phi_l(a_{l-1} W_l + b_l)`), so that a mistake there is not counted twice;
    diagnosed: every layer fed X, the activations in the wrong order, the caches not in layer order.
    A test that cannot judge (`layer_forward` not written yet) fails as skipped.
    """
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 5))
    Ws = [rng.normal(size=(5, 5)) * 0.5, rng.normal(size=(5, 1)) * 0.5]     # a 5-5-1 network
    bs = [rng.normal(size=5) * 0.1, rng.normal(size=1) * 0.1]
    acts = [tanh_activation, square_activation]
    g, caches = check.call(forward_pass, X, Ws, bs, acts)
    try:
        h_expected, cache1 = layer_forward(X, Ws[0], bs[0], acts[0])
    except NotImplementedError:
        isolate.skip("the expected values of this test come from your layer_forward: write layer_forward first")
    g_expected, cache2 = layer_forward(h_expected, Ws[1], bs[1], acts[1])
    check.assert_close(g, g_expected, "network output", mistakes={
        "every layer received the input X instead of the previous layer's output (a = X, then a = layer_forward(a, ...))":
            layer_forward(X, Ws[1], bs[1], acts[1])[0],
        "the activations were applied in the wrong order": layer_forward(layer_forward(X, Ws[0], bs[0], acts[1])[0],
                                                                        Ws[1], bs[1], acts[0])[0]})
    check.assert_true(isinstance(caches, (list, tuple)) and len(caches) == 2,
        f"expected a list of 2 caches (one per layer); got {_described(caches)}")
    check.assert_true(np.shape(caches[0][1]) == Ws[0].shape,
        "caches[0] does not hold the first layer's weights: return the caches in layer order, layer 1 first "
        "(backward_pass walks them in reverse itself)")
    for l, (got, want) in enumerate(zip(caches, (cache1, cache2))):
        for part, a, e in zip(("x", "W", "grad"), got, want):
            check.assert_close(a, e, f"caches[{l}] ({part})")
    print("forward_pass is correct")


# ------------------------------------------------------------------ the backward pass

def _check_gradient_shapes(dWs, dbs, W1, W2, N):
    """The shape mistakes of a backward pass: reversed lists, transposed dW, db not (or wrongly) reduced."""
    check.assert_true(len(dWs) == 2 and len(dbs) == 2, f"expected 2 weight and 2 bias gradients; got {len(dWs)} and {len(dbs)}")
    check.assert_true(np.shape(dWs[0]) != W2.shape or np.shape(dWs[1]) != W1.shape,
        "the gradients are in reverse order: return them layer 1 first, like the weights (reverse the lists at the end)")
    for l, (dW, W) in enumerate(zip(dWs, (W1, W2))):
        check.assert_true(np.shape(dW) != W.T.shape, f"dW of layer {l + 1} has shape {np.shape(dW)}, the transpose of "
            f"the weights' shape {W.shape}: a gradient has the shape of its variable, dW = x.T @ delta is (D_in, N) @ (N, D_out)")
    for l, (db, d_out) in enumerate(zip(dbs, (W1.shape[1], W2.shape[1]))):
        check.assert_true(np.shape(db) != (N, d_out), f"db of layer {l + 1} has shape {np.shape(db)}: one row per sample. "
            "Sum delta over the batch, db = delta.sum(axis=0), shape (D_out,) like the bias")
        check.assert_true(np.shape(db) != (N,), f"db of layer {l + 1} has shape {np.shape(db)}: it was reduced over the "
            "wrong axis. Axis 0 of delta (N, D_out) runs over the batch: db = delta.sum(axis=0), shape (D_out,)")


def backward_pass(backward_pass):
    r"""Check ``backward_pass(dL_dg, caches)`` on the test's own 5-4-1 tanh network, batch of N = 7.

    Every dW and db must be the gradient of the batch mean

    .. math:: \frac1N \sum_n \frac{\partial L}{\partial g_n} g_n(W_1, b_1, W_2, b_2),

    compared with central differences; first the shape mistakes (:func:`_check_gradient_shapes`),
    then the values, diagnosing a factor N and the activation's derivative left out.
    """
    rng = np.random.default_rng(2)
    N = 7
    X = rng.normal(size=(N, 5))
    W1, b1 = rng.normal(size=(5, 4)) * 0.6, rng.normal(size=4) * 0.1
    W2, b2 = rng.normal(size=(4, 1)) * 0.6, rng.normal(size=1) * 0.1
    dL_dg = rng.normal(size=(N, 1))

    def tiny_network(W1, b1, W2, b2):
        '''The test's own 5-4-1 network with tanh on both layers: output (N, 1) and caches (x, W, grad).'''
        h = np.tanh(X @ W1 + b1)
        g = np.tanh(h @ W2 + b2)
        return g, [(X, W1, 1 - h**2), (h, W2, 1 - g**2)]

    def objective(W1, b1, W2, b2):
        '''(1/N) sum_n dL_dg[n] * g[n]: its gradient is what backward_pass(dL_dg, caches) must return.'''
        return np.sum(dL_dg * tiny_network(W1, b1, W2, b2)[0]) / N

    _, caches = tiny_network(W1, b1, W2, b2)
    dWs, dbs = check.call(backward_pass, dL_dg, caches)
    _check_gradient_shapes(dWs, dbs, W1, W2, N)
    h = np.tanh(X @ W1 + b1)
    check.assert_gradient_matches(lambda W: objective(W1, b1, W, b2), W2, dWs[1], "dW of layer 2 (the output layer)", batch_size=N,
        mistakes={"the activation's derivative was not applied: delta = dL/da * grad, with grad the third entry of the "
                  "layer's cache": h.T @ dL_dg / N})
    check.assert_gradient_matches(lambda b: objective(W1, b1, W2, b), b2, dbs[1], "db of layer 2 (the output layer)", batch_size=N)
    check.assert_gradient_matches(lambda W: objective(W, b1, W2, b2), W1, dWs[0], "dW of layer 1", batch_size=N)
    check.assert_gradient_matches(lambda b: objective(W1, b, W2, b2), b1, dbs[0], "db of layer 1", batch_size=N)
    print("backward_pass is correct")


def fd_grad(fd_grad):
    r"""Check ``fd_grad(func, flat_array, eps)`` on :math:`f(v) = \sum_i \sin(3 v_i) v_i^2` with eps = 1e-3.

    .. math:: \frac{\partial f}{\partial v_i} \approx \frac{f(v + \varepsilon e_i) - f(v - \varepsilon e_i)}{2 \varepsilon}
              = \frac{\partial f}{\partial v_i} + O(\varepsilon^2)

    The input must be left unchanged; the result is compared with the exact gradient to 1e-5 (a
    one-sided difference, off by O(eps), fails), diagnosing the one-sided difference and a division
    by eps instead of 2 eps (from :func:`helpers.check.numerical_gradient`).
    """
    def f(v):
        return np.sum(np.sin(3 * v) * v**2)

    def df(v):          # the exact gradient of f
        return 2 * v * np.sin(3 * v) + 3 * v**2 * np.cos(3 * v)

    v = np.array([0.3, -1.2, 2.0, 0.7])
    v_before = v.copy()
    grad = check.call(fd_grad, f, v, 1e-3)
    check.assert_true(np.array_equal(v, v_before),
        f"fd_grad changed its input from {v_before} to {v}: put each entry back after perturbing it")
    one_sided = np.array([(f(v + 1e-3 * e) - f(v)) / 1e-3 for e in np.eye(len(v))])
    check.assert_close(grad, df(v), "fd_grad of sum(sin(3v) v^2)", tol=1e-5, mistakes={
        "this is the one-sided difference (f(v + eps) - f(v)) / eps; use the central difference "
        "(f(v + eps) - f(v - eps)) / (2 eps)": one_sided,
        "the central difference was divided by eps instead of 2 eps": 2 * check.numerical_gradient(f, v, h=1e-3)})
    print("fd_grad is correct")


# ------------------------------------------------------------------ train

class TrainStandIns:
    r"""Stand-ins for the functions train calls, so that a test judges train alone.

    Your other functions have tests of their own. The model is a one-layer linear one,
    :math:`g = x W + b`, whose loss is the squared error :math:`(g - y)^2`; ``forward_pass`` logs the
    examples of every training minibatch that reaches it (column 0 of x is each example's index /
    1000, :func:`helpers.checks.layers.tag_examples`) in ``batches``, and the weights and biases it
    was given in ``params``. Its ``NAMES`` are what :func:`helpers.isolate.standing_in` rebinds.
    """
    NAMES = ("create_weight_matrices", "create_bias_vectors", "forward_pass", "logistic_loss", "backward_pass")

    def __init__(self, X_test=None):
        self.X_test, self.batches, self.params = X_test, [], []

    def create_weight_matrices(self, layer_dims, seed=0):
        """Weights U(-0.5, 0.5), the same whatever the seed."""
        rng = np.random.default_rng(1000)
        return [rng.uniform(-0.5, 0.5, size=(d_in, d_out)) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]

    def create_bias_vectors(self, layer_dims):
        """Biases 0.1 (not 0: their update shows)."""
        return [np.full(d_out, 0.1) for d_out in layer_dims[1:]]

    def forward_pass(self, X, weights, biases, activations):
        """g = X @ W + b (the activations are ignored), caches [X]; logs training minibatches."""
        if X is not self.X_test:
            self.batches.append(example_ids(X))
            self.params.append((np.array(weights[0], dtype=float), np.array(biases[0], dtype=float)))
        return X @ weights[0] + biases[0], [X]

    @staticmethod
    def logistic_loss(g, y):
        """The squared error per example, (g - y)^2, and its derivative 2 (g - y)."""
        return (g[:, 0] - y) ** 2, 2 * (g - y.reshape(-1, 1))

    @staticmethod
    def backward_pass(dL_dg, caches):
        """The gradients of the batch mean: [X.T @ dL_dg / N], [sum of dL_dg / N]."""
        X = caches[0]
        return [X.T @ dL_dg / len(X)], [dL_dg.sum(axis=0) / len(X)]


class TrainRun:
    r"""The student's ``train`` run on a small data set with :class:`TrainStandIns` in place of its dependencies.

    The data: N training and M test examples with D = 3 features, labels 1 where feature 1 is
    positive; ``train(x, y, x_test, y_test, [D, 1], lr, epochs, batch_size, seed)``.

    Parameters
    ----------
    train : callable
        The student's train; its dependencies are rebound in its notebook's namespace for the run.
    seed : int
        Seed of the data, and the seed given to train.
    N, M, batch_size, epochs, lr, D
        Sizes of the data set, and train's arguments.

    Attributes
    ----------
    x, y, x_test, y_test : ndarray
    batches : list of ndarray
        The example indices of every training minibatch, in the order forward_pass received them.
    params : list of (W, b)
        The weights (D, 1) and biases (1,) forward_pass received with each of them.
    weights, biases, history
        What train returned.
    """

    def __init__(self, train, seed, N, M, batch_size, epochs, lr, D=3):
        rng = np.random.default_rng(seed)
        self.x, self.x_test = rng.normal(size=(N, D)), rng.normal(size=(M, D))
        tag_examples(self.x)
        self.y, self.y_test = (self.x[:, 1] > 0).astype(np.int64), (self.x_test[:, 1] > 0).astype(np.int64)
        self.lr, self.D = lr, D
        stand_ins = TrainStandIns(self.x_test)
        with isolate.standing_in(stand_ins, within=train):
            self.weights, self.biases, self.history = check.call(
                train, self.x, self.y, self.x_test, self.y_test, [D, 1], lr=lr, epochs=epochs, batch_size=batch_size,
                seed=seed)
        self.batches, self.params = stand_ins.batches, stand_ins.params

    def start(self):
        """(W, b) as the stand-ins create them: where training starts."""
        s = TrainStandIns()
        return s.create_weight_matrices([self.D, 1])[0], s.create_bias_vectors([self.D, 1])[0]

    def steps(self):
        r"""Per minibatch k, from the parameters :math:`(W_k, b_k)` forward_pass received:
        (g_k, per-example losses, dW_k, db_k) of the stand-in model on that minibatch."""
        out = []
        for idx, (W, b) in zip(self.batches, self.params):
            g = self.x[idx] @ W + b
            losses, dL_dg = TrainStandIns.logistic_loss(g, self.y[idx])
            dWs, dbs = TrainStandIns.backward_pass(dL_dg, [self.x[idx]])
            out.append((g, losses, dWs[0], dbs[0]))
        return out

    def after_steps(self):
        r"""(W, b) after each minibatch's gradient step from the parameters it was given,
        :math:`W_k - \mathrm{lr}\, dW_k` and :math:`b_k - \mathrm{lr}\, db_k`: arrays (steps, D, 1), (steps, 1)."""
        terms = self.steps()
        W = np.array([W for W, _ in self.params]) - self.lr * np.array([t[2] for t in terms])
        b = np.array([b for _, b in self.params]) - self.lr * np.array([t[3] for t in terms])
        return W, b

    def weight_path(self):
        r"""(the weights of the run, those of SGD on its own minibatches): two arrays (steps + 1, D, 1).

        The first: the weights forward_pass received with every minibatch, then those train
        returned. The second: the initial weights, then one gradient step
        :math:`W_k - \mathrm{lr}\, dW_k` from the weights of each minibatch. They are equal when train
        is right.
        """
        W_after = self.after_steps()[0].reshape(-1, self.D, 1)
        seen = [np.asarray(W, dtype=float) for W, _ in self.params] + [np.asarray(self.weights[0], dtype=float)]
        return np.array(seen), np.concatenate([[self.start()[0]], W_after])

    def sgd_deviation(self):
        """The weights of the run minus those of SGD on its own minibatches (:meth:`weight_path`): zero when train is right."""
        seen, sgd = self.weight_path()
        return seen - sgd


def _check_train_schedule(run, N, batch_size, epochs):
    """train's history keys and lengths, its minibatches (sizes, every example once per epoch), the returned weights' shape."""
    hist, steps = run.history, -(-N // batch_size)          # ceil(N / batch_size)
    keys = {"train_loss", "train_acc", "test_loss", "test_acc"}
    check.assert_true(isinstance(hist, dict) and keys <= set(hist), f"history must be a dict with keys {sorted(keys)}; "
        f"got {sorted(hist) if isinstance(hist, dict) else type(hist).__name__}")
    sizes = [len(b) for b in run.batches]
    check.assert_true(not (len(sizes) == epochs * (N // batch_size) and set(sizes) == {batch_size}),
        f"the last minibatch of an epoch was dropped: it is smaller, not dropped (N = {N}, batch_size = {batch_size}: "
        f"ceil(N / batch_size) = {steps} steps per epoch, the last with {N % batch_size} examples); yours took "
        f"{len(sizes) // epochs} steps per epoch and left {N % batch_size} examples out. range(0, N, batch_size) gives "
        "the start of every minibatch, including the last.")
    check.assert_true(sizes == ([batch_size] * (N // batch_size) + [N % batch_size]) * epochs,
        f"the minibatch sizes over {epochs} epochs must be {[batch_size] * (N // batch_size) + [N % batch_size]} per "
        f"epoch (N = {N}, batch_size = {batch_size}); yours were {sizes}")
    for e in range(epochs):
        seen = np.sort(np.concatenate(run.batches[e * steps:(e + 1) * steps]))
        check.assert_true(bool(np.array_equal(seen, np.arange(N))),
            f"epoch {e + 1} did not use every example exactly once (it used {len(seen)} examples, "
            f"{len(np.unique(seen))} different ones): an epoch is one pass over order = rng.permutation(N)")
    check.assert_true(len(hist["test_loss"]) == len(hist["test_acc"]) == epochs,
        f"test_loss has {len(hist['test_loss'])} entries and test_acc {len(hist['test_acc'])}; expected one per epoch "
        f"({epochs}): evaluate the test set after each epoch, not after each step")
    check.assert_true(len(hist["train_loss"]) == len(hist["train_acc"]) == epochs * steps,
        f"train_loss has {len(hist['train_loss'])} entries and train_acc {len(hist['train_acc'])}; expected one per "
        f"minibatch step: {epochs} epochs x ceil({N} / {batch_size}) = {epochs * steps}")
    w_t = run.weights
    check.assert_true(isinstance(w_t, (list, tuple)) and len(w_t) == 1 and np.shape(w_t[0]) == (3, 1),
        f"train must return the list of trained weight matrices first (here one, of shape (3, 1)); got {type(w_t).__name__}")


def _expected_history(run, terms, steps):
    """The history train must return, from the minibatches it formed: per step the minibatch's mean loss and
    accuracy before its update (`terms`: :meth:`TrainRun.steps`), per epoch the test set's after its last update."""
    W_after, b_after = run.after_steps()
    g_test = [run.x_test @ W_after[k] + b_after[k] for k in range(steps - 1, len(terms), steps)]
    return {"train_loss": [float(np.mean(losses)) for _, losses, _, _ in terms],
            "train_acc": [float(np.mean((g[:, 0] > 0.5) == run.y[idx])) for (g, *_), idx in zip(terms, run.batches)],
            "test_loss": [float(np.mean((g[:, 0] - run.y_test) ** 2)) for g in g_test],
            "test_acc": [float(np.mean((g[:, 0] > 0.5) == run.y_test)) for g in g_test]}


def _check_train_updates(run, steps):
    r"""The returned weights and biases (:math:`W_0 - \mathrm{lr} \sum_k dW_k` over the minibatches k), the
    history, and that every minibatch started from the weights the previous update left."""
    terms, (W_start, b_start), lr = run.steps(), run.start(), run.lr
    dW_sum, db_sum = sum(t[2] for t in terms), sum(t[3] for t in terms)
    check.assert_close(np.asarray(run.weights[0], dtype=float), W_start - lr * dW_sum,
        "the weights train returned (with the test's stand-ins)", mistakes={
        "W moved up the gradient (W += lr * dW): gradient descent subtracts. Check the update (W -= lr * dW)":
            W_start + lr * dW_sum,
        "the weights were never updated: W = W - lr * dW inside `for W, ... in zip(weights, ...)` only rebinds the loop "
        "variable; update the arrays in place (W -= lr * dW) or assign weights[l] = ...": W_start,
        "the learning rate was not used (W -= dW)": W_start - dW_sum})
    check.assert_close(np.asarray(run.biases[0], dtype=float), b_start - lr * db_sum,
                       "the biases train returned (with the test's stand-ins)")
    expected = _expected_history(run, terms, steps)
    for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
        check.assert_close(np.asarray(run.history[key], dtype=float), np.asarray(expected[key]),
                           f"history['{key}'] (with the test's stand-ins)",
                           hint="train_loss and train_acc: the minibatch's mean loss and accuracy (a fraction), from the "
                                "forward pass before its update; test_loss and test_acc: evaluate(X_test, y_test, "
                                "weights, biases) after each epoch")
    seen, sgd = run.weight_path()
    check.assert_close(seen, sgd, "the weights forward_pass received at every step, then those train returned (with the "
                       "test's stand-ins)", hint="each minibatch starts from the weights the previous update left "
                       "(W -= lr * dW on the arrays of the list weights; the first from create_weight_matrices)")


def train(train):
    r"""Check ``train`` alone, with :class:`TrainStandIns` in place of the functions it calls.

    N = 23 examples, batch_size = 5, 3 epochs, lr = 0.2: 23 = 4 * 5 + 3, so every epoch has
    :math:`\lceil N / \mathrm{batch\_size} \rceil = 5` steps, the last of 3 examples. Checked: the
    history's keys; the minibatch sizes (diagnosed: the last one dropped) and every example once per
    epoch; one test entry per epoch and one train entry per step; then the values. Minibatch k
    starts from :math:`W_k` and its gradient is :math:`dW_k`; SGD returns

    .. math:: W_0 - \mathrm{lr} \sum_k dW_k, \qquad W_{k+1} = W_k - \mathrm{lr}\, dW_k

    (diagnosed: ascent, no update, no learning rate); the history holds each minibatch's mean loss
    and accuracy before its update and the test set's after each epoch.
    """
    N, M, batch_size, epochs, lr = 23, 11, 5, 3, 0.2
    run = TrainRun(train, 0, N, M, batch_size, epochs, lr)
    _check_train_schedule(run, N, batch_size, epochs)
    _check_train_updates(run, -(-N // batch_size))
    print(f"train is correct: {epochs} epochs of {-(-N // batch_size)} minibatches (the last of {N % batch_size}), "
          f"every example once per epoch, W -= lr * dW, and the history")
