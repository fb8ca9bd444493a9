"""`python -m helpers demo`: build the releases, grade a small made-up class, print the results.

The class: ada hands in the reference solution, blaise the untouched release, carl and dora
make realistic mistakes (from each assignment's catalogue in source/<a>/hidden/mistakes.py),
and emmy's notebook is truncated JSON. A grader that is right gives ada full marks, blaise zero,
carl and dora exactly the points of the functions they got right, and emmy a clear status.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import notebooks as nbs
from .build import build
from .grading import autograde, load_mistakes, reference_submission, release_submission, with_mistakes
from .paths import course_root, present_assignments

STUDENTS = ("ada", "blaise", "carl", "dora", "emmy")


def demo_class(assignment: str) -> dict:
    """{student: submission} for one assignment."""
    mistakes = load_mistakes(assignment)
    truncated = json.dumps(nbs.read(course_root() / "release" / assignment / f"{assignment}.ipynb"))
    return {
        "ada": reference_submission(assignment),
        "blaise": release_submission(assignment),
        "carl": with_mistakes(assignment, mistakes[0::2]),
        "dora": with_mistakes(assignment, mistakes[1::2]),
        "emmy": truncated[: len(truncated) // 2].encode(),
    }


def run_demo(assignments=None, workdir=None, out=print) -> int:
    names = list(assignments or present_assignments())
    out("== Building the releases ==")
    build(names, out=out)
    root = Path(workdir) if workdir else course_root() / ".demo"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    results = {}
    for a in names:
        out(f"\n== Grading {a} for {len(STUDENTS)} students with nbgrader ==")
        results[a] = autograde(a, demo_class(a), root / a)
    _print_scores(names, results, out)
    _print_diagnoses(names, results, out)
    out(f"\nThe demo course folders (submitted/, autograded/, gradebook.db) are in {root}")
    ok = all(results[a]["ada"].score == results[a]["ada"].max_score and results[a]["blaise"].score == 0
             for a in names)
    return 0 if ok else 1


def _print_scores(names, results, out) -> None:
    out("\n== Scores ==")
    width = max(len(a) for a in names) + 2
    out(f"{'student':<10}" + "".join(f"{a:>{width}}" for a in names))
    for s in STUDENTS:
        row = []
        for a in names:
            r = results[a][s]
            row.append(f"{r.score:g}/{r.max_score:g}" if r.status == "graded" else r.status)
        out(f"{s:<10}" + "".join(f"{cell:>{width}}" for cell in row))


def _print_diagnoses(names, results, out) -> None:
    out("\n== What the failing tests told carl and dora ==")
    for a in names:
        for s in ("carl", "dora"):
            for cell in results[a][s].cells.values():
                if not cell.passed:
                    first = next((ln for ln in cell.message.splitlines() if "Diagnosis" in ln),
                                 cell.message.splitlines()[0] if cell.message else "(no message)")
                    out(f"  {a} / {s} / {cell.grade_id}: {first.strip()}")
    for a in names:
        r = results[a]["emmy"]
        if r.status != "graded":
            out(f"  {a} / emmy: {r.status}: {r.detail}")
