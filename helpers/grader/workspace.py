"""The learner's side of the course: `python -m helpers start | check | solutions`.

- ``start [ASSIGNMENT...]`` copies ``release/<a>/`` into the workspace ``notebooks/<a>/`` and never
  overwrites work: an existing notebook is kept unless ``--force``, which first backs it up as
  ``notebooks/<a>/<a>.ipynb.bak-YYYYmmdd-HHMMSS``.
- ``check [NOTEBOOK_OR_ASSIGNMENT]`` grades workspace notebooks exactly as the instructor's class
  grader does (:func:`helpers.grader.grade.grade_one`: the answer cells are the learner's, the tests,
  hidden ones included, the course's; sandboxed where bubblewrap works) and prints a table per
  notebook with the diagnosis of each failed test and the cell to look at.
- ``solutions [ASSIGNMENT...]`` writes reference notebooks for self-study into ``solutions/<a>/``
  (solution markers and hidden tests removed), after a confirmation.

Every path is relative to :func:`helpers.paths.course_root` (``$COURSE_ROOT`` in the tests).
"""
from __future__ import annotations

import concurrent.futures as cf
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import nb as nbs
from .grade import grade_one, preflight
from .results import Status
from . import sandbox as sandboxing
from .warm import ZygotePool
from ..paths import ASSIGNMENTS, course_root, present_assignments, release_folder, source_notebook, unknown_assignment_error

WORKSPACE = "notebooks"
SOLUTIONS = "solutions"
HIDDEN_NOTE = ("Hidden tests count here as they will when your work is graded; their code and "
               "expected values are not shown.")


class WorkspaceError(ValueError):
    """A problem the learner can fix; the message says how."""


def workspace_dir() -> Path:
    return course_root() / WORKSPACE


def solutions_dir() -> Path:
    return course_root() / SOLUTIONS


def _release(a: str) -> Path:
    return release_folder(a)


def released_assignments() -> list[str]:
    """Assignments with a source notebook and a built release, in course order."""
    return [a for a in present_assignments() if (_release(a) / f"{a}.ipynb").is_file()]


def _known(names, pool) -> list[str]:
    names = list(names or [])
    if not names:
        if not pool:
            raise WorkspaceError("no assignment is available yet (release/ is empty): "
                                 "`python -m helpers build` first")
        return list(pool)
    for a in names:
        if a not in pool:
            raise unknown_assignment_error(a)
    return names


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(course_root()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------- start

def backup_path(notebook: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = notebook.with_name(f"{notebook.name}.bak-{stamp}")
    n = 1
    while path.exists():                     # two --force in the same second
        path = notebook.with_name(f"{notebook.name}.bak-{stamp}-{n}")
        n += 1
    return path


def start(assignments=None, force: bool = False, out=print) -> int:
    """Copy each release into notebooks/<a>/, keeping existing work (backed up first with force)."""
    names = _known(assignments, released_assignments())
    for a in names:
        release, target = _release(a), workspace_dir() / a
        notebook = target / f"{a}.ipynb"
        kept = notebook.exists()
        if kept and not force:
            out(f"{_rel(notebook)} exists already: kept your work as it is.\n"
                f"  To start over from the current release: python -m helpers start {a} --force\n"
                f"  (your notebook is saved first as {notebook.name}.bak-<date>-<time>)")
        backup = None
        if kept and force:
            backup = backup_path(notebook)
            shutil.copy2(notebook, backup)
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted(release.rglob("*")):
            if not f.is_file() or ".ipynb_checkpoints" in f.parts:
                continue
            dest = target / f.relative_to(release)
            if dest == notebook and kept and not force:
                continue
            if dest != notebook and dest.exists() and not force:
                continue                     # course files the learner may have changed: keep
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        if backup:
            out(f"{_rel(notebook)}: replaced by the current release; your previous notebook is in "
                f"{_rel(backup)}")
        elif not kept:
            out(f"{_rel(notebook)}: ready. Open it in JupyterLab (.venv/bin/jupyter lab), then "
                f"`python -m helpers check {a}`.")
    return 0


# ---------------------------------------------------------------------- check

@dataclass
class Target:
    assignment: str
    notebook: Path


def resolve_targets(what: str | None) -> list[Target]:
    """An assignment name, a folder or a .ipynb path -> the notebooks to check."""
    ws = workspace_dir()
    if not what:
        found = [Target(a, ws / a / f"{a}.ipynb") for a in present_assignments()
                 if (ws / a / f"{a}.ipynb").is_file()]
        if not found:
            raise WorkspaceError(f"no notebook to check in {_rel(ws)}/: start an assignment with "
                                 f"`python -m helpers start ASSIGNMENT` (known: "
                                 f"{', '.join(released_assignments()) or 'none yet'})")
        return found
    path = Path(what)
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise WorkspaceError(f"{what}: no such notebook")
        for name in (path.stem, path.resolve().parent.name):
            if name in ASSIGNMENTS:
                return [Target(_checked_assignment(name), path)]
        raise WorkspaceError(f"{what}: cannot tell which assignment this notebook is (neither its name nor "
                             f"its folder is an assignment); known assignments: "
                             f"{', '.join(present_assignments()) or 'none yet'}")
    if path.is_dir():
        name = path.resolve().name
        if name not in ASSIGNMENTS:
            raise unknown_assignment_error(name)
        notebook = path / f"{name}.ipynb"
        if not notebook.is_file():
            raise WorkspaceError(f"{what}: no {notebook.name} in this folder")
        return [Target(_checked_assignment(name), notebook)]
    a = _checked_assignment(what)
    notebook = ws / a / f"{a}.ipynb"
    if not notebook.is_file():
        raise WorkspaceError(f"{_rel(notebook)} does not exist: `python -m helpers start {a}` copies the "
                             f"assignment into your workspace")
    return [Target(a, notebook)]


def _checked_assignment(name: str) -> str:
    if name not in present_assignments():
        raise unknown_assignment_error(name)
    return name


def stale_cells(assignment: str, learner_nb) -> list[str]:
    """How the learner's locked and test cells differ from the current release's, by grade id."""
    release_nb = nbs.read(_release(assignment) / f"{assignment}.ipynb")

    def fixed(nb):
        return {nbs.meta(c)["grade_id"]: c.source for c in nb.cells
                if nbs.meta(c).get("grade_id") and not nbs.is_solution(c)
                and (nbs.meta(c).get("locked") or nbs.meta(c).get("grade"))}

    def norm(s):
        return "\n".join(line.rstrip() for line in s.strip().splitlines())

    mine, current = fixed(learner_nb), fixed(release_nb)
    fix = (f"run `python -m helpers start {assignment} --force` to update "
           f"(your answers are kept in the backup)")
    problems = []
    for gid, src in current.items():
        if gid not in mine:
            problems.append(f"cell {gid} of the current release is missing from your notebook: {fix}")
        elif norm(mine[gid]) != norm(src):
            problems.append(f"cell {gid} differs from the current release: {fix}")
    for gid in mine:
        if gid not in current:
            problems.append(f"cell {gid} is not in the current release (older release?): {fix}")
    return problems


def check(what: str | None = None, sandbox: bool | None = None, limits=None, out=print) -> int:
    """Grade the learner's notebooks the instructor's way; 0 when every test passed, else 1."""

    targets = resolve_targets(what)
    note = ""
    if sandbox is None:
        sandbox, why = sandboxing.sandbox_available()
        if not sandbox:
            note = (f"note: not sandboxed ({why}); your notebook runs with your own rights, which is fine "
                    f"for your own work.")
    elif not sandbox:
        note = "note: not sandboxed (asked for); your notebook runs with your own rights."
    if note:
        out(note)
    all_passed = True
    limits = limits or sandboxing.Limits()
    # start-up (imports, data) paid once for all notebooks
    warm = ZygotePool(limits, out, [t.assignment for t in targets]) if sandbox else None
    try:
        for t in targets:
            all_passed &= _check_one(t, sandbox, limits, out, warm)
    finally:
        if warm is not None:
            warm.close()
    out(HIDDEN_NOTE)
    return 0 if all_passed else 1


def _check_one(t: Target, sandbox: bool, limits, out, warm=None) -> bool:

    a, path = t.assignment, t.notebook
    try:
        learner_nb = nbs.read(path)
    except nbs.NotebookError as exc:
        out(f"\n{a}: cannot read your notebook: {exc}\n  Fix the file by hand, or run "
            f"`python -m helpers start {a} --force` for a fresh copy (your file is backed up first).")
        return False
    except Exception as exc:          # nbformat raises several kinds on bad structure
        out(f"\n{a}: {_rel(path)} is not a valid notebook: {str(exc)[:300]}")
        return False
    stale = stale_cells(a, learner_nb)
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        folder = path.parent
        if path.name != f"{a}.ipynb":        # grade_one expects <folder>/<assignment>.ipynb
            folder = Path(tmp) / a
            folder.mkdir()
            shutil.copy2(path, folder / f"{a}.ipynb")
        # the pre-flight (cached once passed) beside the learner's notebook: two kernels, two cores
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1), cf.ThreadPoolExecutor(max_workers=2) as both:   # stand-ins: see _grade_all
            checked = both.submit(preflight, a, limits, sandbox, course_root() / ".check-cache" / "preflight.json", warm)
            graded = both.submit(grade_one, "self-check", a, folder, limits, sandbox, warm)
            checked.result()          # a GraderError (the sandbox cannot grade) wins over the learner's result
            outcome = graded.result()
    print_table(outcome, learner_nb, path, stale, out)
    return outcome.status is Status.GRADED and bool(outcome.tests) and all(v.passed for v in outcome.tests)


def _cell_numbers(learner_nb) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """{grade id: 1-based cell number} and, per test cell, the answer cell just above it."""
    number, answer_before = {}, {}
    last_answer = None
    for i, cell in enumerate(learner_nb.cells, start=1):
        gid = nbs.meta(cell).get("grade_id")
        if gid:
            number[gid] = i
        if nbs.is_solution(cell) and cell.cell_type == "code":
            last_answer = (i, gid)
        elif nbs.is_test(cell) and last_answer:
            answer_before[gid] = last_answer
    return number, answer_before


def _printable(text: str) -> str:
    """Text from a notebook or kernel, safe for a terminal: no escape sequences or control characters."""
    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", str(text))


def _indent(text: str, pad: str = "      ") -> str:
    return "\n".join(pad + line for line in text.strip().splitlines())


def print_table(outcome, learner_nb, path: Path, stale=(), out=print) -> None:
    number, answer_before = _cell_numbers(learner_nb)
    ncells = len(learner_nb.cells)
    out(f"\n{outcome.assignment}: {_rel(path)}")
    for s in stale:
        out(f"  ! {s}")
    detail = _printable(outcome.detail)
    if outcome.status is not Status.GRADED:
        out(f"  status: {outcome.status}" + (f" ({detail})" if detail else ""))
    elif detail:
        out(f"  note: {detail}")
    width = max([len(v.grade_id) for v in outcome.tests] + [10])
    out(f"  {'test':<{width}}  {'cell':>7}  {'points':>7}  status")
    for v in outcome.tests:
        cell = f"{number[v.grade_id]}/{ncells}" if v.grade_id in number else "-"
        out(f"  {v.grade_id:<{width}}  {cell:>7}  {v.points:>3g}/{v.max_points:<3g}  {v.status}")
        if v.passed:
            continue
        msg = _printable(v.message.strip())
        if v.detail.startswith("NotImplementedError"):
            msg = "not answered yet (the answer cell still raises NotImplementedError)"
        elif v.detail and "visible part" in msg:
            msg = f"the visible test failed:\n{_printable(v.detail)}"
        if msg:
            out(_indent(msg))
        where = []
        if v.grade_id in number:
            where.append(f"test cell {number[v.grade_id]} ({v.grade_id})")
        if v.grade_id in answer_before:
            i, gid = answer_before[v.grade_id]
            where.append(f"answer cell above it: cell {i} ({gid})")
        if where:
            out(f"      -> {', '.join(where)}")
    out(f"  {'total':<{width}}  {'':>7}  {outcome.score:>3g}/{outcome.max_score:<3g}  (autograded)")
    if outcome.manual:
        out(f"  written answers, graded by hand ({sum(outcome.manual.values()):g} more points):")
        for gid, pts in outcome.manual.items():
            cell = f"{number[gid]}/{ncells}" if gid in number else "-"
            state = ("NOT ANSWERED: the cell still says YOUR ANSWER HERE" if gid in outcome.unanswered
                     else "answered (graded by your instructor)")
            out(f"  {gid:<{width}}  {cell:>7}  {'-':>3}/{pts:<3g}  {state}")


# ------------------------------------------------------------------ solutions

def solution_notebook(assignment: str):
    """The source notebook without solution markers and without hidden tests (and no outputs)."""
    nb = nbs.read(source_notebook(assignment))
    for cell in nb.cells:
        if nbs.is_solution(cell):
            cell.source = nbs.strip_solution_markers(cell.source)
        lines, inside = [], False
        for line in cell.source.splitlines():
            s = line.strip()
            if s == nbs.HIDDEN_MARKERS[0]:
                inside = True
            elif s == nbs.HIDDEN_MARKERS[1]:
                inside = False
            elif not inside and s not in nbs.ALL_MARKERS:
                lines.append(line)
        cell.source = "\n".join(lines).rstrip("\n")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _confirm(names, stdin, out) -> bool | None:
    """True/False from the learner; None when there is no terminal to ask."""
    stdin = stdin or sys.stdin
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        return None
    out(f"This writes the reference solutions of {', '.join(names)} into {SOLUTIONS}/.\n"
        f"You learn most by getting a test to pass yourself: look only when stuck.")
    print("Continue? [y/N] ", end="", flush=True)
    answer = stdin.readline().strip().lower()
    return answer in ("y", "yes")


def solutions(assignments=None, yes: bool = False, stdin=None, out=print) -> int:
    names = _known(assignments, present_assignments())
    if not yes:
        ok = _confirm(names, stdin, out)
        if ok is None:
            out("Not writing solutions: there is no terminal to ask for confirmation. "
                "Run `python -m helpers solutions --yes` to write them anyway.")
            return 1
        if not ok:
            out("Nothing written.")
            return 1
    for a in names:
        target = solutions_dir() / a
        target.mkdir(parents=True, exist_ok=True)
        release = _release(a)
        if release.is_dir():                  # the data files a notebook needs, never hidden ones
            for f in release.rglob("*"):
                if f.is_file() and f.suffix != ".ipynb" and ".ipynb_checkpoints" not in f.parts:
                    (target / f.relative_to(release)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, target / f.relative_to(release))
        nbs.write(solution_notebook(a), target / f"{a}.ipynb")
        out(f"{_rel(target / f'{a}.ipynb')} written")
    return 0
