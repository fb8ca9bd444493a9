"""Reference values for hidden tests.

A hidden test runs the student's function on hidden inputs and hands the result to
:func:`expect` under a key. The expected value was recorded by running the *same* hidden
test on the reference solution (``python -m helpers build`` executes each source notebook with
``COURSE_RECORD_REFERENCE`` set), and is stored in ``source/<assignment>/hidden/reference.npz``,
a folder that never enters ``release/`` or a sandbox. Along with each value the recording keeps
which test cell produced it and how to judge it (tolerance, batch size, named mistakes).

:func:`expect` is the one place where a hidden test judges, in one of three modes:
- recording (build): store the reference solution's value;
- submitting (the class grader: helpers.runner opened :data:`helpers.wire.channel`): hand the
  value to the grader as data; :func:`judge` compares it outside, where the student's code
  cannot reach. Nothing in the kernel decides a point;
- comparing (stock nbgrader, the instructor's own kernel): compare inside the kernel.

Named wrong answers whose computation needs reference code (:func:`variants`) are computed
only while recording and comparing; the class grader judges with the recorded ones.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from .paths import HIDDEN_DIRNAME, source_dir

RECORD_ENV = "COURSE_RECORD_REFERENCE"      # path of the .npz being recorded
ASSIGNMENT_ENV = "COURSE_ASSIGNMENT"         # which assignment the kernel runs
REFERENCE_FILE = "reference.npz"
HASH_KEY = "__source_hash__"
META_KEY = "__meta__"                        # JSON {value key: {cell, name, tol, ...}}
TYPE_PREFIX = "__type__:"                    # a submitted value that was not a numeric array
MISTAKE_PREFIX = "__mistake__:"              # arrays of named mistakes, for diagnoses
REDUCED_PREFIX = "__reduced_from__:"         # unreduced arrays, for wrong-axis diagnoses
SCALAR_KWARGS = ("tol", "batch_size", "axis", "hint")

# The grade_id of the test cell being executed, set by helpers.runner.
current_cell: str | None = None


class ReferenceValuesError(RuntimeError):
    """The reference values are missing or stale: the instructor must rebuild."""


def reference_path(assignment: str) -> Path:
    return source_dir() / assignment / HIDDEN_DIRNAME / REFERENCE_FILE


def current_assignment() -> str:
    """The assignment being executed: ``$COURSE_ASSIGNMENT``, else the notebook folder's name.

    nbgrader runs a notebook with its own folder as working directory, and every course
    folder (source/, release/, autograded/<student>/, notebooks/) is named after its assignment.
    """
    return os.environ.get(ASSIGNMENT_ENV) or Path.cwd().name


def source_hash(notebook_path) -> str:
    """Hash of a source notebook's cell types and sources (outputs and metadata ignored)."""
    cells = json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    canon = json.dumps([[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]]
                        for c in cells])
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def flatten(value, key: str) -> dict:
    """Flatten nested tuples/lists/dicts of arrays and numbers into {'key[0]': array, "key['W1']": ...}."""
    if isinstance(value, (tuple, list)):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{key}[{i}]"))
        return out
    if isinstance(value, dict):
        out = {}
        for k, item in value.items():
            out.update(flatten(item, f"{key}[{k!r}]"))
        return out
    return {key: value}


def _save_npz(path: Path, values: dict) -> None:
    tmp = path.with_name("." + path.name + ".tmp.npz")
    np.savez(tmp, **values)
    os.replace(tmp, path)


# --------------------------------------------------------------------- recording

def _record(key: str, actual, name, check_kwargs) -> None:
    """Add the reference solution's value(s) and how to judge them to the .npz being recorded."""
    path = Path(os.environ[RECORD_ENV])
    stored = dict(np.load(path)) if path.exists() else {}
    meta = json.loads(str(stored.pop(META_KEY, "{}")))
    for k, v in flatten(actual, key).items():
        if k in stored:
            raise ReferenceValuesError(f"reference key {k!r} recorded twice: keys must be unique in a notebook")
        stored[k] = np.asarray(v, dtype=np.float64)
        info = {"cell": current_cell, "name": (name or key) + k[len(key):]}
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
    from . import check, wire

    said = [str(w)[:200] for w in check.last_warnings[:10]]     # lets the grader tell NaN causes apart
    for k, v in flatten(actual, key).items():
        wire.channel.send({"event": "record", "key": k, "warnings": said}, value=v)


# --------------------------------------------------------------------- comparing

_cache: dict[Path, dict[str, np.ndarray]] = {}


def load_reference(assignment: str) -> dict[str, np.ndarray]:
    """Everything recorded for an assignment (values and the judging metadata)."""
    path = reference_path(assignment)
    if path not in _cache:
        if not path.is_file():
            raise ReferenceValuesError(
                f"no reference values for {assignment!r} at {path}: the instructor must run "
                f"`python -m helpers build` (it records them from the source notebook).")
        with np.load(path) as npz:
            _cache[path] = {k: npz[k] for k in npz.files}
    return _cache[path]


def reference_meta(assignment: str) -> dict[str, dict]:
    return json.loads(str(load_reference(assignment).get(META_KEY, "{}")))


def _check_kwargs(ref: dict, info: dict, k: str) -> dict:
    kwargs = {a: info[a] for a in SCALAR_KWARGS if a in info}
    if REDUCED_PREFIX + k in ref:
        kwargs["reduced_from"] = ref[REDUCED_PREFIX + k]
    if info.get("mistakes"):
        kwargs["mistakes"] = {d: ref[f"{MISTAKE_PREFIX}{k}:{i}"] for i, d in enumerate(info["mistakes"])}
    return kwargs


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
    if os.environ.get(RECORD_ENV):
        _record(key, actual, name, check_kwargs)
        return
    from . import check, wire

    if wire.channel is not None:
        _submit(key, actual)
        return

    reference = load_reference(current_assignment())
    for k, value in flatten(actual, key).items():
        if k not in reference:
            raise ReferenceValuesError(f"no reference value {k!r} for {current_assignment()!r}: "
                                 f"the instructor must rebuild (`python -m helpers build`).")
        check.assert_close(value, reference[k], (name or key) + k[len(key):], **check_kwargs)


def recording() -> bool:
    return bool(os.environ.get(RECORD_ENV))


def variants(function: str, *args, **kwargs) -> dict | None:
    """Named wrong answers computed by ``hidden/solution.py``'s `function`, for ``expect(mistakes=...)``.

    Called while recording (the values are stored with the reference) and while comparing in the
    instructor's own kernel; returns None under the class grader, which judges with the stored
    ones, so no reference code runs where the student's code does.
    """
    from . import wire

    if not recording() and wire.channel is not None:
        return None
    from .isolate import _solution_module

    return getattr(_solution_module(), function)(*args, **kwargs)


# ------------------------------------------------------------ judging outside

_SHAPE = re.compile(r"\((?:\d+, )*\d+,?\)|(?<=shape )\(\)")


def public(text: str) -> str:
    """A grader-made message with the shapes and sizes of hidden data taken out."""
    text = _SHAPE.sub("(…)", text)
    text = re.sub(r"\bN=\d+", "N", text)
    text = re.sub(r"\(\d+ of \d+ entries\)", "(some entries)", text)
    return re.sub(r"\(\d+ entries\)", "", text)


def _public_failure(got, ref, label, kwargs, warnings=None) -> str | None:
    """What a student reads when a hidden check fails: no expected value, hidden input or shape."""
    from . import check
    from .wire import TypeName

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
    diagnosis = check.diagnose(a, e, label, **{k: kwargs[k] for k in ("batch_size", "reduced_from", "axis", "mistakes")
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
            msg = _public_failure(records[k], ref[k], label, _check_kwargs(ref, info, k),
                                  getattr(records, "warnings", {}).get(k))
            ok, msg = msg is None, msg or ""
        verdicts.setdefault(info.get("cell") or "", []).append((k, ok, msg))
    return verdicts
