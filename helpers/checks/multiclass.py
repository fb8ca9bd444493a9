"""Visible checks of 05_multiclass_line_search: what its test cells call.

Each check judges one of your functions alone. Where your function calls an earlier one of yours, the
check hands it a simple, known-correct stand-in for the span of the check (:func:`helpers.isolate.standing_in`):
scipy's softmax, a cross-entropy from scipy's relative entropy, the fused loss built from those two, or a
quadratic instead of the network. Your earlier functions have tests of their own, so one mistake costs one task.

Every failure raises :class:`helpers.check.CheckFailure` (an ``AssertionError``) with a diagnosis; a check that
passes prints one line and returns.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, rel_entr
from scipy.special import softmax as _scipy_softmax

from helpers import check, data, isolate

__all__ = ["softmax", "cross_entropy", "softmax_cross_entropy", "compute_grad_loss", "grad_loss_of",
           "test_batch", "armijo_line_search", "gradient_descent", "scipy_softmax", "Quadratic"]


# ------------------------------------------------------------------ stand-ins

def scipy_softmax(z):
    """scipy's softmax over the classes (not the course's code: your softmax has its own test)."""
    return _scipy_softmax(z, axis=1)


def _cross_entropy_stand_in(probs, y):
    """Mean cross-entropy as scipy's relative entropy of the one-hot targets to `probs` (inf where p = 0)."""
    targets = np.eye(probs.shape[1], dtype=probs.dtype)[y]
    return float(np.mean(np.sum(rel_entr(targets, probs), axis=1)))


def _fused_stand_in(Z, y):
    """The fused loss from the stand-ins: loss, and (P - Y) / N with P = scipy's softmax (dtype of Z kept)."""
    P = scipy_softmax(Z)
    return _cross_entropy_stand_in(P, y), (P - np.eye(Z.shape[1], dtype=Z.dtype)[y]) / len(y)


# ------------------------------------------------------------------ softmax

def _softmax_known_values(softmax) -> np.ndarray:
    """softmax of two small rows against known values; a row max or sum of shape (N,) is named."""
    z = np.array([[1.0, 2.0, 3.0],
                  [0.0, 0.0, 0.0]])
    expected = np.array([[0.09003057, 0.24472847, 0.66524096],
                         [1 / 3, 1 / 3, 1 / 3]])
    try:
        p = check.call(softmax, z.copy())
    except ValueError as exc:
        if "broadcast" not in str(exc):
            raise
        raise check.CheckFailure(
            f"softmax([[1, 2, 3], [0, 0, 0]]) raised ValueError: {exc}\n"
            "  Diagnosis: a row maximum or row sum of shape (N,) does not broadcast against the (N, C) logits: "
            "reduce with keepdims=True, which keeps it as an (N, 1) column.") from exc
    columns_sum_to_1 = type(p) is np.ndarray and p.shape == z.shape and bool(np.allclose(p.sum(axis=0), 1.0))
    check.assert_close(p, expected, "softmax([[1, 2, 3], [0, 0, 0]])", tol=1e-7,
                       mistakes={"normalised over the wrong axis: each column of your result sums to 1; each row "
                                 "(axis=1) should": p} if columns_sum_to_1 else None,
                       hint="every row of the result must sum to 1")
    return z


def _softmax_large_logits(softmax) -> np.ndarray:
    """softmax of logits +-1000: finite, exact, the global-max shift named, the input left unchanged."""
    big = np.array([[1000.0, 0.0, -1000.0],
                    [-1000.0, -1000.0, -1000.0],
                    [1000.0, 1000.0, 0.0]])
    big_before = big.copy()
    p_big = check.call(softmax, big)
    check.as_checked_array(p_big, "softmax of logits +-1000")
    bad_rows = (~np.isfinite(p_big)).any(axis=1).tolist() if np.shape(p_big) == big.shape else None
    check.assert_true(bool(np.all(np.isfinite(p_big))),
                      ("softmax of logits +-1000 contains NaN only in the row [-1000, -1000, -1000]: you subtracted the "
                       "maximum of the whole array (1000) instead of each row's maximum, so every exponent of that row "
                       "is exp(-2000) = 0 and the row is 0 / 0. Subtract each row's maximum: z.max(axis=1, keepdims=True)."
                       if bad_rows == [False, True, False] else
                       "softmax of logits +-1000 contains NaN or inf: np.exp(1000) overflows to inf and inf / inf is NaN. "
                       "Use the max trick: subtract each row's maximum before np.exp, with keepdims=True.")
                      + f"\n  your result:\n{p_big}")
    check.assert_close(p_big, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], "softmax of logits +-1000",
                       tol=1e-7, hint="subtract each row's own maximum (axis=1), not the maximum of the whole "
                                      "array or of each column")
    check.assert_true(np.array_equal(big, big_before),
                      "softmax changed its input array in place (e.g. `z -= z.max(...)`); work on a copy: "
                      "`shifted = z - z.max(axis=1, keepdims=True)`")
    return big


def softmax(softmax) -> None:
    r"""Test of ``softmax``: known values, rows that sum to 1, no overflow at logits of +-1000, input unchanged.

    .. math:: p_{ik} = \frac{e^{z_{ik} - m_i}}{\sum_j e^{z_{ij} - m_i}}, \qquad m_i = \max_j z_{ij}

    Parameters
    ----------
    softmax : callable
        Your ``softmax(z)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a normalisation over the wrong axis, a missing ``keepdims=True``, the maximum of the whole
        array instead of each row's, an overflow, or an input modified in place.
    """
    z = _softmax_known_values(softmax)
    big = _softmax_large_logits(softmax)
    print("softmax is correct on", len(z) + len(big), "rows, including logits of +-1000")


# ------------------------------------------------------------------ cross-entropy

def cross_entropy(cross_entropy) -> None:
    r"""Test of ``cross_entropy``: uniform guesses give log 10, certain right answers 0, and a small known case.

    .. math:: L = -\frac{1}{N} \sum_i \log p_{i, y_i}

    Parameters
    ----------
    cross_entropy : callable
        Your ``cross_entropy(probs, y)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a sum instead of a mean, the log of every probability instead of the true class's, or the
        NaN of 0 * log(0) from a one-hot product.
    """
    uniform = np.full((4, 10), 0.1)
    check.assert_close(check.call(cross_entropy, uniform, np.array([0, 3, 9, 3])), np.log(10),
                       "cross-entropy of uniform probabilities (should be log 10)", tol=1e-9, batch_size=4)
    probs = np.array([[0.7, 0.2, 0.1],
                      [0.1, 0.1, 0.8],
                      [0.25, 0.5, 0.25],
                      [0.6, 0.3, 0.1]])
    y_small = np.array([0, 2, 1, 1])
    expected = -(np.log(0.7) + np.log(0.8) + np.log(0.5) + np.log(0.3)) / 4
    check.assert_close(check.call(cross_entropy, probs, y_small), expected, "cross-entropy of a 4-sample batch",
                       tol=1e-9, batch_size=4,
                       mistakes={"averaged the log of all probabilities instead of picking each row's true class "
                                 "with probs[np.arange(N), y]": -np.mean(np.log(probs))})
    # Certain predictions: the probabilities of the other classes are exactly 0.
    certain = check.call(cross_entropy, np.eye(3), np.array([0, 1, 2]))
    check.assert_true(not (np.ndim(certain) == 0 and np.isnan(certain)
                           and "invalid value encountered in multiply" in check.last_warnings),
                      f"the cross-entropy of certain, right predictions is {certain}, not 0: 0 * log(0) = 0 * (-inf) "
                      "gives NaN. Multiplying log(probs) by a one-hot matrix takes the log of every probability, and "
                      "those of the wrong classes are 0 here; pick the true class instead: probs[np.arange(N), y].")
    check.assert_close(certain, 0.0, "cross-entropy of certain, right predictions", tol=1e-12)
    print("cross_entropy is correct")


# ------------------------------------------------------------------ fused softmax cross-entropy

def _sce_at_large_logits(softmax_cross_entropy) -> None:
    """Logits +-1000: per-sample losses 0, 2000 and log 3 (worked out by hand), and their exact dlogits."""
    z_big = np.array([[1000.0, 0.0, -1000.0],
                      [1000.0, 0.0, -1000.0],
                      [-1000.0, -1000.0, -1000.0]])
    y_big = np.array([0, 2, 1])
    loss_big, d_big = check.call(softmax_cross_entropy, z_big, y_big)
    check.assert_true(bool(np.all(np.isfinite(loss_big))),
                      f"the loss at logits +-1000 is {loss_big}: "
                      + ("np.exp(1000) overflowed to inf: subtract each row's maximum before np.exp (the max trick), "
                         "also inside the log-sum-exp" if any("overflow" in w for w in check.last_warnings) else
                         "a probability underflowed to exactly 0 and log(0) = -inf (even a stable softmax gives "
                         "exp(-2000) == 0): compute log p = shifted - log(sum(exp(shifted))) (log-sum-exp) instead "
                         "of np.log(softmax(z))"))
    check.assert_close(loss_big, (0 + 2000 + np.log(3)) / 3, "loss at logits +-1000", tol=1e-9,
                       hint="compute log p = shifted - log(sum(exp(shifted))) (log-sum-exp), not log(softmax(z))")
    expected_d = np.array([[0, 0, 0], [1, 0, -1], [1 / 3, -2 / 3, 1 / 3]]) / 3
    check.assert_close(d_big, expected_d, "dlogits at logits +-1000", tol=1e-9, batch_size=3)


def _sce_gradient_and_dtype(softmax_cross_entropy) -> None:
    """dlogits against central differences on random logits, and float32 logits giving float32 dlogits."""
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, size=(5, 10))
    y_z = rng.integers(0, 10, size=5)
    _, dz = check.call(softmax_cross_entropy, z, y_z)
    check.assert_gradient_matches(lambda v: softmax_cross_entropy(v, y_z)[0], z, dz, "dlogits", batch_size=5)
    _, d32 = check.call(softmax_cross_entropy, z.astype(np.float32), y_z)
    check.assert_true(type(d32) is np.ndarray and d32.dtype == np.float32,
                      f"float32 logits should give float32 dlogits (training runs in float32), got "
                      f"{getattr(d32, 'dtype', type(d32).__name__)}: a float64 array on the way, such as one_hot(y) "
                      f"with its default dtype, turns the result float64; use one_hot(y, C, dtype=logits.dtype) "
                      f"or subtract 1 in place with dlogits[np.arange(N), y] -= 1")


def softmax_cross_entropy(softmax_cross_entropy) -> None:
    r"""Test of ``softmax_cross_entropy``: exact values at logits of +-1000, log 10 at zero logits, the gradient
    against central differences, float32 in and float32 out.

    .. math:: L = \frac{1}{N} \sum_i \bigl(\operatorname{LSE}(z_i) - z_{i, y_i}\bigr), \qquad
              \frac{\partial L}{\partial z} = \frac{P - Y}{N}

    If your function calls ``softmax`` or ``cross_entropy``, it gets correct ones here (scipy's softmax, and a
    cross-entropy from scipy's relative entropy): this test judges ``softmax_cross_entropy`` alone.

    Parameters
    ----------
    softmax_cross_entropy : callable
        Your ``softmax_cross_entropy(logits, y)``, returning ``(loss, dlogits)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming an overflow, a log of an underflowed probability, a gradient scaled by N or with its sign
        flipped, or float64 dlogits from float32 logits.
    """
    with isolate.standing_in(within=softmax_cross_entropy, softmax=scipy_softmax, cross_entropy=_cross_entropy_stand_in):
        _sce_at_large_logits(softmax_cross_entropy)
        loss0, _ = check.call(softmax_cross_entropy, np.zeros((4, 10)), np.array([1, 1, 7, 0]))
        check.assert_close(loss0, np.log(10), "loss at zero logits (should be log 10 = 2.3026)", tol=1e-9)
        _sce_gradient_and_dtype(softmax_cross_entropy)
    print(f"softmax_cross_entropy is correct: loss {loss0:.4f} at zero logits, finite at +-1000, "
          "gradient matches central differences, float32 in, float32 out")


# ------------------------------------------------------------------ compute_grad_loss

def grad_loss_of(compute_grad_loss, params, X, y):
    """``compute_grad_loss(params, X, y)`` with the fused loss it calls stood in for (scipy's softmax).

    Your ``softmax_cross_entropy`` is replaced, for this call only, by the fused loss built from scipy's
    softmax, so that what comes out depends on ``compute_grad_loss`` alone.

    Returns
    -------
    tuple
        What your ``compute_grad_loss`` returned: ``(grads, loss, accuracy)``.
    """
    with isolate.standing_in(within=compute_grad_loss, softmax_cross_entropy=_fused_stand_in):
        return check.call(compute_grad_loss, params, X, y)


def _small_batch(init_params):
    """8 test images and a 784-6-10 network with non-zero biases (as the gradient check table above uses)."""
    X_c, y_c = data.load_mnist("test")
    X_c, y_c = X_c[:8], y_c[:8]
    p_c = init_params(n_hidden=6, seed=1)
    p_c["b1"] += 0.1
    p_c["b2"] += np.linspace(-0.5, 0.5, 10)
    return X_c, y_c, p_c


def _at_zero_weights(compute_grad_loss, X_c, y_c) -> float:
    """All-zero parameters: the loss is log 10 and db2 is 0.1 minus each class's frequency; the accuracy when
    every image is predicted as a 3. Returns the loss at zero weights."""
    N_c = len(y_c)
    zero = {"W1": np.zeros((784, 6)), "b1": np.zeros(6), "W2": np.zeros((6, 10)), "b2": np.zeros(10)}
    grads0, loss0, acc0 = check.call(compute_grad_loss, zero, X_c, y_c)
    check.assert_close(loss0, np.log(10), "loss with all-zero parameters (every class gets p = 0.1)", tol=1e-9)
    check.assert_close(grads0["b2"], 0.1 - np.bincount(y_c, minlength=10) / N_c,
                       "db2 with all-zero parameters (0.1 minus each class's frequency)", tol=1e-9, batch_size=N_c)
    favour3 = {**zero, "b2": 5.0 * np.eye(10)[3]}
    _, _, acc3 = check.call(compute_grad_loss, favour3, X_c, y_c)
    check.assert_close(acc3, np.mean(y_c == 3),
                       "accuracy when every image is predicted as a 3 (fraction of 3s in the batch)", tol=1e-12,
                       hint="accuracy = mean(logits.argmax(axis=1) == y), the largest logit of each row")
    return loss0


def _wrong_hidden_gradients(p_c, X_c, y_c) -> dict:
    """Known wrong answers for dL/dA, as the db1 and dW1 they give, to name them when yours matches one."""
    A_c = X_c @ p_c["W1"] + p_c["b1"]
    S_c = expit(A_c)
    back = _fused_stand_in(S_c @ p_c["W2"] + p_c["b2"], y_c)[1] @ p_c["W2"].T
    wrong_dA = {"the sigmoid derivative was applied to the pre-activation A = X W1 + b1 instead of computed from the "
                "output S = sigmoid(A) as S (1 - S)": back * A_c * (1 - A_c),
                "the sigmoid derivative S (1 - S) is missing from dL/dA": back,
                "dL/dA used W2 instead of W2.T, or the derivative S (1 - S) was applied twice": back * (S_c * (1 - S_c)) ** 2}
    return {"b1": {k: v.sum(axis=0) for k, v in wrong_dA.items()}, "W1": {k: X_c.T @ v for k, v in wrong_dA.items()}}


def compute_grad_loss(compute_grad_loss, init_params) -> None:
    r"""Test of ``compute_grad_loss``: log 10 at zero weights, the accuracy, and every gradient against central
    differences.

    .. math:: \frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h}

    on 8 test images and a 784-6-10 network from ``init_params`` (40 sampled entries of the larger matrices).
    Your ``softmax_cross_entropy`` is replaced here by the fused loss built from scipy's softmax, so that this
    test judges ``compute_grad_loss`` alone (``softmax_cross_entropy`` has its own test).

    Parameters
    ----------
    compute_grad_loss : callable
        Your ``compute_grad_loss(params, X, y)``, returning ``(grads, loss, accuracy)``.
    init_params : callable
        The notebook's ``init_params(n_hidden, seed)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a transposed or rescaled gradient, a sigmoid derivative missing or taken of the pre-activation,
        or an accuracy that is a count.
    """
    X_c, y_c, p_c = _small_batch(init_params)
    with isolate.standing_in(within=compute_grad_loss, softmax_cross_entropy=_fused_stand_in):
        loss0 = _at_zero_weights(compute_grad_loss, X_c, y_c)
        grads, loss, acc = check.call(compute_grad_loss, p_c, X_c, y_c)
        check.assert_true(isinstance(grads, dict) and set(grads) == set(p_c),
                          f"grads must be a dict with the keys {sorted(p_c)}, got {type(grads).__name__} "
                          f"{sorted(grads) if isinstance(grads, dict) else ''}")
        wrong = _wrong_hidden_gradients(p_c, X_c, y_c)
        for name in ("b2", "W2", "b1", "W1"):
            def f(v, name=name):
                return compute_grad_loss({**p_c, name: v}, X_c, y_c)[1]
            check.assert_gradient_matches(f, p_c[name], grads[name], f"d{name}",
                                          sample=40 if p_c[name].size > 40 else None, batch_size=len(y_c),
                                          mistakes=wrong.get(name))
    print(f"compute_grad_loss is correct: loss {loss0:.4f} at zero weights, every gradient matches central differences")


def test_batch(grads_b, loss_b, acc_b, params) -> None:
    """Test of the deliverable: the gradients on ``test_batch_multiclass.pkl`` have the shapes of the parameters,
    and the loss is close to log 10 (the hidden tests compare the values with the reference solution's).

    Parameters
    ----------
    grads_b, loss_b, acc_b
        What :func:`grad_loss_of` gave for your ``compute_grad_loss`` on the test batch.
    params : dict
        The parameters of the test batch.

    Raises
    ------
    helpers.check.CheckFailure
        When a gradient is not a float array of its parameter's shape, or the loss is not near log 10.
    """
    for name, value in params.items():
        check.as_checked_array(grads_b[name], f"d{name} on the test batch")
        check.assert_true(np.shape(grads_b[name]) == value.shape,
                          f"d{name} has shape {np.shape(grads_b[name])}, expected {value.shape} (the shape of {name})")
    check.assert_true(np.isfinite(loss_b) and 2.0 < loss_b < 2.7,
                      f"the loss on the test batch is {loss_b}, expected close to log 10 = 2.30 for small weights")
    print(f"test batch: loss {loss_b:.6f}, accuracy {acc_b:.2f}, "
          + ", ".join(f"|d{k}| = {np.linalg.norm(g):.4g}" for k, g in grads_b.items()))


# ------------------------------------------------------------------ Armijo line search

def _quadratic(p):
    """f(p) = 1/2 sum_k c_k |p_k|^2 with curvatures c = 1 (a) and 10 (B)."""
    return 0.5 * np.sum(p["a"] ** 2) + 5.0 * np.sum(p["B"] ** 2)


def _armijo_holds(step_params, f, p, g, f0, alpha, sigma):
    r"""The Armijo condition :math:`f(p - \alpha g) \le f_0 - \sigma \alpha \|g\|^2` at one step."""
    g2 = sum(np.sum(v * v) for v in g.values())
    return f(step_params(p, g, alpha)) <= f0 - sigma * alpha * g2


def _search(armijo_line_search, *args, **kwargs):
    """check.call(armijo_line_search, ...), naming the usual cause when it reaches outside its arguments."""
    try:
        return check.call(armijo_line_search, *args, **kwargs)
    except (KeyError, NameError) as exc:
        raise check.CheckFailure(
            f"armijo_line_search raised {type(exc).__name__}: {exc} on a problem whose parameters are 'a' and 'B'\n"
            "  Diagnosis: it is not a pure function: evaluate the loss with the callable f it receives, "
            "f(step_params(params, grads, alpha)), not with forward_loss(..., X_train, y_train) or other notebook "
            "variables.") from exc


def _armijo_cases(armijo_line_search, step_params, p_q, g_q) -> None:
    """Four (alpha0, beta, sigma): the step is alpha0 * beta**k, satisfies Armijo, and the previous one did not."""
    for alpha0, beta, sigma in [(1.0, 0.5, 1e-4), (1.0, 0.5, 0.5), (0.01, 0.5, 1e-4), (3.0, 0.3, 0.9)]:
        f0 = _quadratic(p_q)
        alpha, f_new = _search(armijo_line_search, _quadratic, p_q, g_q, f0, alpha0=alpha0, beta=beta, sigma=sigma)
        where = f"(alpha0={alpha0}, beta={beta}, sigma={sigma})"
        k = np.log(alpha / alpha0) / np.log(beta)
        check.assert_true(alpha > 0 and abs(k - round(k)) < 1e-9 and round(k) >= 0,
                          f"{where}: returned alpha = {alpha!r}, which is not alpha0 * beta**k for k = 0, 1, 2, ...")
        check.assert_true(_armijo_holds(step_params, _quadratic, p_q, g_q, f0, alpha, sigma),
                          f"{where}: the returned alpha = {alpha:g} does not satisfy the Armijo condition "
                          f"f(p - alpha g) <= f(p) - sigma alpha ||g||^2 (||g||^2 is the sum of squares, not its root)")
        check.assert_close(f_new, _quadratic(step_params(p_q, g_q, alpha)), f"{where}: f_new, the loss at the new point",
                           tol=1e-12, hint="f_new must be f(step_params(params, grads, alpha)), the loss after a step "
                                           "downhill from params by alpha")
        check.assert_true(alpha == alpha0 or not _armijo_holds(step_params, _quadratic, p_q, g_q, f0, alpha / beta, sigma),
                          f"{where}: returned alpha = {alpha:g}, but the larger step {alpha / beta:g} already "
                          "satisfied the Armijo condition: return the first step that satisfies it (shrank too far)")


def _armijo_fallback(armijo_line_search, step_params, p_q, g_q) -> None:
    """Grads of the wrong sign point uphill, so no step satisfies the condition: after max_shrinks=5 shrinks
    (6 steps tried: 1, 1/2, ..., 1/32) the search gives up and returns the last, smallest step tried."""
    g_up = {k: -v for k, v in g_q.items()}
    alpha, f_new = _search(armijo_line_search, _quadratic, p_q, g_up, _quadratic(p_q), alpha0=1.0, beta=0.5,
                           max_shrinks=5)
    k = float(np.log2(1.0 / alpha)) if np.ndim(alpha) == 0 and alpha > 0 else None
    check.assert_true(bool(np.isclose(alpha, 0.5 ** 5, rtol=1e-12, atol=0.0)),
                      f"when no step satisfies the Armijo condition, return the last step tried, alpha0 * beta**max_shrinks "
                      f"= 0.5**5 = 0.03125 (alpha0=1, beta=0.5, max_shrinks=5); you returned {alpha!r}"
                      + (f" = 0.5**{k:g}: one shrink too many (alpha shrank once more after the last failed try, so the "
                         f"step returned was never tried)" if k == 6 else
                         f" = 0.5**{k:g}: one shrink too few (only max_shrinks steps were tried, alpha0 ... alpha0 * "
                         f"beta**(max_shrinks - 1), not max_shrinks + 1)" if k == 4 else ""))
    check.assert_close(f_new, _quadratic(step_params(p_q, g_up, alpha)),
                       "f_new when every step fails (the loss at the returned step)", tol=1e-12,
                       hint="f_new must be the loss at the alpha returned, f(step_params(params, grads, alpha))")


def armijo_line_search(armijo_line_search, step_params) -> None:
    r"""Test of ``armijo_line_search`` on a quadratic: the returned step satisfies the Armijo condition and the
    previous (larger) one did not; the fallback when no step does; a pure function.

    .. math:: f(p - \alpha g) \le f(p) - \sigma\, \alpha\, \|g\|^2, \qquad
              f(p) = \tfrac12 \|a\|^2 + 5 \|B\|^2

    Parameters
    ----------
    armijo_line_search : callable
        Your ``armijo_line_search(f, params, grads, f0, alpha0, beta, sigma, max_shrinks)``.
    step_params : callable
        The notebook's ``step_params(params, grads, alpha)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a step that fails the condition, a search that shrank too far, one shrink too many or too few,
        a wrong f_new, notebook variables read instead of the arguments, or params modified in place.
    """
    p_q = {"a": np.array([1.0, -2.0, 0.5]), "B": np.array([[0.3, -0.1], [0.2, 0.4]])}
    g_q = {"a": p_q["a"].copy(), "B": 10.0 * p_q["B"]}
    before = {k: v.copy() for k, v in p_q.items()}
    _armijo_cases(armijo_line_search, step_params, p_q, g_q)
    _armijo_fallback(armijo_line_search, step_params, p_q, g_q)
    check.assert_true(all(np.array_equal(p_q[k], before[k]) for k in p_q),
                      "armijo_line_search modified params in place; build new dicts with step_params")
    print("armijo_line_search returns the largest step satisfying the Armijo condition, and the last one tried when none does")


# ------------------------------------------------------------------ gradient descent

class Quadratic:
    r"""Stand-ins for ``compute_grad_loss`` and ``forward_loss``: the quadratic
    :math:`f(p) = \tfrac12 \|w\|^2 + 2 \|b\|^2` of a dict ``{"w", "b"}``, whatever X and y (accuracy 0.5).

    Use: ``with isolate.standing_in(Quadratic()): ...`` (its ``NAMES`` are the names it rebinds).
    """
    NAMES = ("compute_grad_loss", "forward_loss")

    @staticmethod
    def forward_loss(p, X, y):
        return 0.5 * np.sum(p["w"] ** 2) + 2.0 * np.sum(p["b"] ** 2)

    def compute_grad_loss(self, p, X, y):
        return {"w": p["w"].copy(), "b": 4.0 * p["b"]}, self.forward_loss(p, X, y), 0.5


class _SpySearch:
    """A stand-in line search that records what it receives and takes 0.5, 0.75, 0.25, 0.5, ... in turn."""

    def __init__(self, step_params):
        self.step_params, self.calls = step_params, []

    def __call__(self, f, params, grads, f0, alpha0=1.0, **kwargs):
        self.calls.append({"params": {k: v.copy() for k, v in params.items()}, "f0": f0, "alpha0": alpha0,
                           "f_ok": np.isclose(f(params), f0)})
        alpha = 0.25 * (len(self.calls) % 3 + 1)
        return alpha, f(self.step_params(params, grads, alpha))


def _gd_line_search_calls(hist, steps, calls) -> None:
    """History and steps of 4 iterations, and what the line search received (alpha0, f0) in each."""
    check.assert_true(set(hist) >= {"train_loss", "train_acc"} and len(hist["train_loss"]) == 4
                      and len(hist["train_acc"]) == 4 and len(steps) == 4,
                      f"after 4 iterations expected 4 entries in history['train_loss'], history['train_acc'] and "
                      f"steps; got { {k: len(v) for k, v in hist.items()} } and {len(steps)} steps")
    check.assert_true(len(calls) == 4, f"the line search should run once per iteration with step_size=None "
                                       f"(4 times) and never with a fixed step; it ran {len(calls)} times")
    check.assert_close(np.array([c["alpha0"] for c in calls], dtype=float), [0.3, 0.6, 0.6, 0.5],
                       "alpha0 passed to the line search in iterations 0-3 (the search returned 0.5, 0.75, 0.25; "
                       "next alpha0 = min(2 * previous step, alpha_max=0.6))", tol=1e-12)
    check.assert_true(all(c["f_ok"] for c in calls), "the f0 passed to the line search is not f(params) at the "
                                                      "current parameters")
    check.assert_close(np.asarray(steps, dtype=float), [0.5, 0.75, 0.25, 0.5], "steps (what the line search returned)",
                       tol=1e-12)
    check.assert_close(np.asarray(hist["train_loss"], dtype=float), np.array([c["f0"] for c in calls], dtype=float),
                       "history['train_loss'] (loss before each step)", tol=1e-12)


def _gd_updates(p0, p_end, steps, p_fix, steps_fix) -> None:
    """Initial params unchanged; the final params after the line search's steps and after 2 fixed steps."""
    w, b = p0["w"].copy(), p0["b"].copy()
    for a in steps:                 # on the quadratic, each step multiplies w by 1 - a and b by 1 - 4a
        w, b = w - a * w, b - a * 4.0 * b
    check.assert_close(p_end["w"], w, "final params['w'] (params - alpha * grads at every step)", tol=1e-12)
    check.assert_close(p_end["b"], b, "final params['b']", tol=1e-12)
    check.assert_close(np.asarray(steps_fix, dtype=float), [0.1, 0.1], "steps with step_size=0.1", tol=1e-12)
    check.assert_close(p_fix["w"], p0["w"] * 0.9 ** 2, "params['w'] after 2 fixed steps of 0.1", tol=1e-12)


def gradient_descent(gradient_descent, step_params) -> None:
    r"""Test of ``gradient_descent``: history, steps, a warm-started line search and the updates, on a quadratic.

    ``compute_grad_loss`` and ``forward_loss`` are replaced here by the quadratic
    :math:`f(p) = \tfrac12 \|w\|^2 + 2 \|b\|^2` (:class:`Quadratic`), and the line search by a spy that records
    its calls: only the loop itself is judged, not your earlier functions. With a line search, the next
    search starts at :math:`\alpha_0 = \min(2 \alpha_{prev}, \alpha_{max})`.

    Parameters
    ----------
    gradient_descent : callable
        Your ``gradient_descent(params, X, y, n_iters, step_size, line_search, alpha0, alpha_max, callback)``.
    step_params : callable
        The notebook's ``step_params(params, grads, alpha)``.

    Raises
    ------
    helpers.check.CheckFailure
        Naming a history recorded after the step, a line search restarted from the initial alpha0, params
        updated in place, or a step uphill.
    """
    spy = _SpySearch(step_params)
    p0 = {"w": np.array([1.0, -2.0, 3.0]), "b": np.array([0.5])}
    p0_before = {k: v.copy() for k, v in p0.items()}
    seen = []
    X_dummy, y_dummy = np.zeros((3, 784)), np.zeros(3, dtype=int)   # unused by the quadratic
    with isolate.standing_in(Quadratic(), within=gradient_descent):
        p_end, hist, steps = check.call(gradient_descent, p0, X_dummy, y_dummy, 4, line_search=spy, alpha0=0.3,
                                        alpha_max=0.6, callback=lambda t, p, h: seen.append(t))
        p_fix, hist_fix, steps_fix = check.call(gradient_descent, p0, X_dummy, y_dummy, 2, step_size=0.1,
                                                line_search=spy)
    _gd_line_search_calls(hist, steps, spy.calls)
    check.assert_true(all(np.array_equal(p0[k], p0_before[k]) for k in p0),
                      "gradient_descent modified the initial params in place; use step_params, which builds new arrays")
    _gd_updates(p0_before, p_end, steps, p_fix, steps_fix)
    check.assert_true(seen == [0, 1, 2, 3], f"callback(t, params, history) should be called with t = 0, 1, 2, 3; "
                                            f"got {seen}")
    print("gradient_descent runs the loop correctly")
