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

import ast
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks as nbs
from . import reference
from .paths import HIDDEN_DIRNAME, course_root, ensure_scripts_on_path, present_assignments, unknown_assignment_error

ensure_scripts_on_path()

GRADE_ID = re.compile(r"^[a-z][a-z0-9_]{2,}$")
AUTO_ID = re.compile(r"^cell-[0-9a-f]{8,}$")     # what nbgrader's toolbar makes up: not descriptive


class BuildError(RuntimeError):
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


def source_notebook(assignment: str) -> Path:
    return course_root() / "source" / assignment / f"{assignment}.ipynb"


# ------------------------------------------------------------------------ 1. lint

def _where(path, index, cell) -> str:
    gid = nbs.meta(cell).get("grade_id")
    return f"{path.name}, cell {index}" + (f" ({gid})" if gid else "")


def kernel_judged_tests(nb) -> list[str]:
    """Test cells without a hidden `expect(...)`: the class grader can only take their kernel's word.

    Every other test cell is judged outside the sandbox on the values its hidden checks hand over,
    which a submission cannot forge. These still grade, but they are worth a hidden `expect`.
    """
    return [nbs.meta(c)["grade_id"] for c in nb.cells if nbs.is_test(c)
            and not any("expect(" in ln for ln in nbs.region_lines(c.source, *nbs.HIDDEN_MARKERS))]


HIDDEN_IMPORTS = ("helpers", "numpy")
IPYTHON_NAMES = {"get_ipython", "display", "In", "Out", "exit", "quit"}


def _names(tree) -> tuple[set[str], set[str]]:
    """(names read, names bound anywhere: assignments, imports, defs, parameters, loop targets)."""
    reads, binds = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else binds).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(node.name)
        elif isinstance(node, ast.arg):
            binds.add(node.arg)
        elif isinstance(node, ast.alias):
            binds.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            binds.add(node.name)
    return reads, binds


def _hidden_segment_problems(where: str, source: str) -> list[str]:
    """Rules for one hidden part: it runs where the student's code runs, so it holds no code to find."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"{where}: a hidden part must be complete statements on its own (it runs as one unit): {exc.msg}, "
                f"line {exc.lineno}"]
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            what = "lambda" if isinstance(node, ast.Lambda) else f"{type(node).__name__} {node.name}"
            problems.append(f"{where}: a hidden part defines {what}: reference code must live in hidden/solution.py "
                            f"(isolate.use_reference / variants), where the student's code cannot reach it")
        elif isinstance(node, ast.Assert):
            problems.append(f"{where}: a hidden part judges with `assert` inside the kernel: hand the value to expect()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr.startswith("assert_"):
            problems.append(f"{where}: a hidden part judges with {node.func.attr}() inside the kernel: hand the value "
                            f"to expect(), which the grader judges outside")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if bad := [m for m in mods if m.split(".")[0] not in HIDDEN_IMPORTS]:
                problems.append(f"{where}: a hidden part imports {', '.join(bad)}: only helpers and numpy "
                                f"(a library could compute a graded quantity for the student's code to find)")
    return problems


def test_cell_problems(path: Path, nb) -> list[str]:
    """Hidden parts hold no reference code and judge nothing in the kernel; every test cell stands alone."""
    import builtins

    from .sandbox import _segments

    problems, defined, by_tests = [], set(), {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = _where(path, i, cell)
        source = nbs.strip_solution_markers(cell.source) if nbs.is_solution(cell) else cell.source
        try:
            reads, binds = _names(ast.parse(source))
        except SyntaxError:
            continue           # the source notebook's execution reports it
        if not nbs.is_test(cell):
            defined |= binds
            continue
        for seg in _segments({"kind": "test", "source": cell.source}):
            if seg["hidden"]:
                problems += _hidden_segment_problems(where, seg["source"])
        free = reads - binds - defined - set(dir(builtins)) - IPYTHON_NAMES
        for name in sorted(free):
            origin = by_tests.get(name)
            problems.append(f"{where}: uses {name!r}, which " + (
                f"only the earlier test cell {origin} defines: test cells must stand alone (define it here, "
                f"or in a setup cell)" if origin else "no earlier setup or answer cell defines"))
        for name in binds:
            by_tests.setdefault(name, nbs.meta(cell).get("grade_id"))
    return problems


def lint(path: Path) -> list[str]:
    """Problems of a source notebook, each naming the notebook and the cell; [] when clean."""
    nb = nbs.read(path)
    problems, seen, open_answer = [], {}, None
    for i, cell in enumerate(nb.cells):
        where, m, text = _where(path, i, cell), nbs.meta(cell), cell.source
        if cell.cell_type == "code" and cell.get("outputs"):
            problems.append(f"{where}: has stored outputs; clear them "
                            f"(jupyter nbconvert --clear-output --inplace {path})")
        if any(mk in text for mk in nbs.SOLUTION_MARKERS) and not m.get("solution"):
            problems.append(f"{where}: has a solution region but is not an nbgrader solution cell")
        if any(mk in text for mk in nbs.HIDDEN_MARKERS) and not nbs.is_test(cell):
            problems.append(f"{where}: has hidden tests but is not an autograder test cell")
        for begin, end in (nbs.SOLUTION_MARKERS, nbs.HIDDEN_MARKERS):
            if text.count(begin) != text.count(end):
                problems.append(f"{where}: unbalanced {begin!r} / {end!r}")
        if not m or not (m.get("solution") or m.get("grade") or m.get("task")):
            continue
        gid = m.get("grade_id")
        if not gid:
            problems.append(f"{where}: nbgrader cell without a grade_id")
        elif AUTO_ID.match(gid) or not GRADE_ID.match(gid):
            problems.append(f"{where}: grade_id {gid!r} is not descriptive; use lower_snake_case "
                            f"such as 'correct_relu_backward'")
        elif gid in seen:
            problems.append(f"{where}: duplicate grade_id {gid!r} (also cell {seen[gid]})")
        else:
            seen[gid] = i
        if m.get("grade") and not (isinstance(m.get("points"), (int, float)) and m["points"] > 0):
            problems.append(f"{where}: graded cell without positive points")
        if m.get("solution") and cell.cell_type == "code":
            if open_answer is not None:
                problems.append(f"{_where(path, *open_answer)}: answer cell without a test cell after it")
            if nbs.SOLUTION_MARKERS[0] not in text:
                problems.append(f"{where}: solution cell without '### BEGIN SOLUTION'")
            open_answer = (i, cell)
        elif nbs.is_test(cell):
            open_answer = None
    if open_answer is not None:
        problems.append(f"{_where(path, *open_answer)}: answer cell without a test cell after it")
    return problems + test_cell_problems(path, nb)


# ------------------------------------------------------------------ 2. reference

def record_reference(assignment: str, force: bool = False, timeout: int = 600) -> str:
    """Execute the source notebook in a scratch copy and record the hidden tests' values.

    Skipped when the stored values were recorded from the same source (by hash), unless force.
    Returns 'recorded', 'up to date', raises BuildError when the notebook fails.
    """
    src = source_notebook(assignment)
    target = reference.reference_path(assignment)
    digest = reference.source_hash(src)
    if not force and target.is_file():
        import numpy as np
        with np.load(target) as npz:
            if reference.HASH_KEY in npz.files and str(npz[reference.HASH_KEY]) == digest:
                return "up to date"
    from .sandbox import Limits, run_cells

    with tempfile.TemporaryDirectory(prefix="course-ref-") as tmp:
        work = Path(tmp) / assignment
        shutil.copytree(src.parent, work, ignore=shutil.ignore_patterns(HIDDEN_DIRNAME, ".ipynb_checkpoints"))
        staging = Path(tmp) / "reference.npz"
        # The same runner and environment as class grading (NBGRADER_EXECUTION set), trusted and
        # unsandboxed, so that every recorded value knows its test cell.
        runs, _ = run_cells(nbs.plan(nbs.read(src)), work, assignment,
                         Limits(cell_seconds=timeout, notebook_seconds=timeout, memory_mb=8192),
                         sandbox=False, extra_env={reference.RECORD_ENV: str(staging),
                                                   "COURSE_ROOT": str(course_root())})
        if bad := [r for r in runs if r.status != "ok"]:
            r = bad[0]
            raise BuildError(f"{src}: cell {r.index} ({r.grade_id or r.kind}) of the source notebook "
                             f"{r.status}: {r.error}\n{r.output[-2000:]}")
        import numpy as np
        values = dict(np.load(staging)) if staging.exists() else {}
        values[reference.HASH_KEY] = np.array(digest)
        target.parent.mkdir(exist_ok=True)
        tmp_target = target.with_name("reference.tmp.npz")
        np.savez(tmp_target, **values)
        os.replace(tmp_target, target)
    return "recorded"


# ------------------------------------------------------------------ 3. generate

def scratch_course(root: Path, assignments) -> Path:
    """A throwaway course folder (config + the assignments' sources) for nbgrader to work in."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course_root() / "nbgrader_config.py", root / "nbgrader_config.py")
    for a in assignments:
        shutil.copytree(course_root() / "source" / a, root / "source" / a,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


def nbgrader(root: Path, *args: str, check: bool = True, own_db: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in a course folder.

    own_db: use the folder's own gradebook.db, ignoring $COURSE_DB_URL (scratch folders).
    """
    env = {k: v for k, v in os.environ.items() if not (own_db and k == "COURSE_DB_URL")}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise BuildError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc


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
    src_dir = course_root() / "source" / assignment
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
            if check_only and not s.problems and not releases_equal(released, course_root() / "release" / s.assignment):
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
                _replace_dir(root / "release" / s.assignment, course_root() / "release" / s.assignment)
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
