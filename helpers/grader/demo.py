"""`python -m helpers demo`: build the releases, grade a small made-up class, print the results.

The class, for every assignment: ada hands in the reference solution, blaise the untouched
release, carl and dora make realistic mistakes (from each assignment's catalogue in
source/<a>/hidden/mistakes.py), emmy's notebook is truncated JSON, and mallory tries to cheat
(an answer that claims to equal anything, and a look for the instructor's files). A grader that
is right gives ada full marks, blaise and mallory zero, carl and dora exactly the points of the
functions they got right, and emmy a clear status. Grading uses the class grader
(`python -m helpers grade`: parallel, sandboxed) in a demo course folder, .demo/.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import nb as nbs
from .results import Status
from .build import build
from .stock import scratch_course
from .grade import grade_class
from .feedback import headline
from .submissions import load_mistakes, reference_submission, release_submission, submit, with_mistakes
from ..paths import course_root, present_assignments, release_notebook
from .report import make_report
from .sandbox import sandbox_available

STUDENTS = ("ada", "blaise", "carl", "dora", "emmy", "mallory")

CHEAT = '''import glob, os
print("looking for the instructor's files:", glob.glob("/work/*/source/*"), os.path.exists("../../../gradebook.db"))
class Anything:
    def __eq__(self, other):
        return True
'''


def _cheat(assignment: str):
    """Every answer cell replaced by one that returns an object equal to anything."""
    nb = release_submission(assignment)
    for cell in nb.cells:
        if nbs.is_solution(cell) and cell.cell_type == "code":
            names = [ln.split("(")[0][4:].strip() for ln in cell.source.splitlines() if ln.startswith("def ")]
            cell.source = CHEAT + "".join(f"def {n}(*args, **kwargs):\n    return Anything()\n" for n in names)
    return nb


def demo_class(assignment: str) -> dict:
    """{student: notebook node or bytes} for one assignment."""
    mistakes = load_mistakes(assignment)
    firsts, seconds, seen = [], [], {}
    for m in mistakes:           # one mistake per answer cell each: the first and the second of every cell
        seen[m.cell] = seen.get(m.cell, 0) + 1
        if seen[m.cell] <= 2:
            (firsts if seen[m.cell] == 1 else seconds).append(m)
    truncated = json.dumps(nbs.read(release_notebook(assignment)))
    return {
        "ada": reference_submission(assignment),
        "blaise": release_submission(assignment),
        "carl": with_mistakes(assignment, firsts),
        "dora": with_mistakes(assignment, seconds or firsts[:1]),
        "emmy": truncated[: len(truncated) // 2].encode(),
        "mallory": _cheat(assignment),
    }


def run_demo(assignments=None, workdir=None, out=print) -> int:
    names = list(assignments or present_assignments())
    out("== Building the releases ==")
    build(names, out=out)
    root = Path(workdir) if workdir else course_root() / ".demo"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    scratch_course(root, names)
    for a in names:
        for student, sub in demo_class(a).items():
            submit(root, student, a, sub)
    sandbox, why = sandbox_available()
    out(f"\n== Grading {len(STUDENTS)} students x {len(names)} assignments "
        f"({'sandboxed' if sandbox else 'NOT sandboxed: ' + why}) ==")
    outcomes = grade_class(names, root=root, sandbox=sandbox, out=out)
    results = {(o.student, o.assignment): o for o in outcomes}
    _print_scores(names, results, out)
    _print_diagnoses(names, results, out)
    make_report(root, out=out)
    out(f"Feedback for each student: {root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    ok = all(results[("ada", a)].score == results[("ada", a)].max_score and results[("blaise", a)].score == 0
             and results[("mallory", a)].score == 0 for a in names)
    out("\nada has full marks, blaise and mallory zero: the grader behaves." if ok else
        "\nUNEXPECTED SCORES: see above.")
    return 0 if ok else 1


def _print_scores(names, results, out) -> None:
    out("\n== Scores (autograded points) ==")
    width = max(len(a) for a in names) + 2
    out(f"{'student':<10}" + "".join(f"{a:>{width}}" for a in names))
    for s in STUDENTS:
        row = []
        for a in names:
            r = results[(s, a)]
            row.append(f"{r.score:g}/{r.max_score:g}" if r.status in (Status.GRADED, Status.TIMED_OUT, Status.CRASHED)
                       else r.status)
        out(f"{s:<10}" + "".join(f"{cell:>{width}}" for cell in row))


def _print_diagnoses(names, results, out) -> None:
    out("\n== What the failing tests told carl and dora ==")
    for a in names:
        for s in ("carl", "dora"):
            for t in results[(s, a)].tests:
                if not t.passed:
                    out(f"  {a} / {s} / {t.grade_id}: {headline(t.message)[:150] or '(no message)'}")
    for a in names:
        r = results[("emmy", a)]
        out(f"  {a} / emmy: {r.status}: {r.detail[:120]}")
