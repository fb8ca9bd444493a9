"""Visible checks of 06_deep_mlp: what its test cells call.

Each check judges one of your functions alone. Where your function builds on earlier ones, the check hands
it stand-ins for the span of the check (:func:`helpers.isolate.standing_in`): the one-line formulas of task 1
for the layers, central differences of the layers for the backward pass, scipy's softmax, or spies that
record what they receive and return made-up values (the test of ``train_epoch``).

Every failure raises :class:`helpers.check.CheckFailure` (an ``AssertionError``) with a diagnosis; a check that
passes prints one line and returns.
"""
from __future__ import annotations

import numpy as np

from helpers import check, isolate
from helpers.checks.multiclass import scipy_softmax

__all__ = ["dense_forward", "dense_backward", "relu", "create_dense_sequential", "mlp_forward", "mlp_backward",
           "softmax", "softmax_cross_entropy", "mse_loss", "softmax_backward", "sgd_step", "iterate_minibatches",
           "train_epoch", "TrainEpochSpies"]


# ------------------------------------------------------------------ 1. dense layer and ReLU

def dense_forward(dense_forward) -> None:
    """Test of ``dense_forward``: ``x @ W + b`` with the shapes of the course, and the cache ``(x, W)``.

    Parameters
    ----------
    dense_forward : callable
        Your ``dense_forward(x, W, b)``, returning ``(out, cache)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a bias left out or added twice, or a cache that holds the output instead of x.
    """
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    b = np.array([0.5, -1.0, 2.0])
    out, cache = check.call(dense_forward, x, W, b)
    expected = np.array([[5.5, 1.0, 2.0], [1.5, -2.0, -1.5], [1.5, -0.5, 2.25]])
    check.assert_close(out, expected, "dense_forward(x, W, b)",
                       mistakes={"the bias b was not added": expected - b,
                                 "the bias was added twice": expected + b})
    # The cache is what dense_backward receives: (x, W). A square W here, so that a cache holding the output
    # has x's shape.
    xs, Ws, bs = np.array([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.0]]), np.array([[2.0, -1.0], [0.5, 1.0]]), np.array([0.1, -0.2])
    _, cache_s = check.call(dense_forward, xs.copy(), Ws.copy(), bs)
    check.assert_true(isinstance(cache_s, (tuple, list)) and len(cache_s) == 2,
                      f"the cache should be the pair (x, W) that dense_backward unpacks, got {type(cache_s).__name__}"
                      + (f" of length {len(cache_s)}" if isinstance(cache_s, (tuple, list)) else ""))
    check.assert_close(cache_s[0], xs, "the x in the cache of dense_forward",
                       mistakes={"the cache holds the output instead of the input x (was x overwritten by x @ W + b?)":
                                 xs @ Ws + bs})
    check.assert_close(cache_s[1], Ws, "the W in the cache of dense_forward")
    print("dense_forward is correct")


def dense_backward(dense_backward) -> None:
    r"""Test of ``dense_backward``: dx, dW and db against central differences of :math:`Z = XW + b`.

    .. math:: \frac{\partial L}{\partial X} = \delta W^\top, \qquad \frac{\partial L}{\partial W} = X^\top \delta,
              \qquad \frac{\partial L}{\partial b} = \sum_n \delta_{n,:}

    The cache is built here as ``dense_forward``'s docstring describes it, ``(x, W)``: this test does not
    need your ``dense_forward``.

    Parameters
    ----------
    dense_backward : callable
        Your ``dense_backward(dout, cache)``, returning ``(dx, dW, db)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a gradient divided by the batch size, transposed, or a bias gradient averaged or summed over
        the wrong axis.
    """
    rng = np.random.default_rng(0)
    N = 6
    x, W, b = rng.standard_normal((N, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((N, 3))
    dx, dW, db = check.call(dense_backward, dout, (x, W))
    # the layer as a function of each input, to differentiate numerically: Z = XW + b
    check.assert_gradient_matches(lambda x_: x_ @ W + b, x, dx, "dx", dout=dout)
    check.assert_gradient_matches(lambda W_: x @ W_ + b, W, dW, "dW", dout=dout, batch_size=N)
    db_num = check.numerical_gradient(lambda b_: x @ W + b_, b, dout=dout)
    check.assert_close(db, db_num, "db", reduced_from=dout, axis=0)
    print("dense_backward is correct: dx, dW and db match central differences")


def relu(relu_forward, relu_backward) -> None:
    r"""Test of ``relu_forward`` and ``relu_backward``: central differences away from the kink, and the
    derivative 0 at exactly :math:`z = 0`.

    .. math:: \mathrm{ReLU}(z) = \max(z, 0), \qquad \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a}
              \odot \mathbb 1[z > 0]

    Parameters
    ----------
    relu_forward, relu_backward : callable
        Your ``relu_forward(z)`` returning ``(a, cache)`` and ``relu_backward(da, cache)`` returning ``dz``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming the negative part kept, ReLU applied to the upstream gradient, a gradient multiplied by z, or
        a derivative of 1 at z = 0.
    """
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 4))
    z[np.abs(z) < 0.1] = 0.5                       # keep away from the kink at 0
    a, cache = check.call(relu_forward, z)
    check.assert_close(a, np.where(z > 0, z, 0.0), "relu_forward(z)",
                       mistakes={"the negative part was kept instead of the positive part": np.minimum(z, 0)})
    da = rng.standard_normal((5, 4))
    dz = check.call(relu_backward, da, cache)
    check.assert_gradient_matches(lambda z_: check.call(relu_forward, z_)[0], z, dz, "dz", dout=da,
                                  mistakes={"ReLU was applied to the upstream gradient instead of masking it":
                                            np.maximum(da, 0),
                                            "the upstream gradient was multiplied by z instead of by 1[z > 0]": da * z})
    # Exactly at the kink: the derivative at z = 0 is taken to be 0.
    z0 = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    da0 = np.array([[0.5, -2.0, 1.5], [3.0, -1.0, 0.25]])
    _, cache0 = check.call(relu_forward, z0)
    check.assert_close(check.call(relu_backward, da0, cache0), da0 * (z0 > 0),
                       "relu_backward where some z are exactly 0 (the derivative there is taken to be 0)",
                       mistakes={"the derivative at exactly z = 0 was taken as 1: use z > 0, not z >= 0": da0 * (z0 >= 0)})
    print("relu_forward and relu_backward are correct")


# ------------------------------------------------------------------ 2. a network of any depth

def _he_stds(params) -> np.ndarray:
    """The standard deviations of W1, W2, W3 of a 784-400-50-10 He network, named by the closest formula."""
    fans = [(784, 400), (400, 50), (50, 10)]
    stds = np.array([params[f"W{l}"].std() for l in (1, 2, 3)])
    # the measured std of a random matrix is only close to the formula (within a few %): name the closest formula
    formulas = {"He, sqrt(2/fan_in)": [np.sqrt(2 / fi) for fi, fo in fans],
                "He scaled by fan_out instead of fan_in, sqrt(2/fan_out)": [np.sqrt(2 / fo) for fi, fo in fans],
                "the variance 2/fan_in used as the standard deviation": [2 / fi for fi, fo in fans],
                "Glorot/Xavier sqrt(1/fan_in) instead of He sqrt(2/fan_in)": [np.sqrt(1 / fi) for fi, fo in fans]}
    closest = min(formulas, key=lambda k: np.max(np.abs(np.log(stds / np.array(formulas[k])))))
    check.assert_true(bool(np.allclose(stds, formulas["He, sqrt(2/fan_in)"], rtol=0.05)),
                      f"the standard deviations of W1, W2, W3 are {stds.round(4)}; He initialisation gives "
                      f"{np.round(formulas['He, sqrt(2/fan_in)'], 4)} (fan_in = 784, 400, 50)"
                      + ("" if closest.startswith("He,") else f"\n  Diagnosis: they look like {closest}."))
    return stds


def _he_network(create_dense_sequential) -> np.ndarray:
    """784-400-50-10 with init='he': keys, shapes, float64, zero biases, the He standard deviations."""
    params = check.call(create_dense_sequential, 784, 10, [400, 50], init="he", rng=np.random.default_rng(0))
    shapes = {k: v.shape for k, v in params.items()}
    expected_shapes = {"W1": (784, 400), "b1": (400,), "W2": (400, 50), "b2": (50,), "W3": (50, 10), "b3": (10,)}
    check.assert_true(shapes == expected_shapes, f"params should have the shapes {expected_shapes}, got {shapes}")
    check.assert_true(all(v.dtype == np.float64 for v in params.values()),
                      "the parameters should have the given dtype (float64 by default)")
    check.assert_true(all(not np.any(params[f"b{l}"]) for l in (1, 2, 3)), "biases should start at zero")
    return _he_stds(params)


def _other_networks(create_dense_sequential) -> None:
    """init='normal' in float32, 5 hidden layers, and no hidden layer at all."""
    small = check.call(create_dense_sequential, 784, 10, [400, 50], init="normal", rng=np.random.default_rng(0),
                       dtype=np.float32)
    check.assert_true(all(v.dtype == np.float32 for v in small.values()),
                      "with dtype=np.float32 every parameter should be float32")
    small_stds = np.array([small[f"W{l}"].std() for l in (1, 2, 3)])
    check.assert_true(bool(np.allclose(small_stds, 0.1, rtol=0.05)),
                      f"with init='normal' every W should have standard deviation 0.1 (variance 0.01), got "
                      f"{small_stds.round(4)}")
    deep = check.call(create_dense_sequential, 20, 3, [8] * 5)
    check.assert_true(len(deep) == 12, f"5 hidden layers give 6 dense layers, 12 arrays; got {len(deep)}: {sorted(deep)}")
    try:                                   # no hidden layer at all: a linear softmax classifier
        linear = check.call(create_dense_sequential, 20, 3, [])
    except IndexError as exc:
        raise check.CheckFailure(
            f"create_dense_sequential(20, 3, []) raised IndexError: {exc}\n"
            "  Diagnosis: with hidden_sizes=[] (no hidden layer: a linear softmax classifier) there is no "
            "hidden_sizes[0] or hidden_sizes[-1]; make the list of widths [n_in, *hidden_sizes, n_out] and one layer "
            "per consecutive pair of it.") from exc
    check.assert_true(isinstance(linear, dict) and sorted(linear) == ["W1", "b1"] and np.shape(linear["W1"]) == (20, 3)
                      and np.shape(linear["b1"]) == (3,),
                      "hidden_sizes=[] gives a single dense layer, W1 (20, 3) and b1 (3,); got "
                      + str({k: np.shape(v) for k, v in linear.items()} if isinstance(linear, dict)
                            else type(linear).__name__))


def create_dense_sequential(create_dense_sequential) -> None:
    r"""Test of ``create_dense_sequential``: keys, shapes, dtype, zero biases, and the standard deviation of each
    layer.

    .. math:: W^{(l)}_{ij} \sim \mathcal N\!\left(0, \frac{2}{\text{fan}_{in}}\right) \text{ (He)}, \qquad
              W^{(l)}_{ij} \sim \mathcal N(0, 0.1^2) \text{ (normal)}, \qquad b^{(l)} = 0

    Parameters
    ----------
    create_dense_sequential : callable
        Your ``create_dense_sequential(n_in, n_out, hidden_sizes, init, rng, dtype)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming He scaled by fan_out, the variance used as the standard deviation, Glorot's scale, random
        biases, or a network that cannot have zero hidden layers.
    """
    stds = _he_network(create_dense_sequential)
    _other_networks(create_dense_sequential)
    print("create_dense_sequential is correct; layer stds (He):", stds.round(4))


def _dense_forward_stand_in(x, W, b):
    """Task 1's dense layer as its formula: (x @ W + b, (x, W))."""
    return x @ W + b, (x, W)


def _relu_forward_stand_in(z):
    """Task 1's ReLU as its formula: (max(z, 0), z)."""
    return np.maximum(z, 0), z


def mlp_forward(mlp_forward) -> None:
    """Test of ``mlp_forward``: dense layers with ReLU in between and no ReLU on the output, one cache per layer.

    Your ``dense_forward`` and ``relu_forward`` are replaced here by the formulas of task 1 (they have their own
    tests): this test judges ``mlp_forward`` alone.

    Parameters
    ----------
    mlp_forward : callable
        Your ``mlp_forward(params, X)``, returning ``(logits, caches)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a ReLU on the output layer, no ReLU between the layers, or a wrong number of caches.
    """
    with isolate.standing_in(within=mlp_forward, dense_forward=_dense_forward_stand_in,
                             relu_forward=_relu_forward_stand_in):
        p = {"W1": np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]), "b1": np.array([0.0, -1.0, 0.5]),
             "W2": np.array([[1.0, 0.0], [-1.0, 1.0], [2.0, -3.0]]), "b2": np.array([0.5, -0.5])}
        X = np.array([[1.0, 2.0], [-1.0, 0.5], [2.0, 0.0]])
        expected = np.array([[-0.5, 1.5], [-0.5, 0.5], [5.5, -5.0]])
        logits, caches = check.call(mlp_forward, p, X)
        check.assert_close(logits, expected, "logits of a 2-3-2 network",
                           mistakes={"ReLU was applied to the output layer too (logits must be able to be negative)":
                                     np.maximum(expected, 0),
                                     "no ReLU between the layers": np.array([[-2.5, 4.5], [-2.5, 2.0], [8.5, -8.0]])})
        check.assert_true(len(caches) == 2, f"expected one cache per layer (2), got {len(caches)}")
        rng, sizes, deep = np.random.default_rng(0), [6, 5, 5, 5, 4], {}
        for l in range(1, 5):                                   # a 6-5-5-5-4 network with random weights
            deep[f"W{l}"], deep[f"b{l}"] = rng.standard_normal((sizes[l - 1], sizes[l])), np.zeros(sizes[l])
        out, caches = check.call(mlp_forward, deep, np.ones((3, 6)))
        check.assert_true(out.shape == (3, 4) and len(caches) == 4,
                          f"a 4-layer network on 3 samples should give logits (3, 4) and 4 caches; got {out.shape} "
                          f"and {len(caches)}")
    print("mlp_forward is correct")


# ------------------------------------------------------------------ mlp_backward

def _three_layer_network():
    """A 5-6-4-3 network with random weights and non-zero biases (so that mistakes show), 7 inputs and dlogits."""
    rng, sizes, params = np.random.default_rng(2), [5, 6, 4, 3], {}
    for l in range(1, 4):
        params[f"W{l}"] = rng.standard_normal((sizes[l - 1], sizes[l])) * 0.6
        params[f"b{l}"] = rng.uniform(-0.5, 0.5, sizes[l])
    X = rng.standard_normal((7, 5))
    dlogits = rng.standard_normal((len(X), 3))
    return params, X, dlogits


def _logits_of(p, X):
    """The logits of the test's 3-layer network (ReLU after layers 1 and 2), written out."""
    A1 = np.maximum(X @ p["W1"] + p["b1"], 0)
    A2 = np.maximum(A1 @ p["W2"] + p["b2"], 0)
    return A2 @ p["W3"] + p["b3"]


def _caches_of(params, X) -> list:
    """The caches of the 3-layer network in the form mlp_forward's task describes, written out layer by layer:
    [((input, W), z), ..., ((input, W_L), None)]."""
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = np.maximum(Z2, 0)
    return [((X, params["W1"]), Z1), ((A1, params["W2"]), Z2), ((A2, params["W3"]), None)]


class _NumericLayers:
    """Stand-ins for ``dense_backward`` and ``relu_backward``: central differences of the layers, which also
    record the order in which the layers of `caches` are visited, to say what a wrong answer means."""
    NAMES = ("dense_backward", "relu_backward")

    def __init__(self, caches):
        self.caches, self.visits = caches, []            # ("dense" or "relu", layer), in call order

    def _layer_of(self, obj):
        return next((l for l, ((_, W_l), z_l) in enumerate(self.caches, start=1) if obj is W_l or obj is z_l), "?")

    def dense_backward(self, dout, cache):
        x_, W_ = cache
        self.visits.append(("dense", self._layer_of(W_)))
        return (check.numerical_gradient(lambda v: v @ W_, x_, dout=dout),
                check.numerical_gradient(lambda v: x_ @ v, W_, dout=dout),
                check.numerical_gradient(lambda v: np.zeros((len(x_), 1)) + v, np.zeros(W_.shape[1]), dout=dout))

    def relu_backward(self, da, cache):
        self.visits.append(("relu", self._layer_of(cache)))
        return check.numerical_gradient(lambda v: np.maximum(v, 0), cache, dout=da)

    def cause(self):
        """What the recorded visits say about a wrong answer (None when they look right)."""
        dense = [l for kind, l in self.visits if kind == "dense"]
        if self.visits and self.visits[0][1] != len(self.caches):
            return (f"mlp_backward visited the layers in the order {[l for _, l in self.visits]}: it must walk them "
                    f"backwards, l = L, ..., 1 (for l in range(len(caches), 0, -1)): dense_backward of layer l needs "
                    f"dL/d(output of layer l), which comes from layer l + 1.")
        if dense == [3, 2, 1] and not any(kind == "relu" for kind, _ in self.visits):
            return ("relu_backward was never called: the ReLU of each hidden layer was skipped on the way back. "
                    "Before dense_backward of a hidden layer, apply d = relu_backward(d, relu_cache) (not for the "
                    "output layer, whose relu_cache is None).")
        return None


def mlp_backward(mlp_backward) -> None:
    r"""Test of ``mlp_backward``: every gradient of a 3-layer network against central differences of the network.

    .. math:: \frac{\partial}{\partial \theta_i} \sum \mathrm{logits}(\theta) \odot \delta \approx
              \frac{\sum (\mathrm{logits}(\theta + h e_i) - \mathrm{logits}(\theta - h e_i)) \odot \delta}{2h}

    The caches of one 5-6-4-3 network are built here, in the form ``mlp_forward``'s task describes, and your
    ``dense_backward`` and ``relu_backward`` are replaced by central differences of the layers (they have their
    own tests), which also record the order in which the layers are visited.

    Parameters
    ----------
    mlp_backward : callable
        Your ``mlp_backward(dlogits, caches)``, returning the dict of gradients.

    Raises
    ------
    helpers.check.CheckFailure
        Naming layers walked in forward order, a ReLU skipped on the way back, or gradients divided by the
        batch size again.
    """
    params, X, dlogits = _three_layer_network()
    layers = _NumericLayers(_caches_of(params, X))
    with isolate.standing_in(layers, within=mlp_backward):
        try:
            grads = check.call(mlp_backward, dlogits, layers.caches)
        except Exception as exc:
            if layers.cause() is None:
                raise
            raise check.CheckFailure(f"{layers.cause()}\n  (it raised {type(exc).__name__}: {exc})") from exc
    check.assert_true(isinstance(grads, dict) and sorted(grads) == sorted(params),
                      f"grads should be a dict with the keys of params {sorted(params)}, got "
                      f"{sorted(grads) if isinstance(grads, dict) else type(grads)}")
    for k in sorted(params):
        try:
            check.assert_gradient_matches(lambda value, k=k: _logits_of({**params, k: value}, X), params[k].copy(),
                                          grads[k], f"d{k}", dout=dlogits, batch_size=len(X))
        except check.CheckFailure as exc:
            if layers.cause() is None:
                raise
            raise check.CheckFailure(f"{layers.cause()}\n{exc}") from None
    print("mlp_backward is correct: all", len(grads), "gradients match central differences")


# ------------------------------------------------------------------ 3. losses on a softmax output

def softmax(softmax) -> None:
    r"""Test of ``softmax``: known values, rows that sum to 1, and no overflow for huge or very negative logits.

    .. math:: p_{nk} = \frac{e^{z_{nk} - m_n}}{\sum_j e^{z_{nj} - m_n}}, \qquad m_n = \max_j z_{nj}

    Parameters
    ----------
    softmax : callable
        Your ``softmax(z)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a softmax without the max trick, or one that subtracts the maximum of the whole array.
    """
    p = check.call(softmax, np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    check.assert_close(p, np.array([[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]]),
                       "softmax([[1, 2, 3], [0, 0, 0]])", tol=1e-7)
    z = np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [5.0, 5.0, 5.0]])
    p = check.call(softmax, z)
    check.as_checked_array(p, "softmax of large logits")
    bad_rows = (~np.isfinite(p)).any(axis=1).tolist() if np.shape(p) == z.shape else None
    check.assert_true(bad_rows is None or not any(bad_rows),
                      ("softmax of large logits contains NaN in the rows whose entries are far below 1000, but not in the "
                       "row near +1000: you subtracted the maximum of the whole array (1000) instead of each row's "
                       "maximum, so every exponent of those rows underflows to 0 and they are 0 / 0. Subtract each "
                       "row's own maximum: z.max(axis=1, keepdims=True)."
                       if bad_rows[:2] == [False, True] else
                       "softmax of large logits contains NaN or inf: np.exp(1000) overflows to inf (and exp(-1000) is "
                       "0), so inf / inf and 0 / 0 give NaN. Subtract each row's own maximum before np.exp (the max "
                       "trick): z - z.max(axis=1, keepdims=True).")
                      + f"\n  your result:\n{p}")
    expected = np.array([[0.66524096, 0.24472847, 0.09003057], [0.09003057, 0.24472847, 0.66524096],
                         [1 / 3, 1 / 3, 1 / 3]])
    check.assert_close(p, expected, "softmax of large logits (row 0 near +1000, row 1 near -1000)", tol=1e-7,
                       hint="subtract each row's own maximum (axis=1, keepdims=True) before np.exp")
    print("softmax is correct and stable")


def _sce_at_large_logits(softmax_cross_entropy) -> None:
    """Logits [1000, 0, -1000] with labels 0 and 1: a finite loss, (0 + 1000) / 2."""
    loss, _ = check.call(softmax_cross_entropy, np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]]),
                         np.array([0, 1]))
    check.assert_true(bool(np.all(np.isfinite(loss))),
                      f"the loss of logits [1000, 0, -1000] is {loss}: "
                      + ("np.exp(1000) overflowed to inf" if any("overflow" in w for w in check.last_warnings) else
                         "a probability underflowed to 0 and log(0) = -inf")
                      + ". Compute log p with the log-sum-exp formula, log p = (z - m) - log(sum(exp(z - m))) with m "
                        "the row maximum, not as np.log of a softmax.")
    check.assert_close(loss, 500.0, "loss of logits [1000, 0, -1000] with labels 0 and 1 (should be (0 + 1000) / 2)",
                       hint="compute log p with the log-sum-exp formula (subtract the row max), not np.log(softmax(z))")


def softmax_cross_entropy(softmax_cross_entropy) -> None:
    r"""Test of ``softmax_cross_entropy``: log K at zero logits, stable for huge logits, the gradient against
    central differences, float32 in and float32 out.

    .. math:: L = -\frac1N \sum_n \log p_{n, y_n}, \qquad \frac{\partial L}{\partial z} = \frac{P - Y}{N}

    If your function calls ``softmax``, it gets a correct one here (scipy's): this test judges
    ``softmax_cross_entropy`` alone.

    Parameters
    ----------
    softmax_cross_entropy : callable
        Your ``softmax_cross_entropy(logits, y)``, returning ``(loss, dlogits)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming an overflow, the log of an underflowed probability, a gradient scaled by N or with its sign
        flipped, or float64 dlogits from float32 logits.
    """
    with isolate.standing_in(within=softmax_cross_entropy, softmax=scipy_softmax):
        N, K = 5, 4
        loss, dlogits = check.call(softmax_cross_entropy, np.zeros((N, K)), np.array([0, 1, 2, 3, 0]))
        check.assert_close(loss, np.log(K), "loss at zero logits (should be log K)", batch_size=N)
        _sce_at_large_logits(softmax_cross_entropy)
        rng = np.random.default_rng(3)
        z = rng.standard_normal((N, K)) * 2
        y = rng.integers(0, K, N)
        loss, dlogits = check.call(softmax_cross_entropy, z, y)
        check.assert_true(np.ndim(loss) == 0, f"the loss should be a scalar, got shape {np.shape(loss)}")
        check.assert_gradient_matches(lambda z_: softmax_cross_entropy(z_, y)[0], z, dlogits, "dlogits", batch_size=N)
        loss32, d32 = check.call(softmax_cross_entropy, z.astype(np.float32), y)
        check.assert_true(d32.dtype == np.float32,
                          f"float32 logits should give float32 dlogits (for speed), got {d32.dtype}")
    print(f"softmax_cross_entropy is correct (loss on the random batch: {loss:.4f})")


def mse_loss(mse_loss) -> None:
    r"""Test of ``mse_loss``: a value computed by hand, the input left unchanged, and a gradient that matches
    central differences.

    .. math:: L = \frac{1}{2N} \sum_{n,k} (p_{nk} - Y_{nk})^2, \qquad \frac{\partial L}{\partial p} = \frac{P - Y}{N}

    Parameters
    ----------
    mse_loss : callable
        Your ``mse_loss(probs, y)``, returning ``(loss, dprobs)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a mean over all N*K entries, the 1/2 left out, probs modified in place, or a gradient not
        divided by N.
    """
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.5, 0.25, 0.25]])   # N = 4, K = 3
    y = np.array([0, 2, 1, 0])
    loss, dprobs = check.call(mse_loss, probs, y)
    total = (0.09 + 0.04 + 0.01) + (0.01 + 0.01 + 0.04) + (0.09 + 0.36 + 0.09) + (0.25 + 0.0625 + 0.0625)   # = 1.115
    check.assert_close(loss, total / (2 * 4), "mse_loss on a 4x3 example: sum of the squared differences 1.115 / (2 * 4)",
                       batch_size=4, mistakes={
                           "averaged over all N*K entries (np.mean) instead of summing over the classes and averaging "
                           "over the batch, and the 1/2 left out": total / 12,
                           "averaged over all N*K entries (np.mean(diff ** 2) / 2) instead of summing over the classes "
                           "and averaging over the batch": total / 24,
                           "the 1/2 left out: twice the correct loss": total / 4})
    check.assert_true(bool(np.allclose(probs, [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.5, 0.25, 0.25]])),
                      "mse_loss must not modify its input probs (work on a copy: diff = probs.copy())")
    rng = np.random.default_rng(4)
    P = rng.dirichlet(np.ones(5), size=6)
    yy = rng.integers(0, 5, 6)
    loss, dprobs = check.call(mse_loss, P, yy)
    check.assert_gradient_matches(lambda p_: mse_loss(p_, yy)[0], P, dprobs, "dprobs", batch_size=6)
    print("mse_loss is correct")


def softmax_backward(softmax_backward) -> None:
    r"""Test of ``softmax_backward``: dlogits against central differences of the softmax, with an upstream
    gradient.

    .. math:: \frac{\partial L}{\partial z_n} = J^{(n)\top} \frac{\partial L}{\partial p_n}, \qquad
              J^{(n)} = \mathrm{diag}(p_n) - p_n p_n^\top

    The probabilities and the numerical gradient come from scipy's softmax, not from yours: this test judges
    ``softmax_backward`` alone.

    Parameters
    ----------
    softmax_backward : callable
        Your ``softmax_backward(dprobs, probs)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming only the diagonal of the Jacobian used, the softmax skipped, or the outer product added.
    """
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4, 5)) * 1.5
    dprobs = rng.standard_normal((4, 5))
    probs = scipy_softmax(z)
    dlogits = check.call(softmax_backward, dprobs, probs)
    check.assert_gradient_matches(scipy_softmax, z, dlogits, "dlogits", dout=dprobs, mistakes={
        "only the diagonal p(1-p) of the Jacobian was used (softmax is not elementwise)": dprobs * probs * (1 - probs),
        "the softmax was skipped (dlogits = dprobs)": dprobs,
        "the outer product was added instead of subtracted":
            probs * dprobs + probs * (probs * dprobs).sum(1, keepdims=True)})
    print("softmax_backward is correct")


# ------------------------------------------------------------------ 5. training

def sgd_step(sgd_step) -> None:
    r"""Test of ``sgd_step``: the update worked out by hand, decay on the weights only, in place.

    .. math:: W \leftarrow W - \eta\,(\nabla_W L + \lambda W), \qquad b \leftarrow b - \eta\, \nabla_b L

    Parameters
    ----------
    sgd_step : callable
        Your ``sgd_step(params, grads, lr, weight_decay)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming new arrays instead of an update in place, a decay with the wrong sign, not multiplied by the
        learning rate, doubled, missing, or applied to the biases.
    """
    params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([1.0])}
    grads = {"W1": np.array([[0.5, 0.5]]), "b1": np.array([0.5])}
    W1, b1 = params["W1"], params["b1"]
    check.call(sgd_step, params, grads, 0.1, 0.1)
    check.assert_true(params["W1"] is W1 and params["b1"] is b1,
                      "update the arrays in place (params[k] -= ...): sgd_step replaced them by new arrays")
    check.assert_close(params["W1"], np.array([[0.94, -2.03]]), "W1 after one step (lr=0.1, weight_decay=0.1)",
                       mistakes={"the weight decay term has the wrong sign (it should pull W towards 0)":
                                 np.array([[0.96, -2.07]]),
                                 "the weight decay term was not multiplied by the learning rate": np.array([[0.85, -1.85]]),
                                 "weight decay was not applied": np.array([[0.95, -2.05]]),
                                 "weight decay doubled: the gradient of (lambda/2) ||W||^2 is lambda W, not 2 lambda W":
                                 np.array([[0.93, -2.01]])})
    check.assert_close(params["b1"], np.array([0.94 + 0.01]), "b1 after one step (no decay on biases)",
                       mistakes={"weight decay was applied to the bias too (biases are not decayed)": np.array([0.94])})
    params = {"W1": np.ones((2, 2)), "b1": np.ones(2)}
    check.call(sgd_step, params, {"W1": np.ones((2, 2)), "b1": np.ones(2)}, 0.5)
    check.assert_close(params["W1"], np.full((2, 2), 0.5), "W1 after a step without weight decay")
    print("sgd_step is correct")


def iterate_minibatches(iterate_minibatches) -> None:
    """Test of ``iterate_minibatches``: every index once per epoch, the batch sizes, a fresh shuffle each epoch.

    Parameters
    ----------
    iterate_minibatches : callable
        Your generator ``iterate_minibatches(n, batch_size, rng)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a dropped last batch, indices drawn with replacement, no shuffling, or the same order in two
        epochs.
    """
    rng = np.random.default_rng(0)
    batches = list(check.call(iterate_minibatches, 103, 25, rng))
    sizes = [len(b) for b in batches]
    check.assert_true(sizes == [25, 25, 25, 25, 3],
                      f"103 examples in batches of 25 should give sizes [25, 25, 25, 25, 3], got {sizes}"
                      + (" (the last, smaller batch was dropped)" if sizes == [25] * 4 else ""))
    everything = np.concatenate(batches)
    check.assert_true(np.array_equal(np.sort(everything), np.arange(103)),
                      "each index 0..102 should appear exactly once per epoch (sample without replacement: a permutation)")
    check.assert_true(not np.array_equal(everything, np.arange(103)), "the batches are not shuffled")
    again = np.concatenate(list(check.call(iterate_minibatches, 103, 25, rng)))
    check.assert_true(not np.array_equal(everything, again),
                      "two epochs gave the same order: draw a new permutation each epoch")
    print("iterate_minibatches is correct")


# ------------------------------------------------------------------ train_epoch, judged with spies

class TrainEpochSpies:
    """Spies for every function ``train_epoch`` calls (``sgd_step`` too): each records what it receives in
    :attr:`calls` and returns made-up values that tell the minibatches apart (minibatch k: logits 1 + k,
    dlogits 10 + k, dprobs 20 + k, ...). Use: ``with isolate.standing_in(spies, within=train_epoch): ...``.
    """
    NAMES = ("iterate_minibatches", "mlp_forward", "softmax_cross_entropy", "softmax", "mse_loss",
             "softmax_backward", "mlp_backward", "sgd_step")
    BATCHES = (np.array([3, 0]), np.array([4, 1]), np.array([2]))     # what the spy iterate_minibatches yields

    def __init__(self):
        self.calls, self.batch = [], -1                  # the calls, and the current minibatch

    def of(self, name) -> list:
        """The recorded calls of `name`."""
        return [c for c in self.calls if c[0] == name]

    def iterate_minibatches(self, n, batch_size, rng):
        self.calls.append(("iterate_minibatches", n, batch_size, rng))
        return iter([b.copy() for b in self.BATCHES])

    def mlp_forward(self, params, X):
        self.batch += 1
        self.calls.append(("mlp_forward", params, X.copy()))
        return np.full((len(X), 3), 1.0 + self.batch), ["caches of minibatch", self.batch]

    def softmax_cross_entropy(self, logits, y):
        self.calls.append(("softmax_cross_entropy", logits.copy(), y.copy()))
        return [1.0, 2.0, 4.0][self.batch], np.full(logits.shape, 10.0 + self.batch)

    def softmax(self, logits):
        self.calls.append(("softmax", logits.copy()))
        return logits / 10.0

    def mse_loss(self, probs, y):
        self.calls.append(("mse_loss", probs.copy(), y.copy()))
        return [0.1, 0.2, 0.4][self.batch], np.full(probs.shape, 20.0 + self.batch)

    def softmax_backward(self, dprobs, probs):
        self.calls.append(("softmax_backward", dprobs.copy(), probs.copy()))
        return np.full(dprobs.shape, 30.0 + self.batch)

    def mlp_backward(self, dlogits, caches):
        self.calls.append(("mlp_backward", np.array(dlogits, dtype=float), caches))
        return {"W1": np.full((2, 3), 100.0 + self.batch), "b1": np.full(3, 200.0 + self.batch)}

    def sgd_step(self, params, grads, lr, weight_decay=0.0):
        self.calls.append(("sgd_step", params, {k: np.array(v, dtype=float) for k, v in grads.items()}, lr,
                           weight_decay))


def _minibatches_and_forwards(spies, where, params_s, X_s, rng_s) -> None:
    """iterate_minibatches(len(X), batch_size, rng) once, then mlp_forward(params, X[idx]) per minibatch."""
    made = spies.of("iterate_minibatches")
    check.assert_true(len(made) == 1 and made[0][1:3] == (5, 2) and made[0][3] is rng_s,
                      f"{where}: " + ("never called iterate_minibatches(len(X), batch_size, rng): the minibatches, and "
                                      "their shuffling, must come from it, with the rng train_epoch is given (np.random."
                                      "permutation uses numpy's global generator instead)" if not made else
                                      f"should call iterate_minibatches(len(X), batch_size, rng) once, with n=5, "
                                      f"batch_size=2 and the rng it was given; got {[c[1:3] for c in made]}"))
    forwards = spies.of("mlp_forward")
    check.assert_true(len(forwards) == 3 and all(c[1] is params_s for c in forwards)
                      and all(np.array_equal(c[2], X_s[b]) for c, b in zip(forwards, spies.BATCHES)),
                      f"{where}: for each of the 3 minibatches idx, call mlp_forward(params, X[idx]) once; got "
                      f"{len(forwards)} calls" + ("" if len(forwards) != 3 else " on other inputs"))


def _losses_and_backwards(spies, where, loss_name, y_s) -> None:
    """Per minibatch: the loss of mlp_forward's logits, then mlp_backward with its caches and the right dlogits."""
    backwards = spies.of("mlp_backward")
    check.assert_true(len(backwards) == 3, f"{where}: mlp_backward should run once per minibatch (3), got {len(backwards)}")
    for k, (b, back) in enumerate(zip(spies.BATCHES, backwards)):
        check.assert_true(back[2] == ["caches of minibatch", k],
                          f"{where}: mlp_backward of minibatch {k} did not receive the caches mlp_forward returned for it")
        if loss_name == "ce":
            got = spies.of("softmax_cross_entropy")
            check.assert_true(len(got) == 3 and np.array_equal(got[k][1], np.full((len(b), 3), 1.0 + k))
                              and np.array_equal(got[k][2], y_s[b]),
                              f"{where}: the loss of each minibatch should be softmax_cross_entropy(logits, y[idx]), "
                              f"with the logits of mlp_forward")
            right, wrong = np.full((len(b), 3), 10.0 + k), {}
        else:
            mse = spies.of("mse_loss")
            check.assert_true(len(mse) == 3 and np.array_equal(mse[k][1], np.full((len(b), 3), (1.0 + k) / 10))
                              and np.array_equal(mse[k][2], y_s[b]),
                              f"{where}: with loss='mse', the loss of each minibatch should be mse_loss(probs, y[idx]) "
                              f"with probs = softmax(logits), the logits of mlp_forward"
                              + ("" if spies.of("softmax") else " (softmax was never called)"))
            right = np.full((len(b), 3), 30.0 + k)
            wrong = {"mlp_backward received mse_loss's dprobs, the gradient with respect to the probabilities: with "
                     "loss='mse' take it through the softmax first, dlogits = softmax_backward(dprobs, probs)":
                     np.full((len(b), 3), 20.0 + k)}
        check.assert_close(back[1], right, f"{where}: the dlogits mlp_backward received for minibatch {k}",
                           mistakes=wrong)


def _sgd_steps(spies, where, params_s) -> None:
    """sgd_step(params, grads, lr, weight_decay) once per minibatch, with mlp_backward's grads, lr=0.3 and the
    weight decay passed on once (not also added to the gradients)."""
    steps = spies.of("sgd_step")
    check.assert_true(len(steps) == 3 and all(c[1] is params_s for c in steps),
                      f"{where}: sgd_step(params, grads, lr, weight_decay) should update the params dict train_epoch "
                      f"was given once per minibatch (3 times), got {len(steps)} calls"
                      + (": is the update applied? (sgd_step after mlp_backward)" if not steps else ""))
    for k, step in enumerate(steps):
        decay_w = np.asarray(step[2]["W1"] - np.full((2, 3), 100.0 + k), dtype=float) / 0.5   # extra decay added to dW
        extra = float(decay_w.mean()) if np.allclose(decay_w, decay_w.mean()) else None
        passed = step[4]
        total = None if extra is None or np.ndim(passed) != 0 else extra + float(passed)
        check.assert_true(step[3] == 0.3 and total is not None and abs(total - 0.1) < 1e-9
                          and np.array_equal(step[2]["b1"], np.full(3, 200.0 + k)),
                          f"{where}: minibatch {k}: sgd_step received lr={step[3]!r} and weight_decay={passed!r}"
                          + (f", and gradients with {extra:g} * W added" if extra else "") + ": "
                          + ("weight decay never passed on: call sgd_step(params, grads, lr, weight_decay), which "
                             "adds weight_decay * W itself" if total == 0 else
                             "weight decay applied twice: train_epoch added weight_decay * W to the gradients and "
                             "sgd_step adds it again; pass the gradients of mlp_backward unchanged" if total is not None
                             and abs(total - 0.2) < 1e-9 else
                             "expected sgd_step(params, grads, lr, weight_decay) with the grads of mlp_backward, "
                             "lr=0.3 and weight_decay=0.1"))


def _one_epoch(train_epoch, loss_name, batch_losses) -> None:
    """One epoch with spies for every function train_epoch calls, then every recorded call judged in order."""
    X_s, y_s = np.arange(10.0).reshape(5, 2), np.array([0, 1, 2, 1, 0])
    params_s, rng_s = {"W1": np.full((2, 3), 0.5), "b1": np.zeros(3)}, np.random.default_rng(7)
    spies = TrainEpochSpies()
    with isolate.standing_in(spies, within=train_epoch):
        result = check.call(train_epoch, params_s, X_s, y_s, 0.3, 2, 0.1, loss_name, rng_s)
    where = f"train_epoch(params, X, y, lr=0.3, batch_size=2, weight_decay=0.1, loss={loss_name!r}, rng)"
    _minibatches_and_forwards(spies, where, params_s, X_s, rng_s)
    _losses_and_backwards(spies, where, loss_name, y_s)
    _sgd_steps(spies, where, params_s)
    mean = float(np.mean(batch_losses))
    check.assert_close(result, mean, f"{where}: the mean of the minibatch losses {batch_losses}",
                       mistakes={"the last minibatch's loss was returned instead of the mean of all minibatch losses":
                                 batch_losses[-1],
                                 "the sum of the minibatch losses was returned instead of their mean": sum(batch_losses)})


def train_epoch(train_epoch) -> None:
    """Test of ``train_epoch``: for every minibatch, forward, loss, backward and an SGD step with the right
    arguments, for ``loss="ce"`` and ``loss="mse"``.

    Every function ``train_epoch`` calls is replaced here by a spy (:class:`TrainEpochSpies`, ``sgd_step`` too)
    that records what it receives and returns made-up values: this test judges ``train_epoch`` alone, the
    functions it calls have their own tests. The spy ``iterate_minibatches`` yields the minibatches
    [3, 0], [4, 1], [2] of 5 examples; the minibatch losses are 1, 2, 4 (cross-entropy) and 0.1, 0.2, 0.4 (MSE).

    Parameters
    ----------
    train_epoch : callable
        Your ``train_epoch(params, X, y, lr, batch_size, weight_decay, loss, rng)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming minibatches not drawn with the given rng, dprobs given to mlp_backward without the softmax
        Jacobian, weight decay not passed on or applied twice, or the last or summed loss returned.
    """
    for loss_name, batch_losses in (("ce", [1.0, 2.0, 4.0]), ("mse", [0.1, 0.2, 0.4])):
        _one_epoch(train_epoch, loss_name, batch_losses)
    print("train_epoch is correct: it calls every piece in order, with the right arguments, for both losses")
