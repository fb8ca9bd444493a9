"""The submissions the tests, the benches and the demo hand in: the reference solution, the untouched
release, and realistic mistakes from each assignment's catalogue (source/<a>/hidden/mistakes.py),
with the catalogue's and the prose claims' loaders, and :func:`submit` (nbgrader's layout).
"""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import nb as nbs
from ..paths import hidden_dir, release_folder, release_notebook, source_notebook


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
    return nbs.read(release_notebook(assignment))


class CatalogueError(ValueError):
    """A catalogue entry that no longer fits the solution, or says nothing it can be held to."""


@dataclass(frozen=True)
class Replace:
    """One edit of a solution cell: `old`, which must occur exactly once, becomes `new`.

    Exactly once, so that an entry breaks loudly (:class:`CatalogueError`) when the solution it
    patches changes, instead of silently patching something else or nothing.
    """
    old: str
    new: str

    def apply(self, source: str, where: str) -> str:
        found = source.count(self.old)
        if found != 1:
            raise CatalogueError(f"{where}: Replace({self.old!r}, ...) must match the solution cell exactly once, "
                                 f"but matches {found} times: the solution changed, update the catalogue entry")
        return source.replace(self.old, self.new)


@dataclass
class Mistake:
    """A realistic wrong answer: the solution of answer cell `cell` with the edits of `patch`.

    `fails` are the test cells that must lose their points (and only those); `diagnosis` is text that
    must appear in the grader's failure message (None only with a reason in `no_diagnosis`: a
    mistake that no diagnosis can name, such as code that raises). Validate (the release's visible
    tests) must fail one of `fails` too, with `visible_diagnosis` (default: `diagnosis`) in what that
    test cell prints; a mistake that only a hidden test can catch says why in `hidden_only` (then
    no visible test may catch it).
    """
    cell: str
    name: str
    patch: tuple[Replace, ...]
    fails: tuple[str, ...]
    diagnosis: str | None
    visible_diagnosis: str = ""
    hidden_only: str = ""
    no_diagnosis: str = ""

    def __post_init__(self):
        self.patch = tuple(r if isinstance(r, Replace) else Replace(*r) for r in self.patch)
        self.fails = tuple(self.fails)
        where = f"mistake {self.name!r}"
        if not self.patch:
            raise CatalogueError(f"{where}: an empty patch changes nothing")
        if self.diagnosis is None and not self.no_diagnosis:
            raise CatalogueError(f"{where}: diagnosis=None needs a reason in no_diagnosis")
        if self.diagnosis is not None and not self.diagnosis.strip():
            raise CatalogueError(f"{where}: diagnosis='' asserts nothing: give the text the failure must hold, "
                                 f"or None with a reason in no_diagnosis")

    @property
    def visible_text(self) -> str:
        return self.visible_diagnosis or self.diagnosis or ""

    def applied_to(self, solution: str) -> str:
        """The answer cell's source with this mistake: every edit applied in order to the solution."""
        for i, edit in enumerate(self.patch):
            solution = edit.apply(solution, f"mistake {self.name!r} (edit {i + 1} of {len(self.patch)})")
        return solution


def _hidden_list(assignment: str, filename: str, name: str, kind) -> list:
    """The list `name` of source/<a>/hidden/<filename> (never released), as `kind` objects; [] without the file."""
    path = hidden_dir(assignment) / filename
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
        cells[m.cell].source = m.applied_to(cells[m.cell].source)
    return nb


# -------------------------------------------------------------------- grading

def submit(root: Path, student: str, assignment: str, sub) -> Path:
    """Hand in a submission in nbgrader's layout: root/submitted/<student>/<a>/ holds the release's
    files and the notebook `sub` (a notebook node, a path, raw bytes to test broken files, or None
    for 'no notebook')."""
    folder = Path(root) / "submitted" / student / assignment
    shutil.copytree(release_folder(assignment), folder)
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


