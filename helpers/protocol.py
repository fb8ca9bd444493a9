"""The contract between a notebook's kernel and the grader: who runs the kernel, and the reference file.

Both rooms import this module (it has no side effects and imports nothing of the grader's):

- **Mode**, read once per call from the environment and the channel: a hidden check (helpers.expect)
  *records* the reference solution's values while the build runs the source notebook
  (``$COURSE_RECORD_REFERENCE`` names the .npz), *submits* them to the class grader when
  helpers.grader.runner opened :data:`helpers.wire.channel`, and otherwise *compares* inside the
  kernel (stock nbgrader, the instructor's own Jupyter).
- **The .npz layout** of ``source/<assignment>/hidden/reference.npz``: one float64 array per value
  key, plus ``__meta__`` (JSON: for each key, its test cell, display name and how to judge it),
  ``__mistake__:<key>:<i>`` (the named wrong answers, in order) and ``__reduced_from__:<key>``
  (the unreduced array, for wrong-axis diagnoses).
"""
from __future__ import annotations

import enum
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import wire
from .paths import hidden_dir

RECORD_ENV = "COURSE_RECORD_REFERENCE"      # path of the .npz being recorded
ASSIGNMENT_ENV = "COURSE_ASSIGNMENT"         # which assignment the kernel runs
REFERENCE_FILE = "reference.npz"
HASH_KEY = "__source_hash__"
META_KEY = "__meta__"                        # JSON {value key: {cell, name, tol, ...}}
TYPE_PREFIX = "__type__:"                    # a submitted value that was not a numeric array
MISTAKE_PREFIX = "__mistake__:"              # arrays of named mistakes, for diagnoses
REDUCED_PREFIX = "__reduced_from__:"         # unreduced arrays, for wrong-axis diagnoses
SCALAR_KWARGS = ("tol", "batch_size", "axis", "hint")

# The grade_id of the test cell being executed, set by helpers.grader.runner.
current_cell: str | None = None


class Mode(enum.Enum):
    RECORD = "record"        # the build runs the reference solution: store its values
    SUBMIT = "submit"        # the class grader's sandbox: hand values out as data, judge nothing
    COMPARE = "compare"      # stock nbgrader or the instructor's Jupyter: compare in the kernel


def mode() -> Mode:
    """Which of the three modes this kernel is in (see the module docstring)."""
    if os.environ.get(RECORD_ENV):
        return Mode.RECORD
    return Mode.SUBMIT if wire.channel is not None else Mode.COMPARE


class ReferenceValuesError(RuntimeError):
    """The reference values are missing or stale: the instructor must rebuild."""


def reference_path(assignment: str) -> Path:
    return hidden_dir(assignment) / REFERENCE_FILE


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


def check_kwargs(ref: dict, info: dict, k: str) -> dict:
    """How to judge value `k`: the recorded tolerances and named mistakes, as assert_close's keywords."""
    kwargs = {a: info[a] for a in SCALAR_KWARGS if a in info}
    if REDUCED_PREFIX + k in ref:
        kwargs["reduced_from"] = ref[REDUCED_PREFIX + k]
    if info.get("mistakes"):
        kwargs["mistakes"] = {d: ref[f"{MISTAKE_PREFIX}{k}:{i}"] for i, d in enumerate(info["mistakes"])}
    return kwargs
