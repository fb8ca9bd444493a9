"""Judging outside the sandbox: the values a kernel handed over, against the recorded reference.

The class grader calls :func:`judge` with the records of one notebook (helpers.grader.sandbox
collects them from the kernel's channel). The reference values are read here, in the grader's
process, and never enter a sandbox. Messages are written for students: they name the quantity,
the relative error and the diagnosis (helpers.diagnose), never an expected value, a hidden input
or its shape.
"""
from __future__ import annotations

import re

import numpy as np

from .. import check, diagnose
from ..protocol import check_kwargs, load_reference, reference_meta
from ..wire import TypeName

_SHAPE = re.compile(r"\((?:\d+, )*\d+,?\)|(?<=shape )\(\)")


def public(text: str) -> str:
    """A grader-made message with the shapes and sizes of hidden data taken out."""
    text = _SHAPE.sub("(…)", text)
    text = re.sub(r"\bN=\d+", "N", text)
    text = re.sub(r"\(\d+ of \d+ entries\)", "(some entries)", text)
    return re.sub(r"\(\d+ entries\)", "", text)


def _public_failure(got, ref, label, kwargs, warnings=None) -> str | None:
    """What a student reads when a hidden check fails: no expected value, hidden input or shape."""
    if isinstance(got, TypeName) or type(got) not in (np.ndarray, float, int, bool):
        return f"{label}: your code returned {str(got) if isinstance(got, TypeName) else type(got).__name__}, " \
               f"where a numpy array of floats (or a float) is expected"
    try:
        a = check.as_checked_array(got, label).astype(np.float64)
    except check.CheckFailure as exc:
        return public(str(exc).splitlines()[0])
    e = np.asarray(ref, dtype=np.float64)
    tol = float(kwargs.get("tol", 1e-6))
    if a.shape == e.shape and check.check_error(a, e) <= tol:      # the same measure as check.assert_close
        return None
    diagnosis = diagnose.diagnose(a, e, label, **{k: kwargs[k] for k in ("batch_size", "reduced_from", "axis", "mistakes")
                                              if k in kwargs},
                               dtype=got.dtype if type(got) is np.ndarray else None, tol=tol, warnings=warnings)
    if a.shape != e.shape:
        head = (f"{label} has the wrong shape ({a.ndim} dimension{'s' * (a.ndim != 1)} where "
                f"{e.ndim} {'is' if e.ndim == 1 else 'are'} expected)" if a.ndim != e.ndim else
                f"{label} has the wrong shape")
    else:
        error = check.check_error(a, e)
        head = (f"{label} is wrong: max relative error {error:.1e} > tolerance {tol:.1e}" if np.isfinite(error)
                else f"{label} is wrong: it contains NaN or inf entries")
    lines = [public(head)]
    if diagnosis:
        lines.append(f"  Diagnosis: {public(diagnosis)}")
    if kwargs.get("hint"):
        lines.append(f"  Hint: {public(str(kwargs['hint']))}")
    return "\n".join(lines)


def judge(assignment: str, records: dict) -> dict[str, list[tuple[str, bool, str]]]:
    """Compare handed-over values with the reference, in the trusted grader.

    Returns {test cell grade_id: [(value key, passed, message), ...]} for every recorded key.
    Messages are written for students: they name the quantity, the relative error and the
    diagnosis, never an expected value, a hidden input or its shape.
    """
    ref = load_reference(assignment)
    verdicts: dict[str, list] = {}
    for k, info in reference_meta(assignment).items():
        label = public(info.get("name", k))
        if k not in records:
            ok, msg = False, (f"{label}: no value was handed in (the hidden test did not reach this check: "
                              f"an error earlier in the cell, or the cell did not run)")
        else:
            msg = _public_failure(records[k], ref[k], label, check_kwargs(ref, info, k),
                                  getattr(records, "warnings", {}).get(k))
            ok, msg = msg is None, msg or ""
        verdicts.setdefault(info.get("cell") or "", []).append((k, ok, msg))
    return verdicts
