"""Reference values for hidden tests.

A hidden test runs the student's function on hidden inputs and hands the result to
:func:`expect` under a key. The expected value was recorded by running the *same* hidden
test on the reference solution (``python -m helpers build`` executes each source notebook with
``COURSE_RECORD_REFERENCE`` set), and is stored in ``source/<assignment>/hidden/reference.npz``,
a folder that never enters ``release/``. Along with each value the recording keeps which test
cell produced it and how to judge it (tolerance, batch size, named mistakes).

:func:`expect` is the one place where a hidden test judges, in one of three modes:
- recording (build): store the reference solution's value;
- comparing (stock nbgrader, the notebook harness): compare inside the kernel;
- submitting (the class grader, ``COURSE_GRADE_RESULTS`` set): hand the value out of the
  sandbox as data; :func:`judge` compares it outside, where the student's code cannot reach.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .paths import HIDDEN_DIRNAME, source_dir

RECORD_ENV = "COURSE_RECORD_REFERENCE"      # path of the .npz being recorded
RESULTS_ENV = "COURSE_GRADE_RESULTS"        # folder where the class grader collects values
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


class ReferenceError(RuntimeError):
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
            raise ReferenceError(f"reference key {k!r} recorded twice: keys must be unique in a notebook")
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
    """Class grading: hand the values to the grader as data (.npz, never pickle)."""
    folder = Path(os.environ[RESULTS_ENV])
    values = {}
    for k, v in flatten(actual, key).items():
        if type(v) is np.ndarray and v.dtype.kind in "biuf":
            values[k] = v
        elif type(v) in (float, np.float64, np.float32, np.float16):
            values[k] = np.array(v)
        else:   # judged outside by its type's name, as the in-kernel guard would
            values[TYPE_PREFIX + k] = np.array(type(v).__name__)
    n = len(list(folder.glob("rec-*.npz")))
    _save_npz(folder / f"rec-{n:05d}.npz", values)


# --------------------------------------------------------------------- comparing

_cache: dict[Path, dict[str, np.ndarray]] = {}


def load_reference(assignment: str) -> dict[str, np.ndarray]:
    """Everything recorded for an assignment (values and the judging metadata)."""
    path = reference_path(assignment)
    if path not in _cache:
        if not path.is_file():
            raise ReferenceError(
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
    if os.environ.get(RESULTS_ENV):
        _submit(key, actual)
        return
    from . import check

    reference = load_reference(current_assignment())
    for k, value in flatten(actual, key).items():
        if k not in reference:
            raise ReferenceError(f"no reference value {k!r} for {current_assignment()!r}: "
                                 f"the instructor must rebuild (`python -m helpers build`).")
        check.assert_close(value, reference[k], (name or key) + k[len(key):], **check_kwargs)


# ------------------------------------------------------------ judging outside

def load_records(folder: Path) -> dict:
    """The values a graded notebook handed over, {value key: array or ('type', name)}; later wins."""
    records = {}
    for path in sorted(Path(folder).glob("rec-*.npz")):
        try:
            with np.load(path, allow_pickle=False) as npz:
                for k in npz.files:
                    if k.startswith(TYPE_PREFIX):
                        records[k[len(TYPE_PREFIX):]] = ("type", str(npz[k]))
                    else:
                        records[k] = npz[k]
        except (OSError, ValueError, EOFError) as exc:     # a file the student's code mangled
            records[f"__unreadable__:{path.name}"] = ("error", str(exc))
    return records


def judge(assignment: str, records: dict) -> dict[str, list[tuple[str, bool, str]]]:
    """Compare handed-over values with the reference, in the trusted grader.

    Returns {test cell grade_id: [(value key, passed, message), ...]} for every recorded key.
    """
    from . import check

    ref = load_reference(assignment)
    verdicts: dict[str, list] = {}
    for k, info in reference_meta(assignment).items():
        label = info.get("name", k)
        got = records.get(k)
        if got is None:
            ok, msg = False, (f"{label}: no value was handed in (the hidden test did not reach this check: "
                              f"an error earlier in the cell, or the cell did not run)")
        elif isinstance(got, tuple):
            ok, msg = False, f"{label} must be a numpy array of floats (or a float), got {got[1]}"
        else:
            try:
                check.assert_close(got, ref[k], label, **_check_kwargs(ref, info, k))
                ok, msg = True, ""
            except check.CheckFailure as exc:
                ok, msg = False, str(exc)
        verdicts.setdefault(info.get("cell") or "", []).append((k, ok, msg))
    return verdicts
