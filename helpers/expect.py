"""The kernel's side of hidden tests: hand a value to :func:`expect`, which records, submits or compares.

A hidden test runs the student's function on hidden inputs and hands the result to
:func:`expect` under a key. The expected value was recorded by running the *same* hidden
test on the reference solution (``python -m helpers build`` executes each source notebook in
record mode), and is stored in ``source/<assignment>/hidden/reference.npz``, a folder that never
enters ``release/`` or a sandbox. Along with each value the recording keeps which test cell
produced it and how to judge it (tolerance, batch size, named mistakes). What each mode does
(helpers.protocol):

- record (the build): store the reference solution's value;
- submit (the class grader's sandbox): hand the value to the grader as data;
  helpers.grader.judge compares it outside, where the student's code cannot reach. Nothing in
  the kernel decides a point;
- compare (stock nbgrader, the instructor's own kernel): compare inside the kernel.

Named wrong answers whose computation needs reference code (:func:`variants`) are computed
only while recording and comparing; the class grader judges with the recorded ones.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from . import protocol, wire
from .protocol import META_KEY, MISTAKE_PREFIX, REDUCED_PREFIX, SCALAR_KWARGS, Mode, ReferenceValuesError, flatten

__all__ = ["expect", "variants", "recording", "ReferenceValuesError"]


def _save_npz(path: Path, values: dict) -> None:
    tmp = path.with_name("." + path.name + ".tmp.npz")
    np.savez(tmp, **values)
    os.replace(tmp, path)


def _record(key: str, actual, name, check_kwargs) -> None:
    """Add the reference solution's value(s) and how to judge them to the .npz being recorded."""
    path = Path(os.environ[protocol.RECORD_ENV])
    stored = dict(np.load(path)) if path.exists() else {}
    meta = json.loads(str(stored.pop(META_KEY, "{}")))
    for k, v in flatten(actual, key).items():
        if k in stored:
            raise ReferenceValuesError(f"reference key {k!r} recorded twice: keys must be unique in a notebook")
        stored[k] = np.asarray(v, dtype=np.float64)
        info = {"cell": protocol.current_cell, "name": (name or key) + k[len(key):]}
        info.update({a: check_kwargs[a] for a in SCALAR_KWARGS if check_kwargs.get(a) is not None})
        if check_kwargs.get("reduced_from") is not None:
            stored[REDUCED_PREFIX + k] = np.asarray(check_kwargs["reduced_from"], dtype=np.float64)
        mistakes = check_kwargs.get("mistakes") or {}
        info["mistakes"] = list(mistakes)
        for i, wrong in enumerate(mistakes.values()):
            stored[f"{MISTAKE_PREFIX}{k}:{i}"] = np.asarray(wrong, dtype=np.float64)
        meta[k] = info
    stored[META_KEY] = np.array(json.dumps(meta))
    _save_npz(path, stored)


def _submit(key: str, actual) -> None:
    """Class grading: hand the values to the grader over the runner's channel (data, never pickles)."""
    from . import check

    said = [str(w)[:200] for w in check.last_warnings[:10]]     # lets the grader tell NaN causes apart
    for k, v in flatten(actual, key).items():
        wire.channel.send({"event": "record", "key": k, "warnings": said}, value=v)


def _compare(key: str, actual, name, check_kwargs) -> None:
    """Stock nbgrader / the instructor's kernel: judge here, with the recorded reference values."""
    from . import check

    assignment = protocol.current_assignment()
    reference = protocol.load_reference(assignment)
    for k, value in flatten(actual, key).items():
        if k not in reference:
            raise ReferenceValuesError(f"no reference value {k!r} for {assignment!r}: "
                                       f"the instructor must rebuild (`python -m helpers build`).")
        check.assert_close(value, reference[k], (name or key) + k[len(key):], **check_kwargs)


def expect(key: str, actual, name: str | None = None, **check_kwargs) -> None:
    """Hidden-test check: `actual` must match the reference value recorded under `key`.

    Parameters
    ----------
    key : str
        Unique within the notebook, e.g. ``'grad_f/random_points'``.
    actual : array, float, or a tuple/list/dict of them
        What the student's code returned on the hidden input.
    name : str
        How the quantity is called in the failure message (defaults to the key).
    **check_kwargs
        Passed to :func:`helpers.check.assert_close` (tol, batch_size, reduced_from, axis,
        mistakes, hint). When recording they are stored, so that the class grader judges
        with the instructor's tolerances, never with ones a submission passes.
    """
    current = protocol.mode()
    if current is Mode.RECORD:
        _record(key, actual, name, check_kwargs)
    elif current is Mode.SUBMIT:
        _submit(key, actual)
    else:
        _compare(key, actual, name, check_kwargs)


def recording() -> bool:
    return protocol.mode() is Mode.RECORD


def variants(function: str, *args, **kwargs) -> dict | None:
    """Named wrong answers computed by ``hidden/solution.py``'s `function`, for ``expect(mistakes=...)``.

    Called while recording (the values are stored with the reference) and while comparing in the
    instructor's own kernel; returns None under the class grader, which judges with the stored
    ones, so no reference code runs where the student's code does.
    """
    if protocol.mode() is Mode.SUBMIT:
        return None
    from .isolate import _solution_module

    return getattr(_solution_module(), function)(*args, **kwargs)
