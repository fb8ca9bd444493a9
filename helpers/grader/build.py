"""`python -m helpers build`: source/ -> release/, checked before and verified after.

For every assignment:
1. lint the source notebook (grade ids, points, a test after every answer, no outputs);
2. record the hidden tests' reference values when the source changed (executes the notebook);
3. run ``nbgrader generate_assignment`` in a scratch course folder;
4. verify the release (no solution or hidden-test text, no markers, every stub raises
   NotImplementedError, no hidden-only file);
then replace release/ only if every assignment passed, and print a table.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import nb as nbs
from ..paths import HIDDEN_DIRNAME, course_root, present_assignments, release_folder, source_dir, source_notebook, unknown_assignment_error
from .stock import NbgraderError, ensure_scripts_on_path, nbgrader, scratch_course
from .. import protocol
from .lint import _where, kernel_judged_tests, lint
from .sandbox import Limits, run_cells





class BuildError(NbgraderError):
    """The build stopped; the message names the notebook and the cell. release/ is unchanged."""


@dataclass
class Summary:
    assignment: str
    tests: int = 0
    auto_points: float = 0.0
    manual_points: float = 0.0
    reference: str = ""
    status: str = "ok"
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ 2. reference

def record_reference(assignment: str, force: bool = False, timeout: int = 600) -> str:
    """Execute the source notebook in a scratch copy and record the hidden tests' values.

    Skipped when the stored values were recorded from the same source (by hash), unless force.
    Returns 'recorded', 'up to date', raises BuildError when the notebook fails.
    """
    src = source_notebook(assignment)
    target = protocol.reference_path(assignment)
    digest = protocol.source_hash(src)
    if not force and target.is_file():
        import numpy as np
        with np.load(target) as npz:
            if protocol.HASH_KEY in npz.files and str(npz[protocol.HASH_KEY]) == digest:
                return "up to date"

    with tempfile.TemporaryDirectory(prefix="course-ref-") as tmp:
        work = Path(tmp) / assignment
        shutil.copytree(src.parent, work, ignore=shutil.ignore_patterns(HIDDEN_DIRNAME, ".ipynb_checkpoints"))
        staging = Path(tmp) / "reference.npz"
        # The same runner and environment as class grading (NBGRADER_EXECUTION set), trusted and
        # unsandboxed, so that every recorded value knows its test cell.
        runs, _ = run_cells(nbs.plan(nbs.read(src)), work, assignment,
                         Limits(cell_seconds=timeout, notebook_seconds=timeout, memory_mb=8192),
                         sandbox=False, extra_env={protocol.RECORD_ENV: str(staging),
                                                   "COURSE_ROOT": str(course_root())})
        if bad := [r for r in runs if r.status != "ok"]:
            r = bad[0]
            raise BuildError(f"{src}: cell {r.index} ({r.grade_id or r.kind}) of the source notebook "
                             f"{r.status}: {r.error}\n{r.output[-2000:]}")
        import numpy as np
        values = dict(np.load(staging)) if staging.exists() else {}
        values[protocol.HASH_KEY] = np.array(digest)
        target.parent.mkdir(exist_ok=True)
        tmp_target = target.with_name("reference.tmp.npz")
        np.savez(tmp_target, **values)
        os.replace(tmp_target, target)
    return "recorded"


# ------------------------------------------------------------------ 3. generate


def generate(assignment: str, root: Path) -> Path:
    nbgrader(root, "generate_assignment", assignment, "--force")
    return root / "release" / assignment


# -------------------------------------------------------------------- 4. verify

def _secret_lines(source_nb) -> set[str]:
    """Lines of solution and hidden-test regions that appear nowhere outside such regions."""
    inside, outside = set(), set()
    for cell in source_nb.cells:
        in_region = False
        for line in cell.source.splitlines():
            s = line.strip()
            if s in (nbs.SOLUTION_MARKERS[0], nbs.HIDDEN_MARKERS[0]):
                in_region = True
            elif s in (nbs.SOLUTION_MARKERS[1], nbs.HIDDEN_MARKERS[1]):
                in_region = False
            else:
                (inside if in_region else outside).add(s)
    return {ln for ln in inside - outside if len(ln) >= 6 and not ln.startswith("#")}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
            and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}


def verify_release(assignment: str, release: Path) -> list[str]:
    """Problems of a generated release folder; [] when clean."""
    src_dir = source_dir() / assignment
    source_nb = nbs.read(src_dir / f"{assignment}.ipynb")
    problems = []
    expected = {f for f in _files(src_dir) if not f.startswith(HIDDEN_DIRNAME + "/")}
    got = _files(release)
    if extra := sorted(got - expected):
        problems.append(f"release/{assignment} has files that are not meant for students: {extra}")
    if missing := sorted(expected - got):
        problems.append(f"release/{assignment} lacks files of the source: {missing}")
    secrets = _secret_lines(source_nb)
    for name in sorted(f for f in got if f.endswith(".ipynb")):
        nb = nbs.read(release / name)
        for i, cell in enumerate(nb.cells):
            where = _where(release / name, i, cell)
            if marks := [mk for mk in nbs.ALL_MARKERS if mk in cell.source]:
                problems.append(f"{where}: nbgrader markers left in the release: {marks}")
            if leaked := sorted(secrets & {ln.strip() for ln in cell.source.splitlines()}):
                problems.append(f"{where}: solution or hidden-test text in the release: {leaked[:3]}")
            if nbs.is_solution(cell) and cell.cell_type == "code" and "raise NotImplementedError" not in cell.source:
                problems.append(f"{where}: the stub does not raise NotImplementedError")
            if cell.cell_type == "code" and cell.get("outputs"):
                problems.append(f"{where}: outputs stored in the release")
    return problems


def releases_equal(a: Path, b: Path) -> bool:
    """True when two release folders hold the same files with the same bytes."""
    if _files(a) != _files(b):
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in _files(a))


# ---------------------------------------------------------------------- build

def build(assignments=None, force_reference: bool = False, check_only: bool = False,
          out=print) -> list[Summary]:
    """Build (or with check_only, compare against) release/ for the given assignments (default: all).

    Raises BuildError naming every problem; release/ is replaced only when all passed.
    """
    ensure_scripts_on_path()
    names = list(assignments or present_assignments())
    for a in names:
        if not source_notebook(a).is_file():
            raise unknown_assignment_error(a)
    summaries = [Summary(a) for a in names]
    with tempfile.TemporaryDirectory(prefix="course-build-") as tmp:
        root = scratch_course(Path(tmp), names)
        for s in summaries:
            s.problems = lint(source_notebook(s.assignment))
            if s.problems:
                continue
            if weak := kernel_judged_tests(nbs.read(source_notebook(s.assignment))):
                s.warnings.append(f"judged only inside the student's kernel (no hidden expect): {', '.join(weak)}")
            if not check_only:
                s.reference = record_reference(s.assignment, force=force_reference)
            released = generate(s.assignment, root)
            s.problems = verify_release(s.assignment, released)
            if check_only and not s.problems and not releases_equal(released, release_folder(s.assignment)):
                s.problems = [f"release/{s.assignment} is out of date with source/: run `python -m helpers build`"]
            _count(s, nbs.read(source_notebook(s.assignment)))
        for s in summaries:
            s.status = "ok" if not s.problems else "FAILED"
        _print_table(summaries, out)
        failed = [p for s in summaries for p in s.problems]
        if failed:
            raise BuildError("build failed; release/ left as it was:\n  " + "\n  ".join(failed))
        if not check_only:
            for s in summaries:
                _replace_dir(root / "release" / s.assignment, release_folder(s.assignment))
    return summaries


def _count(s: Summary, nb) -> None:
    for cell in nb.cells:
        m = nbs.meta(cell)
        if not m.get("grade"):
            continue
        if nbs.is_test(cell):
            s.tests += 1
            s.auto_points += float(m["points"])
        else:
            s.manual_points += float(m["points"])


def _replace_dir(new: Path, target: Path) -> None:
    """Swap a folder into place: the old one is removed only after the new one is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".new")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(new, staged)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)


def _print_table(summaries, out) -> None:
    out(f"{'assignment':<32}{'tests':>6}{'auto pts':>10}{'manual pts':>12}  {'reference':<12}status")
    for s in summaries:
        out(f"{s.assignment:<32}{s.tests:>6}{s.auto_points:>10g}{s.manual_points:>12g}  "
            f"{s.reference or '-':<12}{s.status}")
        for p in s.problems:
            out(f"    - {p}")
        for w in s.warnings:
            out(f"    ! {w}")
