"""Stock nbgrader autograding in a scratch course folder, and the submissions the tests and
the demo hand in: the reference solution, the untouched release, and realistic mistakes from
each assignment's catalogue (source/<a>/hidden/mistakes.py).

The notebook harness grades with stock nbgrader here, to prove that every notebook works with
plain nbgrader too; the class grader (helpers.classgrade) is the course's own, sandboxed path.
"""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks as nbs
from .build import nbgrader, scratch_course, source_notebook
from .paths import HIDDEN_DIRNAME, course_root


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    message: str = ""          # the error the test cell printed (its diagnosis), '' when it passed

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class NotebookResult:
    student: str
    assignment: str
    status: str = "graded"     # graded | invalid notebook | missing | error
    detail: str = ""
    cells: dict[str, CellResult] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells.values())


# ----------------------------------------------------------------- submissions

def reference_submission(assignment: str):
    """The source notebook as a student who answered everything right would hand it in."""
    nb = nbs.read(source_notebook(assignment))
    for cell in nb.cells:
        if nbs.is_solution(cell):
            cell.source = nbs.strip_solution_markers(cell.source)
    return nb


def release_submission(assignment: str):
    """The untouched student release."""
    return nbs.read(course_root() / "release" / assignment / f"{assignment}.ipynb")


@dataclass
class Mistake:
    """A realistic wrong answer: the solution cell `cell` replaced by `code`.

    `fails` are the test cells that must lose their points (and only those);
    `diagnosis` is text that must appear in the failure message, where one applies.
    Validate (the release's visible tests) must fail one of `fails` too, with
    `visible_diagnosis` (default: `diagnosis`) in what that test cell prints; a mistake that
    only a hidden test can catch says why in `hidden_only` (then no visible test may catch it).
    """
    cell: str
    name: str
    code: str
    fails: tuple[str, ...]
    diagnosis: str = ""
    visible_diagnosis: str = ""
    hidden_only: str = ""

    @property
    def visible_text(self) -> str:
        return self.visible_diagnosis or self.diagnosis


def _hidden_list(assignment: str, filename: str, name: str, kind) -> list:
    """The list `name` of source/<a>/hidden/<filename> (never released), as `kind` objects; [] without the file."""
    path = course_root() / "source" / assignment / HIDDEN_DIRNAME / filename
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"_{path.stem}_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [x if isinstance(x, kind) else kind(**x) for x in getattr(module, name)]


def load_mistakes(assignment: str) -> list[Mistake]:
    """The assignment's catalogue of mistakes, from source/<a>/hidden/mistakes.py."""
    return _hidden_list(assignment, "mistakes.py", "MISTAKES", Mistake)


@dataclass
class Claim:
    """A number the prose promises: `text` (found verbatim in a markdown cell) says that `expr`,
    evaluated in the kernel after the source notebook ran top to bottom, is `value` within `tol`
    (absolute; with `relative`, a fraction of `value`)."""
    text: str
    expr: str
    value: float
    tol: float
    relative: bool = False

    def holds(self, measured: float) -> bool:
        return abs(measured - self.value) <= (self.tol * abs(self.value) if self.relative else self.tol)


def load_claims(assignment: str) -> list[Claim]:
    """The assignment's checked prose claims, from source/<a>/hidden/claims.py."""
    return _hidden_list(assignment, "claims.py", "CLAIMS", Claim)


def with_mistakes(assignment: str, mistakes) -> object:
    """The reference submission with each mistake's solution cell replaced by its wrong code."""
    nb = reference_submission(assignment)
    cells = {nbs.meta(c).get("grade_id"): c for c in nb.cells if nbs.is_solution(c)}
    seen: dict[str, str] = {}
    for m in mistakes:
        if m.cell in seen:
            raise ValueError(f"mistakes {seen[m.cell]!r} and {m.name!r} both replace answer cell {m.cell!r}: "
                             f"one submission can hold one mistake per cell")
        seen[m.cell] = m.name
        if m.cell not in cells:
            raise KeyError(f"mistake {m.name!r} names solution cell {m.cell!r}, which {assignment} lacks; "
                           f"solution cells: {sorted(k for k in cells if k)}")
        cells[m.cell].source = m.code.strip("\n")
    return nb


# -------------------------------------------------------------------- grading

def submit(root: Path, student: str, assignment: str, sub) -> Path:
    """Hand in a submission in nbgrader's layout: root/submitted/<student>/<a>/ holds the release's
    files and the notebook `sub` (a notebook node, a path, raw bytes to test broken files, or None
    for 'no notebook')."""
    folder = Path(root) / "submitted" / student / assignment
    shutil.copytree(course_root() / "release" / assignment, folder)
    target = folder / f"{assignment}.ipynb"
    if sub is None:
        target.unlink()
    elif isinstance(sub, bytes):
        target.write_bytes(sub)
    elif isinstance(sub, (str, Path)):
        shutil.copy2(sub, target)
    else:
        nbs.write(sub, target)
    (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
    return folder


def autograde(assignment: str, submissions: dict, workdir: Path, timeout: int = 300) -> dict[str, NotebookResult]:
    """Grade {student: notebook node | Path | bytes | None} with stock nbgrader in `workdir`.

    bytes are written as-is (to test broken files), None means 'submitted nothing'.
    Returns a NotebookResult per student, with the message each failed test printed.
    """
    workdir = Path(workdir)
    root = scratch_course(workdir, [assignment])
    nbgrader(root, "generate_assignment", assignment, "--force")
    results = {}
    for student, sub in submissions.items():
        submit(root, student, assignment, sub)
        results[student] = NotebookResult(student, assignment)
    nbgrader(root, "autograde", assignment, "--force", f"--ExecutePreprocessor.timeout={timeout}", check=False)
    _collect(root, assignment, results)
    return results


def as_release(assignment: str, submission):
    """The release notebook with a submission's answer cells: what the student's Validate runs
    (the visible parts of the tests only)."""
    answers = {nbs.meta(c).get("grade_id"): c.source for c in submission.cells if nbs.is_solution(c)}
    nb = release_submission(assignment)
    for cell in nb.cells:
        if nbs.is_solution(cell) and nbs.meta(cell).get("grade_id") in answers:
            cell.source = answers[nbs.meta(cell)["grade_id"]]
    return nb


def validate(assignment: str, submissions: dict, workdir: Path, timeout: int = 300) -> dict[str, dict[str, str]]:
    """Run each submission's release notebook top to bottom, as nbgrader's Validate does.

    Returns {name: {test grade_id: what the failing test cell printed}}: only the visible tests
    that failed (an error, or output on stderr) appear.
    """
    results = {}
    for name, sub in submissions.items():
        work = Path(workdir) / name
        shutil.copytree(course_root() / "release" / assignment, work)
        nb = nbs.execute(as_release(assignment, sub), work, timeout=timeout, allow_errors=True)
        results[name] = {nbs.meta(c)["grade_id"]: text for c in nb.cells
                         if nbs.is_test(c) and (text := _failure_text(c))}
    return results


def _collect(root: Path, assignment: str, results: dict[str, NotebookResult]) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, res in results.items():
            autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            submitted = root / "submitted" / student / assignment / f"{assignment}.ipynb"
            if not submitted.exists():
                res.status, res.detail = "missing", "no notebook submitted"
                continue
            try:
                nbs.read(submitted)
            except nbs.NotebookError as exc:
                res.status, res.detail = "invalid notebook", str(exc)
                continue
            try:
                sub = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                res.status, res.detail = "error", "nbgrader did not grade this notebook"
                continue
            outputs = {}
            if autograded.exists():
                outputs = {nbs.meta(c).get("grade_id"): c for c in nbs.read(autograded).cells if nbs.is_test(c)}
            for grade in sub.grades:
                if grade.cell_type != "code" or grade.auto_score is None:
                    continue
                cell = outputs.get(grade.name)
                res.cells[grade.name] = CellResult(grade.name, float(grade.score), float(grade.max_score),
                                                   _failure_text(cell) if cell is not None else "")


def _failure_text(cell) -> str:
    """What a failing test cell printed: its exception, message and notes (no traceback), or stderr."""
    import re

    for out in cell.get("outputs", []):
        if out.output_type == "error":
            lines = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.get("traceback", []))).splitlines()
            head = f"{out.ename}: "
            last = max((i for i, ln in enumerate(lines) if ln.startswith(head)), default=None)
            notes = [ln for ln in lines[last + 1:] if ln.strip()] if last is not None else []
            return "\n".join([f"{out.ename}: {out.evalue}", *notes])
        if out.output_type == "stream" and out.name == "stderr":
            return "stderr: " + out.text.strip()
    return ""

