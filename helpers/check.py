"""The checking library behind every visible and hidden test of the course.

Its purpose is feedback that *diagnoses*: when a student's array is wrong, the failure says
what the mistake probably was ("your dW equals the correct one divided by the batch size
N=5: did you average twice?"), not just "assertion failed".

Conventions: batch first, ``X`` of shape ``(N, D)``, ``W`` of shape ``(D_in, D_out)``,
``b`` of shape ``(D_out,)``.

Typical use in a test cell::

    from helpers import check
    dW = check.call(linear_backward, dout, X, W)
    check.assert_close(dW, X.T @ dout / N, "dW", batch_size=N)
"""
from __future__ import annotations

import contextlib
import warnings
from collections import Counter

import numpy as np

__all__ = ["CheckFailure", "rel_error", "numerical_gradient", "as_checked_array", "diagnose",
           "assert_close", "assert_gradient_matches", "assert_true", "call", "check_error", "explain",
           "last_warnings"]

FLOOR = 1e-8          # denominator floor of rel_error (as in cs231n)
SCALE_FLOOR = 1e-2    # in checks, an entry's error is measured against at least 1 % of the largest expected entry
MATCH_TOL = 1e-6      # how close `actual` must be to a known mistake to be diagnosed as it
WORST_SHOWN = 3       # how many of the worst entries a failure message lists

last_warnings: list[str] = []   # messages captured by the most recent call()


class CheckFailure(AssertionError):
    """A check failed; the message is the full human-readable report for the student."""


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


def _output_value(out, dout) -> float:
    """The scalar whose gradient is estimated: ``f(x)`` itself, or ``sum(f(x) * dout)``."""
    out = np.asarray(out, dtype=np.float64)
    if dout is None:
        if out.size != 1:
            raise CheckFailure(f"f must return a single number when no dout is given, got shape {out.shape}.")
        return float(out.reshape(()))
    if out.shape != dout.shape:
        raise CheckFailure(f"f returned shape {out.shape}, but dout has shape {dout.shape}: they must match.")
    return float(np.sum(out * dout))


def _coordinates(shape, sample, seed):
    """All indices of `shape`, or `sample` of them drawn without replacement (seeded)."""
    if sample is None:
        return list(np.ndindex(*shape))
    if type(sample) is not int or sample < 1:
        raise ValueError(f"sample must be a positive int, got {sample!r}")
    size = int(np.prod(shape, dtype=np.int64))
    flat = np.sort(np.random.default_rng(seed).choice(size, size=min(sample, size), replace=False))
    return [np.unravel_index(i, shape) for i in flat]


def numerical_gradient(f, x, dout=None, h=1e-5, sample=None, seed=0) -> np.ndarray:
    r"""Gradient estimated by central differences, in float64.

    .. math:: \frac{\partial L}{\partial x_i} \approx \frac{L(x + h e_i) - L(x - h e_i)}{2h},
              \qquad L(x) = f(x) \text{ or } L(x) = \sum f(x) \odot \mathrm{dout}

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar when `dout` is None, else an array of dout's shape.
    x : array_like
        The point. It is copied to float64; the caller's array is never modified, and `f`
        receives the perturbed copy (so `f` must compute from its argument).
    dout : array_like, optional
        Upstream gradient: the result is the gradient of ``sum(f(x) * dout)``.
    h : float
        Step size.
    sample : int, optional
        Check only this many random coordinates; the others are NaN in the result.
    seed : int
        Seed of the coordinate sample (same seed, same coordinates).

    Returns
    -------
    np.ndarray
        float64 array of x's shape.
    """
    base = np.array(x, dtype=np.float64)
    dout = None if dout is None else np.asarray(dout, dtype=np.float64)
    grad = np.zeros(base.shape) if sample is None else np.full(base.shape, np.nan)
    for idx in _coordinates(base.shape, sample, seed):
        values = []
        for step in (h, -h):
            point = base.copy()          # fresh each time: even an f that mutates its input is safe
            point[idx] += step
            values.append(_output_value(f(point), dout))
        grad[idx] = (values[0] - values[1]) / (2 * h)
    return grad


# --------------------------------------------------------------------- type guard

_KIND_WORDS = {"f": "floats", "i": "integers", "u": "unsigned integers", "b": "booleans"}
_SCALAR_TYPES = {"f": (float, np.float16, np.float32, np.float64, np.longdouble),
                 "i": (int, np.int8, np.int16, np.int32, np.int64),
                 "u": (np.uint8, np.uint16, np.uint32, np.uint64),
                 "b": (bool, np.bool_)}


def _type_advice(value, dtype_kind) -> str:
    """What was received, and how to turn it into what is expected."""
    if value is None:
        return "got None: did you forget to return?"
    if type(value) is np.ndarray:
        kind = value.dtype.kind
        if kind == "b" and "f" in dtype_kind:
            return ("got a bool array (a comparison such as x > 0): multiply by 1.0 or use "
                    ".astype(float) to get the 0.0 / 1.0 floats expected")
        if kind in "iu" and "f" in dtype_kind:
            return (f"got {value.dtype} array: integer arrays truncate gradients; use float "
                    f"(e.g. np.zeros(shape) without dtype=int, or .astype(float))")
        return f"got {value.dtype} array: convert with .astype(...)"
    if isinstance(value, np.ndarray):
        return (f"got {type(value).__name__} (a subclass of np.ndarray): return a plain array, "
                f"e.g. np.asarray(...)")
    if type(value) in (list, tuple):
        return f"got {type(value).__name__}: convert with np.asarray(...)"
    if isinstance(value, (int, np.integer, np.bool_)):
        return f"got {type(value).__name__} {value!r}: use a float (e.g. float(...))"
    return f"got {type(value).__name__}"


def as_checked_array(value, name, dtype_kind="f") -> np.ndarray:
    """Guard against values that are not honest numeric arrays.

    Accepts exactly a ``np.ndarray`` (not a subclass, which could override ``__eq__`` or
    ``__array_ufunc__``) whose ``dtype.kind`` is in `dtype_kind`, or a Python / numpy scalar
    of that kind, returned as a 0-d array (float64 for floats). Types are tested with
    ``type(value) is ...``, never with ``==``, so an object that lies about equality is rejected.

    Raises
    ------
    CheckFailure
        Saying what was received and what is expected, e.g. ``dW must be a numpy array of
        floats, got list: convert with np.asarray(...)``.
    """
    if type(value) is np.ndarray and value.dtype.kind in dtype_kind:
        return value
    for kind in dtype_kind:
        if type(value) in _SCALAR_TYPES.get(kind, ()):
            return np.array(value, dtype=np.float64 if kind == "f" else None)
    wanted = " or ".join(_KIND_WORDS.get(k, k) for k in dtype_kind)
    raise CheckFailure(f"{name} must be a numpy array of {wanted}, {_type_advice(value, dtype_kind)}.")


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


# --------------------------------------------------------------------- assertions

def _worst_entries(a, e, checked, tol) -> str:
    """'[2, 1] expected 0.5312, got 0.1062; ...' for the worst checked entries beyond `tol`."""
    errors = np.where(checked, np.nan_to_num(_rel_errors(a, e, _floor(e[checked])), nan=np.inf), -1.0)
    order = np.argsort(-errors, axis=None, kind="stable")[:WORST_SHOWN]
    parts = []
    for flat in order[errors.ravel()[order] > tol]:
        idx = np.unravel_index(flat, a.shape)
        parts.append(f"[{', '.join(str(int(i)) for i in idx)}] expected {e[idx]:.4g}, got {a[idx]:.4g}")
    return "; ".join(parts)


def _report(a, e, name, tol, diagnosis, hint, reference="expected", checked=None) -> str | None:
    """The failure report for a value of the right shape, or None when it is within `tol`."""
    checked = np.ones(a.shape, dtype=bool) if checked is None else checked
    error = check_error(a[checked], e[checked])
    if error <= tol:
        return None
    headline = (f"max relative error {error:.1e} > tolerance {tol:.1e}." if np.isfinite(error)
                else "it contains NaN or inf entries.")
    lines = [f"{name} is wrong: {headline}", f"  shape: expected {e.shape}, got {a.shape}"]
    if reference != "expected":
        lines.append(f"  compared with: {reference} ({int(checked.sum())} of {a.size} entries checked)")
    if a.ndim == 0:
        lines.append(f"  value: expected {float(e):.4g}, got {float(a):.4g}")
    else:
        lines.append(f"  worst entries: {_worst_entries(a, e, checked, tol)}")
    return "\n".join(lines + _footer(diagnosis, hint))


def _footer(diagnosis, hint) -> list[str]:
    """Diagnosis, captured numpy warnings and hint lines, each only when there is one."""
    lines = [f"  Diagnosis: {diagnosis}"] if diagnosis else []
    if last_warnings:
        lines.append(f"  numpy reported: {'; '.join(last_warnings)} (during the last check.call)")
    if hint:
        lines.append(f"  Hint: {hint}")
    return lines


def _shape_report(a, e, name, diagnosis, hint) -> str:
    return "\n".join([f"{name} has the wrong shape: expected {e.shape}, got {a.shape}."] + _footer(diagnosis, hint))


def assert_close(actual, expected, name, tol=1e-6, batch_size=None, reduced_from=None, axis=None,
                 mistakes=None, hint=None) -> None:
    """Check that `actual` equals `expected` up to a relative error of `tol`.

    Each entry's error is ``|a - e| / max(|a| + |e|, 1e-8, 1 % of max |expected|)``: relative to
    its own size, but an (almost) zero entry is judged on the scale of the whole array.

    `actual` (the student's value) goes through :func:`as_checked_array`; `expected` is trusted
    and converted to float64. On failure raises :class:`CheckFailure` with the name, both
    shapes, the max relative error and `tol`, the worst entries, the :func:`diagnose` result
    (given `batch_size`, `reduced_from`, `axis`, `mistakes`), the warnings captured by the
    last :func:`call` and `hint`. Returns None, silently, on success.
    """
    a = as_checked_array(actual, name).astype(np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape == e.shape and check_error(a, e) <= tol:
        return None
    diagnosis = diagnose(a, e, name, batch_size=batch_size, reduced_from=reduced_from, axis=axis, mistakes=mistakes,
                         dtype=np.asarray(actual).dtype if type(actual) is np.ndarray else None, tol=tol)
    if a.shape != e.shape:
        raise CheckFailure(_shape_report(a, e, name, diagnosis, hint))
    raise CheckFailure(_report(a, e, name, tol, diagnosis, hint))


def assert_gradient_matches(f, x, analytic, name, dout=None, tol=1e-6, sample=None, seed=0,
                            batch_size=None, mistakes=None) -> None:
    """Check an analytic gradient against :func:`numerical_gradient` (central differences).

    With `sample`, only the sampled coordinates are compared, and only the elementwise
    diagnoses (sign, scale, named mistakes restricted to those coordinates) are tried.
    Warnings raised by `f` are captured as by :func:`call` (added to :data:`last_warnings`).
    Raises :class:`CheckFailure` as :func:`assert_close` does.
    """
    a = as_checked_array(analytic, name).astype(np.float64)
    with _capturing(getattr(f, "__name__", "f"), clear=False):
        numeric = numerical_gradient(f, x, dout=dout, sample=sample, seed=seed)
    checked = np.zeros(numeric.shape, dtype=bool)
    for idx in _coordinates(numeric.shape, sample, seed):
        checked[idx] = True
    if a.shape != numeric.shape:
        diagnosis = diagnose(a, numeric, name) if sample is None else None
        raise CheckFailure(_shape_report(a, numeric, name, diagnosis, "a gradient has the shape of its variable"))
    if sample is None:
        diagnosis = diagnose(a, numeric, name, batch_size=batch_size, mistakes=mistakes)
    else:   # only the sampled coordinates are known: elementwise diagnoses on them
        masked = {k: np.asarray(v, dtype=np.float64)[checked] for k, v in (mistakes or {}).items()
                  if np.shape(v) == a.shape}
        diagnosis = diagnose(a[checked], numeric[checked], name, batch_size=batch_size, mistakes=masked)
    report = _report(a, np.where(checked, numeric, 0.0), name, tol, diagnosis, None,
                     reference="the numerical gradient (central differences)", checked=checked)
    if report:
        raise CheckFailure(report)


def assert_true(condition, message) -> None:
    """Raise ``CheckFailure(message)`` unless `condition` is exactly ``True`` or ``np.True_``.

    Anything that is not a bool (an array, a number, an object whose ``__bool__`` lies) is
    rejected with a note saying what was received.
    """
    if type(condition) is not bool and type(condition) is not np.bool_:
        extra = ": reduce it with .all() or .any()" if isinstance(condition, np.ndarray) else ""
        raise CheckFailure(f"{message}\n  (this check needs True or False, got {type(condition).__name__}{extra})")
    if not (condition is True or condition is np.True_):
        raise CheckFailure(message)


# --------------------------------------------------------------------- running student code

def call(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` with floating-point errors and warnings captured, not printed.

    nbgrader scores a test cell that wrote to stderr as failed, so a harmless RuntimeWarning
    would zero a correct answer. The captured messages go to :data:`last_warnings` (cleared
    first) and one short note is printed to stdout. Underflow is ignored (numpy's default:
    exp(-1000) == 0 is the right answer). An exception raised by `fn` propagates with its type and
    traceback, and a note (``exc.add_note``, shown under the traceback) that names the function,
    the shapes it was called with and the usual causes of that error (see :func:`explain`).
    """
    label = getattr(fn, "__name__", "your function")
    with _capturing(label):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if not any(str(n).startswith("check: ") for n in getattr(exc, "__notes__", ())):
                exc.add_note(explain(exc, label, args, kwargs))
            raise


def _describe(value) -> str:
    """A short, safe description of an argument: an array's shape and dtype, a dict's keys."""
    if type(value) is np.ndarray:
        return f"array {value.shape} {value.dtype}"
    if type(value) is dict:
        keys = ", ".join(f"{k!s}: {_describe(v)}" for k, v in list(value.items())[:6])
        return "{" + keys + (", ..." if len(value) > 6 else "") + "}"
    if type(value) in (list, tuple):
        return f"{type(value).__name__} of {len(value)}"
    if type(value) in (int, float, bool, str) or isinstance(value, (np.integer, np.floating)):
        return repr(value)[:40]
    return type(value).__name__


_CAUSES = [   # (exception type name, text in its message, usual cause in this course)
    ("ValueError", "matmul", "a matrix product with mismatched inner dimensions. With the course's convention "
     "X (N, D_in) and W (D_in, D_out), the forward product is X @ W, and the gradients are dX = dout @ W.T "
     "and dW = X.T @ dout: compare the shapes above."),
    ("ValueError", "could not be broadcast", "an elementwise operation on arrays whose shapes do not line up. "
     "Biases have shape (D_out,), per-example values (N,) or (N, 1): a reduction that dropped (or kept) "
     "an axis, or a missing .T?"),
    ("ValueError", "shapes", "arrays of incompatible shapes: compare the shapes above with the docstring."),
    ("ValueError", "truth value of an array", "`if` or `and`/`or` on an array: use np.where, np.maximum or "
     "elementwise operators (&, |) instead."),
    ("KeyError", "", "a dict has no such key: check the keys listed above (layers numbered W1 ... WL, "
     "b1 ... bL, as the docstring says) and how many layers the loop visits."),
    ("IndexError", "out of bounds", "an index past the end of an axis: a loop one step too far (range(len(...)) "
     "runs 0 ... len - 1), or labels used as column indices that are >= the number of classes."),
    ("IndexError", "", "an index that does not fit the array: compare the shapes above."),
    ("TypeError", "only length-1 arrays", "a math.* function (math.exp, math.log) on an array: use np.exp, "
     "np.log, which work elementwise."),
    ("TypeError", "only 0-dimensional", "a math.* function (math.exp, math.log) on an array: use np.exp, "
     "np.log, which work elementwise."),
    ("TypeError", "NoneType", "a value is None: a function that does not `return` its result (the stub's "
     "`pass`, or a missing return statement)."),
    ("TypeError", "not callable", "a name that should be a function holds a value (a variable that shadows it?)."),
    ("TypeError", "argument", "the function was called with arguments its signature does not take: keep the "
     "signature of the stub."),
    ("AttributeError", "list", "a list where a numpy array is expected: convert with np.asarray(...)."),
    ("AttributeError", "NoneType", "a value is None: a function that does not `return` its result."),
    ("NotImplementedError", "", "the stub is not filled in yet: replace `raise NotImplementedError` with your code."),
    ("ZeroDivisionError", "", "a division by zero in Python numbers: a count (N, a batch size) that is 0, or "
     "integer arithmetic where floats were meant."),
    ("FloatingPointError", "", "numpy was told to raise on overflow or invalid values: use a stable formula "
     "(the max trick for softmax, exp of -|x| for the sigmoid)."),
    ("RecursionError", "", "a function that calls itself without end (a name reused for a helper?)."),
    ("MemoryError", "", "an array far too large: an (N, N) broadcast of two (N,) and (N, 1) arrays?"),
]


def explain(exc: BaseException, label: str, args=(), kwargs=None) -> str:
    """The note check.call adds to an exception: where it came from, on what, and the usual cause."""
    shown = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in (kwargs or {}).items()]
    where = f"check: raised inside {label}({', '.join(shown)})"[:600]
    name, text = type(exc).__name__, str(exc)
    cause = next((c for n, t, c in _CAUSES if n == name and t in text), None)
    return f"{where}\n  Likely cause: {cause}" if cause else where


@contextlib.contextmanager
def _capturing(label, clear=True):
    """Capture numpy floating-point errors and warnings into last_warnings, with a note on stdout."""
    if clear:
        last_warnings.clear()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = dict.fromkeys((w.category.__name__, str(w.message)) for w in caught)
            last_warnings.extend(message for _, message in seen if message not in last_warnings)
            if seen:
                what = "; ".join(f"{category}: {message}" for category, message in seen)
                print(f"note: {label} raised {what}; the result is checked anyway")
