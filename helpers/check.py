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

import numpy as np

from .diagnose import _SCALAR_TYPES, _floor, _rel_errors, check_error, diagnose, last_warnings, rel_error

__all__ = ["CheckFailure", "rel_error", "numerical_gradient", "as_checked_array", "diagnose",
           "assert_close", "assert_gradient_matches", "assert_true", "call", "check_error", "explain",
           "last_warnings"]

WORST_SHOWN = 3       # how many of the worst entries a failure message lists



class CheckFailure(AssertionError):
    """A check failed; the message is the full human-readable report for the student."""



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
