"""Visible checks of 02_activations_and_gradients: what its test cells call.

Each public function is named after the test it runs (``sigmoid`` for ``correct_sigmoid``, ...), takes
your function as its first argument, raises :class:`helpers.check.CheckFailure` with a diagnosis when
something is wrong, and prints a one-line confirmation when everything is right::

    from helpers.checks import activations as checks
    checks.relu(relu)

The ground truth is scipy (``scipy.special.expit`` is the sigmoid, the Bernoulli log-likelihood of
``scipy.stats`` the cross-entropy), central differences (:func:`helpers.check.numerical_gradient`) and
values worked out by hand. Where a function calls others of yours (``sigmoid_grad`` calls ``sigmoid``,
``neuron_backward`` four of them), those are replaced by such stand-ins for the span of the check
(:func:`helpers.isolate.standing_in`), so that a bug in one of them costs only its own test.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit
from scipy.stats import bernoulli

from helpers import check, isolate

__all__ = ["sigmoid_naive", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "forward_differences",
           "numerical_gradient", "bce", "bce_grad", "neuron_forward", "bce_scipy", "STAND_INS", "neuron_backward"]


# ------------------------------------------------------------------------ sigmoid_naive

def _sigmoid_naive_at(sigmoid_naive, x, expected, where):
    """Call sigmoid_naive on x and compare with the expected values."""
    try:
        s = check.call(sigmoid_naive, x)
    except TypeError as exc:
        raise check.CheckFailure(f"sigmoid_naive raised TypeError: {exc}\n  on an array of shape {x.shape}. "
                                 f"Diagnosis: math.exp works on single numbers only; use np.exp, which is "
                                 f"elementwise.") from exc
    check.assert_close(s, expected, f"sigmoid_naive(x) {where}", mistakes={
        "the minus sign of exp(-x) is missing: you computed sigmoid(-x) = 1 / (1 + exp(x))": 1 - expected})


def sigmoid_naive(sigmoid_naive):
    r"""Test ``correct_sigmoid_naive``: :math:`\sigma(x) = 1 / (1 + e^{-x})` on a 1-D and a 2-D array.

    The values are known by hand: :math:`\sigma(0) = 1/2`, :math:`\sigma(\log 3) = 3/4`,
    :math:`\sigma(-\log 3) = 1/4`, :math:`\sigma(\log 9) = 9/10`.
    """
    _sigmoid_naive_at(sigmoid_naive, np.array([-2.0, 0.0, 2.0]),
                      np.array([0.11920292202211755, 0.5, 0.8807970779778823]), "at x = [-2, 0, 2]")
    _sigmoid_naive_at(sigmoid_naive, np.array([[0.0, np.log(3.0)], [-np.log(3.0), np.log(9.0)]]),
                      np.array([[0.5, 0.75], [0.25, 0.9]]), "at x = [[0, log 3], [-log 3, log 9]]")
    print("sigmoid_naive([-2, 0, 2]) = [0.1192, 0.5, 0.8808]: correct")


# ------------------------------------------------------------------------------ sigmoid

def _silent(x, warned, where):
    """No numpy warning while sigmoid ran; else name overflow, or np.where's discarded branch."""
    loud = [float(v) for v in np.ravel(x) if np.abs(v) > 700][:4]
    both = ("np.where(x >= 0, A, B) computes both A and B on every element before choosing, so it overflows in the "
            "branch it then throws away; compute each formula on its own elements (out[pos] = ..., out[~pos] = ...)")
    overflow = (f"np.exp overflowed (exp(710) is already inf; your x included {loud}). Only ever exponentiate a "
                f"number <= 0: exp(-x) where x >= 0, exp(x) where x < 0")
    # inf / inf = NaN in a discarded branch is the sign of np.where; a plain overflow gives inf, and 1 / (1 + inf) = 0
    first, then = (both, overflow) if any("invalid value" in m for m in warned) else (overflow, "If you used " + both)
    check.assert_true(not warned,
        f"sigmoid(x) {where} has the right values but is not silent: numpy reported {'; '.join(warned)}.\n"
        f"  Diagnosis: {first}.\n  {then}.")


def _exact(x, s, exact, where):
    """Every digit counts where sigma(x) is a normal float: relative error <= 1e-12, also in the tails."""
    tail = exact > 1e-300
    ratio = s[tail] / exact[tail]
    i = int(np.argmax(np.abs(ratio - 1))) if ratio.size else 0
    check.assert_true(bool(ratio.size == 0 or np.abs(ratio[i] - 1) <= 1e-12),
        f"sigmoid(x) {where} is not exact: at x = {x[tail][i]:.6g} the true value is {exact[tail][i]:.16g}, "
        f"yours is {s[tail][i]:.16g} (relative error {abs(ratio[i] - 1):.1e} > 1e-12).\n"
        f"  Diagnosis: digits lost to cancellation: computing 1 - (a number close to 1), e.g. 1 - 1 / (1 + exp(x)), "
        f"1 - sigmoid(-x) or 0.5 * (1 + tanh(x / 2)), throws the leading digits away. For x < 0 use "
        f"exp(x) / (1 + exp(x)); clipping x (e.g. to [-500, 500]) is not exact either.")


def _sigmoid_at(sigmoid, x, where):
    """Compare sigmoid(x) with scipy's expit: float output, values, silence, then exactness in the tails."""
    s = check.call(sigmoid, x)
    warned = list(check.last_warnings)
    check.assert_true(not (type(s) is np.ndarray and s.dtype.kind in "iub"),
        f"sigmoid(x) {where} returned an array of {s.dtype if type(s) is np.ndarray else ''} values, not floats.\n"
        f"  Diagnosis: the output keeps x's integer dtype: np.empty_like(x) (or np.zeros_like(x), or writing into x) "
        f"makes an integer array, and the floats stored in it are truncated to 0 or 1. Convert first: "
        f"x = np.asarray(x, dtype=np.float64).")
    s = check.as_checked_array(s, f"sigmoid(x) {where}")
    exact = expit(x)
    check.assert_close(s, exact, f"sigmoid(x) {where}")
    _silent(x, warned, where)
    _exact(x, s, exact, where)


def sigmoid(sigmoid):
    """Test ``correct_sigmoid``: exact (to ~1e-12 relative, also in the tails) and silent for |x| up to 1e4.

    Compared with scipy's ``expit``, on floats from -1e4 to 1e4 and on an integer array (the output must
    be floats). "Silent": numpy reports no overflow or invalid value while your sigmoid runs.
    """
    _sigmoid_at(sigmoid, np.array([-1e4, -1000.0, -700.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0, 1e4]),
                "at x = [-1e4, -1000, -700, -30, -1, 0, 1, 30, 1000, 1e4]")
    _sigmoid_at(sigmoid, np.array([-800, -40, -3, 0, 2, 37, 900]),
                "at the integer array x = [-800, -40, -3, 0, 2, 37, 900]")
    print(f"sigmoid(-30) = {sigmoid(np.array([-30.0]))[0]:.15e}  (exact: 9.357622968839300e-14)")
    print("sigmoid is exact and silent from -1e4 to 1e4, and gives floats for integer x: correct")


# ------------------------------------------------------------------------- sigmoid_grad

def sigmoid_grad(sigmoid_grad):
    r"""Test ``correct_sigmoid_grad``: central differences of the sigmoid at moderate x, 0 far in the tails.

    While your ``sigmoid_grad`` runs, scipy's ``expit`` stands in for your ``sigmoid``. Far in both
    tails :math:`\sigma'(x) = \sigma(x)\,\sigma(-x)` underflows to 0: sigmoid_grad must give 0 there, not NaN.
    """
    with isolate.standing_in(within=sigmoid_grad, sigmoid=expit):
        x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0, 4.0])
        check.assert_gradient_matches(lambda v: 1 / (1 + np.exp(-v)), x, check.call(sigmoid_grad, x),
                                      "sigmoid_grad(x) at x = [-3, -1, 0, 0.5, 2, 4]", dout=np.ones_like(x), mistakes={
            "the argument was treated as the sigmoid's output: x * (1 - x) is sigma'(z) only when x = sigma(z); "
            "sigmoid_grad receives the input, so compute s = sigmoid(x) first": x * (1 - x)})
        x = np.array([-1e4, -1000.0, -40.0, 40.0, 1000.0, 1e4])
        check.assert_close(check.call(sigmoid_grad, x), expit(x) * expit(-x),
                           "sigmoid_grad(x) at x = [-1e4, -1000, -40, 40, 1000, 1e4]",
                           hint="compute s = sigmoid(x) with the stable sigmoid, then s * (1 - s): a formula with "
                                "exp(-x) overflows at x = -1e4 (exp(1e4) = inf, and inf / inf = NaN)")
        print("sigmoid_grad(0) =", check.call(sigmoid_grad, np.array([0.0]))[0], " (expected 0.25)")
    print("sigmoid_grad matches central differences, and is 0 (not NaN) far in both tails: correct")


# --------------------------------------------------------------------------------- relu

def relu(relu):
    """Test ``correct_relu``: max(0, x) elementwise, a new array of x's shape, x itself unchanged.

    relu is called on a copy of x, and the copy must be untouched afterwards.
    """
    x, expected = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -1e-9]]), np.array([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]])
    where = "at x = [[-2, -0.5, 0], [0.5, 3, -1e-9]]"
    given = x.copy()
    r = check.call(relu, given)
    check.assert_true(bool(np.array_equal(given, x)),
        f"relu changed its input x {where}: it was {x.ravel()[:6]}, it is now {given.ravel()[:6]}.\n"
        f"  Diagnosis: x[x < 0] = 0 (or np.maximum(x, 0, out=x)) writes into the caller's array; "
        f"return a new one, e.g. np.maximum(x, 0).")
    check.assert_close(r, expected, f"relu(x) {where}", mistakes={
        "np.max(x, 0) is the largest entry along axis 0 (a reduction), not an elementwise maximum: "
        "use np.maximum(x, 0)": np.max(x, 0)})
    print("relu([[-2, -0.5, 0], [0.5, 3, -1e-9]]) = [[0, 0, 0], [0.5, 3, 0]]: correct")


def relu_grad(relu_grad):
    """Test ``correct_relu_grad``: 1.0 for x > 0 and 0.0 for x <= 0 (0 at the kink), floats of x's shape.

    The expected values are ``np.where(x > 0, 1.0, 0.0)``; the usual slips (np.sign, relu itself,
    x >= 0, all ones, a boolean array) are named.
    """
    x, where = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -1e-9]]), "at x = [[-2, -0.5, 0], [0.5, 3, -1e-9]]"
    g = check.call(relu_grad, x.copy())
    check.assert_true(not (type(g) is np.ndarray and g.dtype == bool),
        f"relu_grad(x) {where} returned a boolean array (True/False): the gradient must be floats; "
        f"convert with (x > 0).astype(float), or use np.where(x > 0, 1.0, 0.0).")
    check.assert_close(g, np.where(x > 0, 1.0, 0.0), f"relu_grad(x) {where}", mistakes={
        "-1 for negative x: np.sign(x) is not the derivative of ReLU; it is 0 for x < 0 (ReLU is flat there)":
            np.sign(x),
        "you returned relu(x) itself, not its derivative: the slope is 1 where x > 0, 0 elsewhere":
            np.maximum(x, 0),
        "1 at the kink x = 0: by this notebook's convention the subgradient at 0 is 0 (use x > 0, not x >= 0)":
            np.where(x >= 0, 1.0, 0.0),
        "1 everywhere: ReLU's slope is 0 for x < 0": np.ones_like(x)})
    print("relu_grad([[-2, -0.5, 0], [0.5, 3, -1e-9]]) = [[0, 0, 0], [1, 1, 0]]: correct")


# ------------------------------------------------------------------- numerical_gradient

def forward_differences(f, x, h=1e-5):
    r"""The one-sided estimate :math:`(f(x + h e_i) - f(x)) / h`: a *wrong* answer, for the diagnosis.

    Its error is of order h, where central differences are accurate to order :math:`h^2`.
    """
    x = np.array(x, dtype=np.float64)
    steps = h * np.eye(x.size).reshape((x.size,) + x.shape)      # h e_i, one per coordinate i
    return (np.array([f(x + step) for step in steps], dtype=np.float64).reshape(x.shape) - f(x)) / h


def _gradient_close(g, known, f, x, where, hint):
    """g must be within 1e-7 of the known gradient; the usual mistakes are named."""
    with np.errstate(all="ignore"):
        all_at_once = (f(x + 1e-5) - f(x - 1e-5)) / 2e-5
    check.assert_close(g, known, f"numerical_gradient(f, x) {where}", tol=1e-7, mistakes={
        "forward differences (f(x + h e_i) - f(x)) / h: their error is of order h (about 1e-5 here); "
        "the central difference (f(x + h e_i) - f(x - h e_i)) / (2h) is accurate to about 1e-10":
            forward_differences(f, x),
        "divided by h instead of 2h: the two points x + h e_i and x - h e_i are 2h apart, so the central "
        "difference is (f(x + h e_i) - f(x - h e_i)) / (2h)": 2 * known,
        "all coordinates were perturbed at once (f(x + h) - f(x - h)) / (2h), a single number: "
        "perturb one entry x[i] at a time and fill grad[i]": all_at_once},
        hint=hint or "central differences: grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h), with 2h below the line")


def _precise(g, known, f, x, where, hint):
    """:func:`_gradient_close`, and a wrong answer close to the truth (1e-7 < error < 0.1) with no
    diagnosis of its own is diagnosed as an imprecise estimate (large h, one-sided, float32)."""
    try:
        _gradient_close(g, known, f, x, where, hint)
    except check.CheckFailure as failure:
        error = check.rel_error(g, known) if type(g) is np.ndarray and g.shape == known.shape else np.inf
        if "Diagnosis:" in str(failure) or not 1e-7 < error < 0.1:
            raise
        report, _, hint_line = str(failure).partition("\n  Hint:")
        raise check.CheckFailure(
            f"{report}\n  Diagnosis: close to the true gradient, but only to a relative error of {error:.1e}: an "
            f"imprecise estimate. A step h that is too large? The error of central differences grows like h**2 "
            f"(h = 1e-5 is the default for a reason); or one-sided differences, or float32 somewhere."
            + (f"\n  Hint:{hint_line}" if hint_line else "")) from None


def _integer_x(numerical_gradient, f, x, g, known, where):
    """On an integer x: right on a float copy of x, wrong on x itself means the integer dtype is the cause."""
    g_float = check.call(numerical_gradient, f, x.astype(np.float64))
    if (type(g) is np.ndarray and g.dtype.kind == "f" and g.shape == known.shape
            and check.rel_error(g_float, known) <= 1e-7 and not check.rel_error(g, known) <= 1e-7):
        raise check.CheckFailure(
            f"numerical_gradient(f, x) {where} is wrong: {np.round(g, 6).tolist()} where "
            f"{np.round(known, 6).tolist()} is expected, although it is right for the same x as floats.\n"
            f"  Diagnosis: x may be an integer array: x[i] = old + h on it is truncated back to an integer (and "
            f"old - h to old - 1), so the estimates are 0 or nonsense; work on a float copy, "
            f"x = np.array(x, dtype=np.float64).")


def _numerical_gradient_at(numerical_gradient, f, x, known, where, hint=None):
    """numerical_gradient(f, x) must leave x alone and be within 1e-7 of the known gradient."""
    given = x.copy()
    g = check.call(numerical_gradient, f, given)
    check.assert_true(bool(given.shape == x.shape and np.allclose(given, x, rtol=1e-12, atol=0)),
        f"numerical_gradient changed its input x {where}: it was {x.ravel()[:4]}, it is now {given.ravel()[:4]}.\n"
        f"  Diagnosis: an entry was not restored after its perturbation (x[i] += h; x[i] -= 2 * h; ... needs "
        f"x[i] = old at the end); work on a copy: x = np.array(x, dtype=np.float64).")
    if x.dtype.kind in "iu":
        _integer_x(numerical_gradient, f, x, g, known, where)
    _precise(g, known, f, x, where, hint)


def numerical_gradient(numerical_gradient):
    r"""Test ``correct_numerical_gradient``: four functions whose gradients are known in closed form.

    .. math:: \nabla \sum x^3 = 3 x^2, \quad \nabla_X \sum \sin(X) \odot A = \cos(X) \odot A, \quad
              \nabla\, x^\top M x = (M + M^\top) x, \quad \nabla \sum \cos(x)\, x = \cos(x) - x \sin(x)

    (M not symmetric; the last at an *integer* x). Each estimate must be within 1e-7 of the known
    gradient, and x must be unchanged afterwards.
    """
    M = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, -2.0]])   # not symmetric
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    X, v, n = np.array([[0.0, 1.0, -1.0], [2.0, 0.5, 3.0]]), np.array([1.0, -2.0, 0.5]), np.array([[1, -2], [3, 0]])
    for f, x, known, where in [
            (lambda u: np.sum(u ** 3), np.array([1.5, -0.5, 2.0]), np.array([6.75, 0.75, 12.0]),
             "for f(x) = sum(x**3) at x = [1.5, -0.5, 2] (gradient 3 x**2 = [6.75, 0.75, 12])"),
            (lambda u: np.sum(np.sin(u) * A), X, np.cos(X) * A,
             "for f(X) = sum(sin(X) * A), X of shape (2, 3) (gradient cos(X) * A)"),
            (lambda u: u @ M @ u, v, (M + M.T) @ v,
             "for f(x) = x @ M @ x with M not symmetric (gradient (M + M.T) @ x)"),
            (lambda u: np.sum(np.cos(u) * u), n, np.cos(n) - n * np.sin(n),
             "for f(x) = sum(cos(x) * x) at the integer array x = [[1, -2], [3, 0]] (gradient cos(x) - x sin(x))")]:
        _numerical_gradient_at(numerical_gradient, f, x, known, where)
    print("numerical_gradient matches 3 x**2, cos(X) * A, (M + M.T) x and, on integer x, cos(x) - x sin(x) "
          "to 1e-7: correct")


# ---------------------------------------------------------------------------------- bce

def _bce_finite(bce, y_hat, y, where):
    """bce must be a finite number at predictions of exactly 0 and 1."""
    loss = check.as_checked_array(check.call(bce, y_hat, y), f"bce {where}")
    check.assert_true(bool(np.all(np.isfinite(loss))),
        f"bce {where} is {loss}: it must be finite.\n  Diagnosis: the prediction was not clipped: log(0) = -inf, "
        f"and 0 * log(0) = 0 * (-inf) = NaN. Clip first: p = np.clip(y_hat, EPS, 1 - EPS)."
        + (f"\n  numpy reported: {'; '.join(check.last_warnings)}" if check.last_warnings else ""))
    return loss


def bce(bce, eps):
    r"""Test ``correct_bce``: the mean binary cross-entropy, finite (clipped with `eps`) at 0 and 1.

    Each example's loss is :math:`-\log` of the probability given to its true label: 0.9, 0.8, 0.6 and
    0.5 on the first batch. With predictions of exactly 0 and 1, right ones cost
    :math:`-\log(1 - \epsilon) \approx 10^{-7}`, wrong ones :math:`-\log \epsilon = 16.118` each.

    Parameters
    ----------
    bce : callable
        Your ``bce(y_hat, y) -> float``.
    eps : float
        The notebook's ``EPS``.
    """
    y_hat, y = np.array([0.9, 0.2, 0.6, 0.5]), np.array([1.0, 0.0, 1.0, 0.0])
    check.assert_close(check.call(bce, y_hat, y), -np.mean(np.log([0.9, 0.8, 0.6, 0.5])),
                       "bce(y_hat=[0.9, 0.2, 0.6, 0.5], y=[1, 0, 1, 0]) (expected 0.38312)", batch_size=4)
    y_hat, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    check.assert_close(_bce_finite(bce, y_hat, y, "at y_hat = [0, 1, 0, 1], y = [0, 1, 1, 0]"),
                       (-2 * np.log(eps) - 2 * np.log(1 - eps)) / 4,
                       "bce(y_hat=[0, 1, 0, 1], y=[0, 1, 1, 0]) (expected 8.0590)", batch_size=4,
                       hint="clip with the notebook's EPS = 1e-7: a wrong prediction of exactly 0 or 1 costs "
                            "-log(EPS) = 16.118, a right one -log(1 - EPS) = 1e-7")
    print("bce = 0.38312 on the first batch and 8.0590 (finite) with predictions of exactly 0 and 1: correct")


def _bce_grad_at(bce_grad, y_hat, y, expected, where, hint=None):
    """Finite first, then the values, naming the usual mistakes."""
    g = check.as_checked_array(check.call(bce_grad, y_hat, y), f"bce_grad {where}")
    check.assert_true(bool(np.all(np.isfinite(g))),
        f"bce_grad {where} is {g}: it must be finite.\n  Diagnosis: the prediction was not clipped: at y_hat = 0 "
        f"or 1 the formula divides by 0 (giving inf, or NaN for 0 / 0). Clip first: p = np.clip(y_hat, EPS, 1 - EPS)."
        + (f"\n  numpy reported: {'; '.join(check.last_warnings)}" if check.last_warnings else ""))
    N = len(y)
    p = np.clip(y_hat, 1e-7, 1 - 1e-7)
    check.assert_close(g, expected, f"bce_grad {where}", batch_size=N, hint=hint, mistakes={
        "the second term has the wrong sign: d/dp log(1 - p) = -1 / (1 - p) (chain rule), so the term "
        "-(1 - y) log(1 - p) contributes +(1 - y) / (1 - p)": (-y / p - (1 - y) / (1 - p)) / N})


def bce_grad(bce_grad, eps):
    r"""Test ``correct_bce_grad``: dL/dy_hat of the mean BCE (with its 1/N), finite at 0 and 1.

    For y = 1 the gradient is :math:`-1 / (N \hat y)`, for y = 0 it is :math:`1 / (N (1 - \hat y))`;
    here N = 4, and predictions of exactly 0 and 1 are clipped to [`eps`, 1 - `eps`] first.
    """
    y_hat, y = np.array([0.9, 0.2, 0.6, 0.5]), np.array([1.0, 0.0, 1.0, 0.0])
    _bce_grad_at(bce_grad, y_hat, y, np.array([-1 / 0.9, 1 / 0.8, -1 / 0.6, 1 / 0.5]) / 4,
                 "at y_hat = [0.9, 0.2, 0.6, 0.5], y = [1, 0, 1, 0]")
    y_hat, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    _bce_grad_at(bce_grad, y_hat, y, np.array([1.0, -1.0, -1 / eps, 1 / eps]) / 4,
                 "at y_hat = [0, 1, 0, 1], y = [0, 1, 1, 0]",
                 hint="evaluate the formula at p = np.clip(y_hat, EPS, 1 - EPS) with the notebook's EPS = 1e-7")
    print("bce_grad = [-0.2778, 0.3125, -0.4167, 0.5] and finite at 0 and 1 (+-2.5e6 for the wrong ones): correct")


# ----------------------------------------------------------------------- neuron_forward

def neuron_forward(neuron_forward, sigmoid):
    r"""Test ``correct_neuron_forward``: (y_hat, z) of shape (N,), :math:`z = Xw + b`, :math:`\hat y = \sigma(z)`.

    On X of shape (5, 3); the expected z is computed one example at a time, :math:`z_n = x_n \cdot w + b`,
    and y_hat with the `sigmoid` given (yours: a bug in it costs only its own test).
    """
    X, w, b = np.random.default_rng(3).normal(size=(5, 3)), np.array([0.8, -1.2, 0.5]), 0.1
    where = "for X of shape (5, 3), w = [0.8, -1.2, 0.5], b = 0.1"
    out = check.call(neuron_forward, X, w, b)
    check.assert_true(isinstance(out, (tuple, list)) and len(out) == 2,
                      f"neuron_forward must return the pair (y_hat, z), got {type(out).__name__} {where}")
    y_hat, z = out
    z_ok = np.array([X[n] @ w + b for n in range(len(X))])       # one example at a time
    y_ok = sigmoid(z_ok)
    swapped = "y_hat and z are swapped: return (y_hat, z) in this order"
    check.assert_close(z, z_ok, f"z {where}", mistakes={
        "the bias b is missing: z = X w + b": z_ok - b, swapped: y_ok},
        hint="X has shape (N, D) and w shape (D,): X @ w has shape (N,)")
    check.assert_close(y_hat, y_ok, f"y_hat {where}", mistakes={
        "the bias b is missing: y_hat = sigmoid(X w + b)": sigmoid(z_ok - b),
        "y_hat is the pre-activation: apply the sigmoid": z_ok})
    print("neuron_forward: z = X w + b of shape (5,), y_hat = sigmoid(z): correct")


# ---------------------------------------------------------------------- neuron_backward

def bce_scipy(y_hat, y):
    """The mean binary cross-entropy at moderate predictions (no clipping needed), from scipy's Bernoulli."""
    return float(-np.mean(bernoulli.logpmf(y, y_hat)))


STAND_INS = {   # what neuron_backward's test puts in place of your sigmoid, sigmoid_grad, bce and bce_grad
    "sigmoid": expit,
    "sigmoid_grad": lambda v: check.numerical_gradient(lambda u: np.sum(expit(u)), v),    # elementwise sigma'
    "bce": bce_scipy,
    "bce_grad": lambda y_hat, y: check.numerical_gradient(lambda p: bce_scipy(p, y), y_hat),
}


def _wrong_dz(z, y):
    """{diagnosis: dL/dz} with sigma' in the wrong place, or the 1/N missing (built from the stand-ins)."""
    sig, dsig, dbce, N = STAND_INS["sigmoid"], STAND_INS["sigmoid_grad"], STAND_INS["bce_grad"], len(y)
    dy = dbce(sig(z), y)                   # the upstream gradient dL/dy_hat
    return {
        "the sigmoid derivative was applied to the upstream gradient: sigmoid_grad(dL/dy_hat); "
        "evaluate it at the pre-activation z: dz = dL/dy_hat * sigmoid_grad(z)": dy * dsig(dy),
        "the sigmoid derivative was applied to the upstream gradient alone: sigmoid_grad(dL/dy_hat) "
        "replaced dL/dy_hat; use dz = dL/dy_hat * sigmoid_grad(z)": dsig(dy),
        "the sigmoid derivative was applied to the output y_hat instead of the pre-activation z: "
        "use sigmoid_grad(z), not sigmoid_grad(y_hat)": dy * dsig(sig(z)),
        "the sigmoid's derivative is missing: dz = dL/dy_hat * sigmoid_grad(z)": dy,
        f"the 1/N of the mean is missing (N={N}): the loss is the mean over the batch, so dL/dz carries a factor "
        f"1/N (bce_grad already contains it; a formula for dL/dz written out by hand needs it too)": N * dy * dsig(z)}


def _through_z(dz, X, w):
    """The (dX, dw, db) a given dL/dz leads to, passed back through z = X w + b (numerically)."""
    return {"dX": check.numerical_gradient(lambda X_: X_ @ w, X, dout=dz),
            "dw": check.numerical_gradient(lambda w_: X @ w_, w, dout=dz), "db": np.sum(dz)}


def neuron_backward(neuron_backward, tol=1e-6):
    r"""Test ``correct_neuron_backward``: dw, db and dX match central differences of the loss.

    .. math:: L(X, w, b) = \mathrm{BCE}(\sigma(Xw + b), y)

    on N = 5 examples with D = 3 features. While your ``neuron_backward`` runs, :data:`STAND_INS`
    (built from scipy: its sigmoid ``expit``, the BCE as the negative mean Bernoulli log-likelihood,
    and central differences of those for the derivatives) replace your sigmoid, sigmoid_grad, bce and
    bce_grad, so that a bug in one of those costs only its own test.
    """
    rng = np.random.default_rng(4)
    X, w, b, y = rng.normal(size=(5, 3)), np.array([0.8, -1.2, 0.5]), 0.1, np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    where = "for X of shape (5, 3), w = [0.8, -1.2, 0.5], b = 0.1, y = [1, 0, 1, 1, 0]"
    sig, z = STAND_INS["sigmoid"], X @ w + b
    with isolate.standing_in(within=neuron_backward, **STAND_INS):
        out = check.call(neuron_backward, X, w, z, y)
    check.assert_true(isinstance(out, (tuple, list)) and len(out) == 3,
                      f"neuron_backward must return (dX, dw, db), got {type(out).__name__} {where}")
    wrong = {text: _through_z(dz, X, w) for text, dz in _wrong_dz(z, y).items()}
    got = dict(zip(("dX", "dw", "db"), out))
    for name, at, loss in [("dw", w, lambda w_: bce_scipy(sig(X @ w_ + b), y)),
                           ("db", np.array(b, dtype=float), lambda b_: bce_scipy(sig(X @ w + b_), y)),
                           ("dX", X, lambda X_: bce_scipy(sig(X_ @ w + b), y))]:
        check.assert_gradient_matches(loss, at, got[name], f"{name} {where}", tol=tol, batch_size=len(y),
                                      mistakes={text: grads[name] for text, grads in wrong.items()})
    print("dw, db and dX match central differences of the loss: correct")
