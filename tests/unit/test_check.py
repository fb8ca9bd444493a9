"""Tests of helpers.check: each diagnosis fires for its mistake and stays silent otherwise.

Shapes are non-square (N=5, D_in=4, D_out=3) so that a transpose cannot hide.
"""
import warnings

import numpy as np
import pytest

from helpers import check
from helpers.check import CheckFailure

N, D_IN, D_OUT = 5, 4, 3


@pytest.fixture(autouse=True)
def no_stale_warnings():
    """Each test starts as if no check.call() had run yet."""
    check.last_warnings.clear()


@pytest.fixture
def layer():
    """A linear layer's backward pass: dW averaged over the batch, db summed over it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D_IN))
    dout = rng.standard_normal((N, D_OUT))
    return {"X": X, "dout": dout, "dW": X.T @ dout / N, "db": dout.sum(axis=0)}


def failure(fn, *args, **kwargs) -> str:
    """The message of the CheckFailure that fn(*args, **kwargs) must raise."""
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------- rel_error

def test_rel_error_is_max_over_entries_as_float():
    err = check.rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert type(err) is float
    assert err == pytest.approx(1 / 5)


def test_rel_error_uses_floor_for_tiny_values():
    assert check.rel_error(0.0, 1e-10) == pytest.approx(1e-10 / 1e-8)


# --------------------------------------------------------------------- numerical_gradient

def test_numerical_gradient_of_sum_of_squares():
    x = np.random.default_rng(1).standard_normal((3, 2))
    grad = check.numerical_gradient(lambda v: np.sum(v ** 2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_of_matrix_product_with_dout(layer):
    W = np.random.default_rng(2).standard_normal((D_IN, D_OUT))
    grad = check.numerical_gradient(lambda w: layer["X"] @ w, W, dout=layer["dout"])
    assert grad.shape == (D_IN, D_OUT)
    np.testing.assert_allclose(grad, layer["X"].T @ layer["dout"], rtol=1e-7, atol=1e-9)


def test_numerical_gradient_float32_input_is_computed_in_float64():
    x = np.array([0.3, -1.7, 2.5], dtype=np.float32)
    seen = []

    def f(v):
        seen.append(v.dtype)
        return np.sum(v ** 3)

    grad = check.numerical_gradient(f, x)
    assert set(seen) == {np.dtype(np.float64)}
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, 3 * x.astype(np.float64) ** 2, rtol=1e-8)


def test_numerical_gradient_never_modifies_the_callers_array():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    received = []

    def f(v):
        received.append(v)
        v *= 10.0       # even a function that mutates its input must not reach the caller's array
        return 0.0

    check.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert all(v is not x for v in received)


def test_numerical_gradient_copes_with_f_returning_a_view_of_its_input():
    dout = np.array([1.0, -2.0, 0.5])
    grad = check.numerical_gradient(lambda v: v, np.zeros(3), dout=dout)
    np.testing.assert_allclose(grad, dout, rtol=1e-8)


def test_numerical_gradient_sample_leaves_nan_and_is_seeded():
    x = np.random.default_rng(3).standard_normal((4, 3))
    f = lambda v: np.sum(v ** 2)   # noqa: E731
    grad = check.numerical_gradient(f, x, sample=5, seed=7)
    checked = ~np.isnan(grad)
    assert checked.sum() == 5
    np.testing.assert_allclose(grad[checked], 2 * x[checked], rtol=1e-8)
    again = check.numerical_gradient(f, x, sample=5, seed=7)
    np.testing.assert_array_equal(np.isnan(again), ~checked)
    other = check.numerical_gradient(f, x, sample=5, seed=8)
    assert not np.array_equal(np.isnan(other), ~checked)


def test_numerical_gradient_rejects_output_of_wrong_shape():
    msg = failure(check.numerical_gradient, lambda v: v[:, None], np.zeros(3), dout=np.ones(3))
    assert "(3, 1)" in msg and "(3,)" in msg


# --------------------------------------------------------------------- as_checked_array

class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(self.shape)


@pytest.mark.parametrize("value, expected_text", [
    ([0.1, 0.2], "dW must be a numpy array of floats, got list: convert with np.asarray(...)"),
    ((0.1, 0.2), "got tuple: convert with np.asarray(...)"),
    (None, "got None: did you forget to return?"),
    (np.array([1, 2], dtype=np.int64), "got int64 array: integer arrays truncate gradients; use float"),
    (np.array([True, False]), "got a bool array (a comparison such as x > 0): multiply by 1.0"),
    (AlwaysEqual(), "got AlwaysEqual"),
    (np.zeros(2).view(LyingArray), "got LyingArray (a subclass of np.ndarray)"),
    (3, "got int 3: use a float"),
])
def test_guard_rejects_with_clear_message(value, expected_text):
    assert expected_text in failure(check.as_checked_array, value, "dW")


def test_guard_accepts_float_arrays_and_scalars():
    arr = np.ones((2, 3), dtype=np.float32)
    assert check.as_checked_array(arr, "x") is arr
    for scalar in (0.25, np.float32(0.25), np.float64(0.25)):
        out = check.as_checked_array(scalar, "loss")
        assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64 and out == 0.25


@pytest.mark.parametrize("liar", [AlwaysEqual(), np.ones(3).view(LyingArray)])
def test_assert_close_is_not_fooled_by_lying_objects(liar):
    msg = failure(check.assert_close, liar, np.ones(3), "h")
    assert msg.startswith("h must be a numpy array of floats")


# --------------------------------------------------------------------- diagnose: each mistake

MISTAKES = {  # name: (wrong answer from the correct dW, diagnose kwargs, text the diagnosis must contain)
    "averaged twice": (lambda g: g / N, {"batch_size": N},
                       "your dW equals the correct one divided by the batch size N=5: did you average twice?"),
    "summed, not averaged": (lambda g: g * N, {"batch_size": N},
                             "multiplied by the batch size N=5: you summed over the batch instead of averaging"),
    "sign flipped": (lambda g: -g, {}, "with the sign flipped: take the gradient of the loss"),
    "factor 2 missing": (lambda g: g / 2, {}, "half the correct one: a factor 2 is missing"),
    "doubled": (lambda g: 2 * g, {}, "twice the correct one: a factor 2 too many"),
    "transposed": (lambda g: g.T, {}, "equals the transpose of the correct one: swap the operands"),
    "transposed and scaled": (lambda g: g.T * N, {"batch_size": N},
                              "the transpose of the correct one multiplied by the batch size N=5"),
    "transposed and negated": (lambda g: -g.T, {}, "the transpose of the correct one with the sign flipped"),
    "all zeros": (np.zeros_like, {}, "your dW is all zeros"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_diagnose_names_each_known_mistake(layer, mistake):
    transform, kwargs, text = MISTAKES[mistake]
    diagnosis = check.diagnose(transform(layer["dW"]), layer["dW"], "dW", **kwargs)
    assert diagnosis is not None and text in diagnosis


def test_diagnose_transpose_of_square_matrix():
    W = np.random.default_rng(4).standard_normal((4, 4))
    assert "transpose" in check.diagnose(W.T, W, "W")


def test_batch_scaling_needs_batch_size(layer):
    assert "batch size" not in (check.diagnose(layer["dW"] / N, layer["dW"], "dW") or "")
    assert check.diagnose(layer["dW"] / N, layer["dW"], "dW", batch_size=1) is None


def test_diagnose_silent_for_correct_answer(layer):
    kwargs = {"batch_size": N, "reduced_from": layer["dout"], "axis": 0, "mistakes": {"m": -layer["db"]}}
    assert check.diagnose(layer["db"].copy(), layer["db"], "db", **kwargs) is None
    assert check.diagnose(layer["dW"] * (1 + 1e-9), layer["dW"], "dW", batch_size=N) is None


def test_diagnose_silent_when_a_mistake_coincides_with_the_answer():
    S = np.array([[2.0, 1.0], [1.0, 3.0]])   # symmetric: its transpose is itself
    assert check.diagnose(S.copy(), S, "S", mistakes={"a mistake equal to the answer here": S}) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_diagnose_silent_for_unrelated_wrong_answers(layer, seed):
    rng = np.random.default_rng(100 + seed)
    mistakes = {"some named mistake": rng.standard_normal((D_IN, D_OUT))}
    wrong = rng.standard_normal((D_IN, D_OUT))
    assert check.diagnose(wrong, layer["dW"], "dW", batch_size=N, mistakes=mistakes) is None
    wrong_b = rng.standard_normal(D_OUT)
    assert check.diagnose(wrong_b, layer["db"], "db", batch_size=N, reduced_from=layer["dout"], axis=0) is None
    assert "Diagnosis" not in failure(check.assert_close, wrong, layer["dW"], "dW", batch_size=N, mistakes=mistakes)


def test_diagnose_does_not_scale_zero_expected():
    zeros = np.zeros((D_IN, D_OUT))
    tiny = np.full((D_IN, D_OUT), 1e-13)
    assert check.diagnose(tiny / 2, tiny, "dW", batch_size=N) is None
    assert check.diagnose(tiny, zeros, "dW", batch_size=N) is None


def test_diagnose_nan_and_inf_counts_entries(layer):
    bad = layer["dW"].copy()
    bad[0, 0], bad[1, 2] = np.nan, np.inf
    diagnosis = check.diagnose(bad, layer["dW"], "dW")
    assert "contains NaN/inf (2 of 12 entries): +inf is an overflow" in diagnosis
    assert "max trick" in diagnosis


@pytest.mark.parametrize("actual_shape, expected_shape, text", [
    ((1, 3), (3,), "shape (1, 3) where (3,) is expected: reduce with axis=0 and without keepdims=True"),
    ((3,), (3, 1), "shape (3,) where (3, 1) is expected: keep the axis with keepdims=True"),
    ((1, 3), (3, 1), "shape (1, 3) where (3, 1) is expected: reshape with .reshape((3, 1))"),
    ((1,), (), "return a single number"),
    ((6,), (2, 3), "laid out as (6,) where (2, 3) is expected"),
])
def test_diagnose_shape_only(actual_shape, expected_shape, text):
    values = np.arange(1.0, 1.0 + np.prod(expected_shape, dtype=int))
    diagnosis = check.diagnose(values.reshape(actual_shape), values.reshape(expected_shape), "db", axis=0)
    assert diagnosis.startswith("same values") and text in diagnosis


def test_diagnose_broadcasting_blow_up():
    y = np.arange(5.0)
    diagnosis = check.diagnose(y - y[:, None], y, "residual")
    assert "shape (5, 5) (25 entries) where (5,) is expected: a broadcasting blow-up?" in diagnosis


def test_diagnose_per_example_loss_not_reduced():
    losses = np.array([0.5, 1.0, 2.0, 0.1, 0.4])
    assert "a single number is expected: take np.mean" in check.diagnose(losses, losses.mean(), "loss")


@pytest.mark.parametrize("wrong, text", [
    (lambda d: d.sum(axis=1), "the sum over axis 1 instead of over axis 0: use axis=0"),
    (lambda d: d.mean(axis=0), "the mean over axis 0 where the sum is expected: use np.sum(..., axis=0)"),
    (lambda d: d.sum(), "the sum over all axes (a single number) instead of over axis 0"),
    (lambda d: d.mean(axis=1), "the mean over axis 1 instead of over axis 0: use axis=0, and np.sum instead"),
])
def test_diagnose_wrong_reduction(layer, wrong, text):
    diagnosis = check.diagnose(wrong(layer["dout"]), layer["db"], "db", reduced_from=layer["dout"], axis=0)
    assert diagnosis is not None and text in diagnosis


def test_diagnose_named_mistake(layer):
    Z = layer["X"] @ np.ones((D_IN, D_OUT))
    a = 1 / (1 + np.exp(-Z))
    wrong = layer["dout"] * Z * (1 - Z)
    text = "the sigmoid derivative was applied to the pre-activation Z instead of the output"
    right = layer["dout"] * a * (1 - a)
    assert check.diagnose(wrong, right, "dZ", mistakes={text: wrong}) == text
    assert check.diagnose(right + 1.0, right, "dZ", mistakes={text: wrong}) is None


@pytest.mark.parametrize("actual, expected, kwargs, result", [
    (np.float64(2.0), 1.0, {}, "your x equals twice the correct one: a factor 2 too many"),
    (np.ones(3), np.ones((4, 3)), {"reduced_from": np.ones((2, 2)), "axis": 5}, None),
    ("not a number", np.ones(3), {}, None),
    (np.ones(3), np.ones(3) * 5, {"reduced_from": ["a", "b"], "axis": 0}, None),
    (np.ones(3), np.ones(3) * 5, {"mistakes": {"unusable entry": object()}}, None),
    (np.ones(0), np.zeros(0), {"batch_size": N}, None),
])
def test_diagnose_never_raises_on_odd_inputs(actual, expected, kwargs, result):
    diagnosis = check.diagnose(actual, expected, "x", **kwargs)
    assert diagnosis == result or diagnosis.startswith(result)


# --------------------------------------------------------------------- assert_close

def test_assert_close_passes_silently(layer, capsys):
    assert check.assert_close(layer["dW"].copy(), layer["dW"], "dW", batch_size=N) is None
    assert check.assert_close(0.5, np.float64(0.5), "loss") is None
    assert capsys.readouterr() == ("", "")


def test_assert_close_report_for_averaging_twice(layer):
    msg = failure(check.assert_close, layer["dW"] / N, layer["dW"], "dW", batch_size=N)
    lines = msg.splitlines()
    assert lines[0] == "dW is wrong: max relative error 6.7e-01 > tolerance 1.0e-06."
    assert lines[1] == "  shape: expected (4, 3), got (4, 3)"
    assert lines[2].startswith("  worst entries: [0, 0] expected ")
    assert lines[3] == ("  Diagnosis: your dW equals the correct one divided by the batch size N=5: "
                        "did you average twice?")


def test_assert_close_worst_entry_points_at_the_wrong_one(layer):
    wrong = layer["dW"].copy()
    wrong[2, 1] += 1.0
    msg = failure(check.assert_close, wrong, layer["dW"], "dW")
    assert f"worst entries: [2, 1] expected {layer['dW'][2, 1]:.4g}, got {wrong[2, 1]:.4g}" in msg
    assert "; [" not in msg   # entries within tolerance are not listed


def test_assert_close_wrong_shape_report(layer):
    msg = failure(check.assert_close, layer["db"][None, :], layer["db"], "db", reduced_from=layer["dout"], axis=0)
    assert msg.splitlines() == [
        "db has the wrong shape: expected (3,), got (1, 3).",
        "  Diagnosis: same values, but shape (1, 3) where (3,) is expected: reduce with axis=0 and without "
        "keepdims=True, or don't add an axis ([:, None], np.newaxis).",
    ]


def test_assert_close_respects_tolerance_and_hint(layer):
    near = layer["dW"] * (1 + 1e-4)
    assert check.assert_close(near, layer["dW"], "dW", tol=1e-3) is None
    msg = failure(check.assert_close, near, layer["dW"], "dW", hint="reuse the cached X")
    assert "max relative error 5.0e-05 > tolerance 1.0e-06" in msg
    assert "Diagnosis: your dW is close but only to a relative error of 5.0e-05" in msg
    assert msg.endswith("  Hint: reuse the cached X")
    far = layer["dW"] * (1 + 1e-2)          # a real error, not a precision problem: no diagnosis
    assert "Diagnosis" not in failure(check.assert_close, far, layer["dW"], "dW")


def test_assert_close_scalar_report():
    msg = failure(check.assert_close, 0.25, 0.5, "loss")
    assert "  value: expected 0.5, got 0.25" in msg
    assert "Diagnosis: your loss equals half the correct one" in msg


def test_assert_close_mentions_captured_numpy_warnings(capsys):
    z = np.array([1.0, 1000.0])
    out = check.call(lambda v: np.exp(v) / (1 + np.exp(v)), z)
    msg = failure(check.assert_close, out, 1 / (1 + np.exp(-z)), "sigmoid(z)")
    assert "numpy reported: overflow encountered in exp; invalid value encountered in divide" in msg
    assert "contains NaN/inf (1 of 2 entries)" in msg
    capsys.readouterr()


# --------------------------------------------------------------------- assert_gradient_matches

def square_loss(x):
    return np.sum(x ** 2)


def test_gradient_check_passes_correct_gradient():
    x = np.random.default_rng(5).standard_normal((N, D_OUT))
    assert check.assert_gradient_matches(square_loss, x, 2 * x, "dx") is None


def test_gradient_check_reports_numerical_reference_and_diagnosis():
    x = np.random.default_rng(5).standard_normal((N, D_OUT))
    msg = failure(check.assert_gradient_matches, square_loss, x, x, "dx")
    assert msg.startswith("dx is wrong: max relative error 3.3e-01")
    assert "compared with: the numerical gradient (central differences) (15 of 15 entries checked)" in msg
    assert "Diagnosis: your dx equals half the correct one: a factor 2 is missing" in msg


def test_gradient_check_transposed_shape(layer):
    W = np.random.default_rng(6).standard_normal((D_IN, D_OUT))
    analytic = (layer["X"].T @ layer["dout"]).T
    msg = failure(check.assert_gradient_matches, lambda w: layer["X"] @ w, W, analytic, "dW", dout=layer["dout"])
    assert msg.startswith("dW has the wrong shape: expected (4, 3), got (3, 4).")
    assert "Diagnosis: your dW equals the transpose of the correct one" in msg


def test_gradient_check_sample_compares_only_sampled_coordinates():
    x = np.random.default_rng(7).standard_normal((6, 5))
    checked = ~np.isnan(check.numerical_gradient(square_loss, x, sample=4, seed=1))
    wrong_elsewhere = np.where(checked, 2 * x, 99.0)
    assert check.assert_gradient_matches(square_loss, x, wrong_elsewhere, "dx", sample=4, seed=1) is None
    msg = failure(check.assert_gradient_matches, square_loss, x, 2 * x / N, "dx", sample=4, seed=1, batch_size=N)
    assert "(4 of 30 entries checked)" in msg
    assert "Diagnosis: your dx equals the correct one divided by the batch size N=5" in msg


def test_gradient_check_named_mistake():
    x = np.random.default_rng(8).standard_normal((N, D_OUT))
    text = "the gradient of the bias term was added to every entry"
    msg = failure(check.assert_gradient_matches, square_loss, x, 2 * x + 1, "dx", mistakes={text: 2 * x + 1})
    assert f"Diagnosis: {text}" in msg


# --------------------------------------------------------------------- assert_true

class LyingBool:
    def __bool__(self):
        return True


def test_assert_true_accepts_only_true():
    assert check.assert_true(True, "ok") is None
    assert check.assert_true(np.float64(1.0) < 2.0, "ok") is None
    assert failure(check.assert_true, False, "the loss did not decrease") == "the loss did not decrease"
    assert failure(check.assert_true, np.False_, "Armijo fails") == "Armijo fails"


@pytest.mark.parametrize("value, type_name", [(LyingBool(), "LyingBool"), (1, "int"), (np.array([True]), "ndarray")])
def test_assert_true_rejects_non_bools(value, type_name):
    msg = failure(check.assert_true, value, "the loss decreased")
    assert msg.startswith("the loss decreased")
    assert f"this check needs True or False, got {type_name}" in msg


# --------------------------------------------------------------------- call

def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_call_captures_overflow_without_stderr(capsys):
    out = check.call(naive_sigmoid, np.array([-1000.0, 0.0]))
    np.testing.assert_allclose(out, [0.0, 0.5])
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ("note: naive_sigmoid raised RuntimeWarning: overflow encountered in exp; "
                            "the result is checked anyway\n")
    assert check.last_warnings == ["overflow encountered in exp"]


def test_call_clears_warnings_and_stays_quiet_when_clean(capsys):
    check.call(naive_sigmoid, np.array([-1000.0]))
    assert check.last_warnings
    assert check.call(naive_sigmoid, np.array([0.0]))[0] == 0.5
    assert check.last_warnings == []
    assert check.call(np.exp, -1000.0) == 0.0          # underflow to 0 is the right answer: no note
    assert check.last_warnings == []
    capsys.readouterr()
    check.call(np.exp, np.array([-1000.0]))
    assert capsys.readouterr() == ("", "")


def test_call_captures_python_warnings(capsys):
    def noisy():
        warnings.warn("this is deprecated", DeprecationWarning)
        return 3
    assert check.call(noisy) == 3
    assert check.last_warnings == ["this is deprecated"]
    assert capsys.readouterr().err == ""


def test_call_propagates_exceptions_unchanged():
    def broken(x):
        raise ValueError(f"shapes {x} not aligned")
    with pytest.raises(ValueError) as info:
        check.call(broken, (2, 3))
    assert str(info.value) == "shapes (2, 3) not aligned" and info.traceback[-1].name == "broken"


def test_gradient_check_captures_warnings_of_f(capsys):
    def overflowing_loss(x):
        return np.sum(np.log1p(np.exp(x)))     # exp(1000) overflows: the loss is inf
    x = np.array([1000.0, 0.0])
    msg = failure(check.assert_gradient_matches, overflowing_loss, x, np.array([1.0, 0.5]), "dx", sample=2)
    assert "numpy reported: overflow encountered in exp" in msg
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("note: overflowing_loss raised RuntimeWarning")


# ------------------------------------------------------- specific before generic (issue 12)

def test_call_names_the_function_its_inputs_and_the_usual_cause():
    def forward(X, W):
        return X @ W
    X, W = np.ones((4, 3)), np.ones((2, 5))
    with pytest.raises(ValueError, match="matmul") as info:
        check.call(forward, X, W)
    note = "\n".join(info.value.__notes__)
    assert "check: raised inside forward(array (4, 3) float64, array (2, 5) float64)" in note
    assert "X @ W" in note and "dW = X.T @ dout" in note
    with pytest.raises(KeyError) as info:
        check.call(lambda p: p["W3"], {"W1": np.ones((2, 2)), "b1": np.zeros(2)})
    assert "{W1: array (2, 2) float64, b1: array (2,) float64}" in info.value.__notes__[0]
    assert "layers numbered W1 ... WL" in info.value.__notes__[0]
    with pytest.raises(RuntimeError) as info:          # no usual cause known: the place only
        check.call(lambda: (_ for _ in ()).throw(RuntimeError("odd")))
    assert "Likely cause" not in info.value.__notes__[0]


def test_named_mistakes_come_before_generic_scalings(layer):
    g = layer["dW"]
    named = {"momentum's (1 - beta) factor with beta = 0.5": g / 2}
    assert check.diagnose(g / 2, g, "dW", mistakes=named).startswith("momentum's (1 - beta)")
    assert "a factor 2 is missing" in check.diagnose(g / 2, g, "dW")
    assert check.diagnose(g / 3, g, "dW", mistakes=named) is None      # a named mistake that does not hold


LOG0, MUL, OVER = ("divide by zero encountered in log", "invalid value encountered in multiply",
                   "overflow encountered in exp")


@pytest.mark.parametrize("warnings_, values, text", [
    ([LOG0], [-np.inf, 1.0], "the log of 0"),
    ([LOG0], [np.inf, 1.0], "the log of 0"),                 # -log(0): a +inf loss
    ([MUL], [np.nan, 1.0], "0 * log(0)"),
    ([LOG0, MUL], [np.nan, 1.0], "0 * log(0)"),              # numpy reports both for 0 * log 0
    ([OVER], [np.inf, np.nan], "an overflow"),
    ([OVER, LOG0], [np.inf, 1.0], "an overflow"),            # the overflow made the probability 0
    ([], [-np.inf, 1.0], "the log of 0"),
    ([], [np.nan, 1.0], "0 / 0, inf - inf or 0 * inf"),
])
def test_nan_causes_are_told_apart(warnings_, values, text):
    check.last_warnings[:] = warnings_
    diagnosis = check.diagnose(np.array(values), np.array([0.5, 1.0]), "loss")
    assert text in diagnosis, diagnosis
    others = {"the log of 0", "0 * log(0)", "an overflow", "0 / 0, inf - inf or 0 * inf"} - {text}
    assert not [o for o in others if o in diagnosis.split(": ", 1)[1][:20]], diagnosis


def test_percentages_and_precision_are_named(layer):
    acc = np.float64(0.9725)
    assert "a percentage where a fraction" in check.diagnose(97.25, acc, "accuracy")
    g = layer["dW"]
    msg = failure(check.assert_close, g.astype(np.float32), g + 1e-6 * np.abs(g).max(), "dW", tol=1e-9)
    assert "your dW is float32" in msg
    msg = failure(check.assert_close, g * (1 + 3e-6), g, "dW", tol=1e-7)
    assert "close but only to a relative error of 1.5e-06" in msg


def test_an_exact_zero_is_judged_on_the_scale_of_the_array():
    expected = np.array([0.0, 1.3, -0.7])
    assert check.assert_close(np.array([1e-12, 1.3, -0.7]), expected, "g", tol=1e-7) is None
    assert check.rel_error(np.array([1e-12]), np.array([0.0])) > 1e-7      # the bare measure would fail it
    msg = failure(check.assert_close, np.array([1e-6, 1.3, -0.7]), expected, "g", tol=1e-7)
    assert "max relative error 7.7e-05" in msg          # 1e-6 / (1 % of 1.3)


def test_precision_below_the_match_tolerance_is_still_named(layer):
    g = layer["dW"]
    msg = failure(check.assert_close, g * (1 + 6e-7), g, "dW", tol=1e-7)
    assert "close but only to a relative error of 3.0e-07" in msg
