"""Diagnoses: what a wrong array probably is, named, with the measured error.

The catalogue of generic mistakes behind every failure message of helpers.check and of the
grader's judge, tried in this order: NaN/inf (told apart by numpy's warnings: overflow, log of 0,
0·log 0), shape and size, the test's own named mistakes, a reduction over the wrong axis or a sum
for a mean, a scaling (1/N missing or twice, a sign flip, x2, x100, a transpose), all zeros, and
precision (float32, or close but imprecise). :func:`diagnose` returns the first that fits.

It also holds the measure every check compares with its tolerance (:func:`check_error`).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

FLOOR = 1e-8          # denominator floor of rel_error (as in cs231n)
SCALE_FLOOR = 1e-2    # in checks, an entry's error is measured against at least 1 % of the largest expected entry
MATCH_TOL = 1e-6      # how close `actual` must be to a known mistake to be diagnosed as it

# numpy's warnings captured by the most recent helpers.check.call (the same list object there)
last_warnings: list[str] = []

_SCALAR_TYPES = {"f": (float, np.float16, np.float32, np.float64, np.longdouble),
                 "i": (int, np.int8, np.int16, np.int32, np.int64),
                 "u": (np.uint8, np.uint16, np.uint32, np.uint64),
                 "b": (bool, np.bool_)}


# --------------------------------------------------------------------- numbers

def _rel_errors(x, y, floor=FLOOR) -> np.ndarray:
    """Elementwise ``|x - y| / max(floor, |x| + |y|)`` in float64 (NaN where x or y is NaN)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):   # inf - inf is reported as NaN, not as a warning
        return np.abs(x - y) / np.maximum(floor, np.abs(x) + np.abs(y))


def _floor(expected) -> float:
    """The denominator floor of a check against `expected`: FLOOR, or 1 % of its largest finite entry.

    An exact zero in a gradient is then judged on the scale of the gradient (an error of 1e-12
    next to entries of size 1 passes a 1e-7 tolerance), not against 1e-8 (which would demand
    |error| <= 1e-15 there)."""
    e = np.abs(np.asarray(expected, dtype=np.float64))
    e = e[np.isfinite(e)]
    return max(FLOOR, SCALE_FLOOR * float(e.max())) if e.size else FLOOR


def check_error(actual, expected) -> float:
    """The error a check compares with its tolerance: max relative error with the scaled floor."""
    errors = _rel_errors(actual, expected, _floor(expected))
    return float(np.max(errors)) if errors.size else 0.0


def rel_error(x, y) -> float:
    r"""Maximum relative error between two arrays (the cs231n measure).

    .. math:: \max_i \frac{|x_i - y_i|}{\max(10^{-8}, |x_i| + |y_i|)}

    Returns a Python float: 0.0 for empty arrays, NaN when an entry is NaN.
    """
    errors = _rel_errors(x, y)
    return float(np.max(errors)) if errors.size else 0.0


def _matches(actual: np.ndarray, candidate, tol: float) -> bool:
    """True when `candidate` has actual's shape and the same values up to `tol` (never raises on shape)."""
    return candidate is not None and candidate.shape == actual.shape and check_error(actual, candidate) <= tol



# --------------------------------------------------------------------- diagnoses

def _nonfinite_diagnosis(a, e, name, warnings=None):
    """NaN/inf in the answer where the correct one is finite, its likely cause told apart by what
    numpy reported during the last check.call and by the kind of non-finite value."""
    bad = ~np.isfinite(a)
    if not bad.any() or not np.isfinite(e).all():
        return None
    count = f"your {name} contains NaN/inf ({int(bad.sum())} of {a.size} entries)"
    said = " ".join(last_warnings if warnings is None else warnings)
    neg_inf, pos_inf, nan = bool(np.any(a == -np.inf)), bool(np.any(a == np.inf)), bool(np.isnan(a).any())
    log0 = ("the log of 0. A probability underflowed to exactly 0 (even a stable softmax gives exp(-800) == 0): "
            "take logs of log-softmax (z - logsumexp(z)) instead of np.log(softmax(z)), or clip the "
            "probability away from 0 first.")
    overflow = ("an overflow. np.exp of a large number gives inf (and inf - inf or inf / inf gives NaN); use a "
                "stable formula (for softmax and log-sum-exp: the max trick, subtracting the row max before "
                "np.exp; for sigmoid: exp of -|x| only).")
    # Most specific first: 0 * log 0 reports both the log's and the product's warning; an overflow
    # that then makes a probability 0 reports the log too, but the overflow is the cause.
    if nan and "invalid value encountered in multiply" in said and "overflow" not in said:
        return (f"{count}: 0 * log(0) = 0 * (-inf) gives NaN. Only the true class contributes to the "
                f"cross-entropy: index the log-probabilities with the labels instead of multiplying by a "
                f"one-hot matrix, or use log-softmax.")
    if "overflow" in said:
        return f"{count}: {overflow}"
    if "divide by zero encountered in log" in said or (neg_inf and not pos_inf):
        return f"{count}: {log0}"
    if "invalid value" in said:
        return (f"{count}: numpy reported {said!r}: an invalid operation (0 / 0, inf - inf, the sqrt or "
                f"log of a negative number) produced NaN.")
    if pos_inf:
        return f"{count}: +inf is an overflow of np.exp, or -log(0) of an underflowed probability: {overflow}"
    return (f"{count}: a NaN came from 0 / 0, inf - inf or 0 * inf (an overflow earlier, or the log of 0); "
            f"print the intermediate arrays to find the first non-finite one.")


def _shape_fix(a, e, axis):
    """How to turn shape a.shape into e.shape when only size-1 axes differ."""
    if e.ndim == 0:
        return "return a single number (e.g. float(...) or .item()), or reduce without keepdims=True"
    if a.ndim > e.ndim:
        how = f"with axis={axis} and" if axis is not None else "(np.sum / np.mean)"
        return f"reduce {how} without keepdims=True, or don't add an axis ([:, None], np.newaxis)"
    if a.ndim < e.ndim:
        return f"keep the axis with keepdims=True, or reshape with .reshape({e.shape})"
    return f"reshape with .reshape({e.shape})"


def _shape_diagnosis(a, e, name, axis):
    """Same values in another shape: (n,) vs (1, n) vs (n, 1), or any reshape of the same size."""
    if a.shape == e.shape or a.size != e.size or not _matches(e, a.reshape(e.shape), MATCH_TOL):
        return None
    if np.squeeze(a).shape == np.squeeze(e).shape:
        return f"same values, but shape {a.shape} where {e.shape} is expected: {_shape_fix(a, e, axis)}."
    return f"same values, but laid out as {a.shape} where {e.shape} is expected: reshape with .reshape({e.shape})."


def _size_diagnosis(a, e, name):
    """More entries than expected: per-example values left unreduced, or a broadcasting blow-up."""
    if a.size <= e.size or e.size == 0:
        return None
    if e.size == 1:
        reduce = next((op for op in ("mean", "sum") if _matches(e.reshape(()), getattr(a, op)(), MATCH_TOL)), None)
        fix = f"take np.{reduce} of it" if reduce else "reduce it over the batch (np.mean or np.sum)"
        return f"your {name} has shape {a.shape} but a single number is expected: {fix}."
    if Counter(d for d in e.shape if d != 1) - Counter(a.shape):
        return None   # e's dimensions are not all in a's: not a broadcast of it
    return (f"your {name} has shape {a.shape} ({a.size} entries) where {e.shape} is expected: a broadcasting "
            f"blow-up? e.g. an (n,) array combined with an (n, 1) one gives (n, n); give both operands the "
            f"same shape (reshape, or keepdims=True in the reduction).")


def _scalings(batch_size):
    """(factor, what the wrong answer is, likely causes); '{ref}' stands for the correct array.
    The causes are generic: a test that knows the formula names its own factors in `mistakes`,
    which are tried first."""
    table = []
    if type(batch_size) in _SCALAR_TYPES["i"] and batch_size > 1:
        n = int(batch_size)
        table += [(n, f"{{ref}} multiplied by the batch size N={n}",
                   "you summed over the batch instead of averaging: divide by N."),
                  (1 / n, f"{{ref}} divided by the batch size N={n}", "did you average twice?")]
    return table + [
        (-1.0, "{ref} with the sign flipped", "take the gradient of the loss, not of its negative; "
         "or a descent step was written as ascent (use -=, not +=)."),
        (0.5, "half {ref}", "a factor 2 is missing somewhere (the 2 of d(u**2)/du = 2u? 2h where h belongs?)."),
        (2.0, "twice {ref}",
         "a factor 2 too many (h where 2h belongs? a 2 counted twice? a gradient added twice with += "
         "and no reset?)."),
        (100.0, "100 times {ref}", "a percentage where a fraction (between 0 and 1) is expected: drop the * 100."),
        (0.01, "{ref} divided by 100", "a fraction where a percentage is expected, or an extra / 100.")]


def _transpose(e):
    return e.T if e.ndim == 2 else None


def _scale_candidates(e, name, batch_size):
    """(description, candidate) for transposes, scalings and their combinations, and all zeros."""
    ref_t = "the transpose of the correct one"
    fix_t = f"swap the operands of the matrix product or drop a .T (the result must have shape {e.shape})."
    out = [(f"your {name} equals {ref_t}: {fix_t}", _transpose(e))]
    if np.max(np.abs(e), initial=0.0) < FLOOR:
        return out   # ~all zero: every scaling of it looks the same (0 * N == 0)
    for factor, what, why in _scalings(batch_size):
        out.append((f"your {name} equals {what.format(ref='the correct one')}: {why}", factor * e))
    for factor, what, why in _scalings(batch_size):
        t = _transpose(e)
        out.append((f"your {name} equals {what.format(ref=ref_t)}: {fix_t} Also: {why}",
                    None if t is None else factor * t))
    out.append((f"your {name} is all zeros: is it still the initial np.zeros(...), never filled in or updated?",
                np.zeros_like(e)))
    return out


def _normalize_axes(axis, ndim):
    """axis (int, tuple or None) as a sorted tuple of non-negative ints; None when invalid."""
    axes = tuple(range(ndim)) if axis is None else (axis if type(axis) is tuple else (axis,))
    if not all(type(k) in _SCALAR_TYPES["i"] and -ndim <= k < ndim for k in axes):
        return None
    return tuple(sorted(int(k) % ndim for k in axes))


def _reduction_candidates(e, name, reduced_from, axis):
    """(description, candidate): the reduction over every other axis, or mean/sum swapped."""
    r = _as_float(reduced_from)
    right = None if r is None or axis is None else _normalize_axes(axis, r.ndim)
    if right is None:
        return []
    shown = right[0] if len(right) == 1 else right
    correct_op = next((op for op in ("sum", "mean") if _matches(e, getattr(r, op)(axis=right), MATCH_TOL)), None)
    batch = " (axis 0 runs over the batch)" if right == (0,) else ""
    out = []
    for op in ("sum", "mean"):
        swap = f", and np.{correct_op} instead of np.{op}" if correct_op not in (None, op) else ""
        if correct_op not in (None, op):
            out.append((f"your {name} is the {op} over axis {shown} where the {correct_op} is expected: "
                        f"use np.{correct_op}(..., axis={shown}).", getattr(r, op)(axis=right)))
        for k in [(k,) for k in range(r.ndim)] + [None]:
            axes = _normalize_axes(k, r.ndim)
            if axes == right:
                continue
            where = "all axes (a single number)" if k is None else f"axis {k[0]}"
            out.append((f"your {name} is the {op} over {where} instead of over axis {shown}: "
                        f"use axis={shown}{swap}{batch}.", getattr(r, op)(axis=axes)))
    return out


def _as_float(value):
    """value as a float64 array, or None when it cannot be one (a diagnosis must never raise)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _mistake_candidates(mistakes):
    """(description, candidate) from the test author's dict of named wrong answers."""
    return [(str(description), _as_float(wrong)) for description, wrong in (mistakes or {}).items()]


def _precision_diagnosis(a, e, name, dtype, tol):
    """Right to a few digits only: float32 arithmetic, or an imprecise method (a large step h)."""
    if tol is None or not np.isfinite(a).all():
        return None
    error = check_error(a, e)
    if dtype is not None and np.dtype(dtype) in (np.float32, np.float16):
        return (f"your {name} is {np.dtype(dtype)} (about {7 if dtype == np.float32 else 3} significant digits), "
                f"with relative error {error:.1e} > {tol:.0e}: compute in float64 (np.float64 inputs, no "
                f"dtype=np.float32, no .astype(np.float32)).")
    if tol < error <= 1e-4:
        return (f"your {name} is close but only to a relative error of {error:.1e} (tolerance {tol:.0e}): a "
                f"precision problem? float32 somewhere in the computation, a finite-difference step h that "
                f"is too large (one-sided differences, or h >> 1e-5), or an approximation where the exact "
                f"formula is expected.")
    return None


def diagnose(actual, expected, name="value", batch_size=None, reduced_from=None, axis=None,
             mistakes=None, dtype=None, tol=None, warnings=None) -> str | None:
    """Name the known mistake that `actual` matches, else return None.

    A match means a relative error (with the scaled floor of :func:`assert_close`) of at most
    1e-6, with equal shapes. Tried from the most specific to the most generic, and the first
    match is returned:

    1. NaN/inf where the correct answer is finite, the cause told apart (overflow, log of 0,
       0 * log 0, another invalid operation) by the warnings numpy gave during the last call;
    2. the right values in the wrong shape; too many entries (unreduced or broadcast);
    3. the author's named ``mistakes`` ({description: wrong array}): a test knows its formula;
    4. ``reduced_from`` reduced over another axis, or with mean and sum swapped (given ``axis``);
    5. ``expected.T``; ``expected * N`` and ``expected / N`` (only with ``batch_size`` N > 1);
       ``-expected``; ``expected / 2``, ``2 * expected``, ``100 * expected``, ``expected / 100``;
       the transpose with each factor; all zeros;
    6. only given ``tol``: the right answer to a few digits (float32 ``dtype``, an imprecise method).

    ``warnings`` (default: :data:`last_warnings`) are the numpy warnings of the call that produced
    `actual`, given explicitly where the value was computed elsewhere (the class grader).

    Returns None for a correct answer, for unrelated wrong answers, and for inputs where no
    diagnosis applies (never raises). Scalings are not diagnosed when `expected` is ~all zero.
    """
    a, e = _as_float(actual), _as_float(expected)
    # Within MATCH_TOL counts as correct, unless the test itself asks for more (then only the
    # precision diagnosis can apply).
    if a is None or e is None or _matches(a, e, MATCH_TOL if tol is None else min(MATCH_TOL, tol)):
        return None
    special = _nonfinite_diagnosis(a, e, name, warnings) or _shape_diagnosis(a, e, name, axis) or _size_diagnosis(a, e, name)
    if special:
        return special
    candidates = (_mistake_candidates(mistakes) + _reduction_candidates(e, name, reduced_from, axis)
                  + _scale_candidates(e, name, batch_size))
    found = next((text for text, candidate in candidates if _matches(a, candidate, MATCH_TOL)), None)
    if found or a.shape != e.shape:
        return found
    return _precision_diagnosis(a, e, name, dtype, tol)
