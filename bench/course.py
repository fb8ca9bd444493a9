"""How long the course takes: every source notebook executed top to bottom (as a student runs
it, no NBGRADER_EXECUTION), a learner's `check` of each reference notebook (sandboxed, warm,
its pre-flight cached), and one complete submission of every assignment (the reference
solutions) autograded by the class grader, sandboxed, one notebook at a time.

    .venv/bin/python bench/course.py

Targets (issue 7): each source notebook < 30 s (06 < 60 s including training), the whole course
< 3 min, one complete submission autogrades in < 40 s.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.grader import nb as nbs  # noqa: E402
from helpers.grader import workspace  # noqa: E402
from helpers.grader.grade import grade_class  # noqa: E402
from helpers.grader.sandbox import sandbox_available  # noqa: E402
from helpers.grader.stock import scratch_course  # noqa: E402
from helpers.grader.submissions import reference_submission  # noqa: E402
from helpers.paths import course_root, present_assignments, source_notebook  # noqa: E402


def run_source(a: str, tmp: Path) -> float:
    work = tmp / "src" / a
    shutil.copytree(source_notebook(a).parent, work, ignore=shutil.ignore_patterns("hidden"))
    t0 = time.perf_counter()
    nbs.execute(nbs.read(work / f"{a}.ipynb"), work, env={"COURSE_ASSIGNMENT": a})
    return time.perf_counter() - t0


def time_check(notebook: Path) -> float:
    """`python -m helpers check NOTEBOOK`, as a learner runs it; timed on the second run (cached pre-flight)."""
    workspace.check(str(notebook), out=lambda *_: None)
    t0 = time.perf_counter()
    workspace.check(str(notebook), out=lambda *_: None)
    return time.perf_counter() - t0


def main() -> int:
    names = present_assignments()
    sandbox = sandbox_available()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        tmp = Path(tmp)
        root = scratch_course(tmp / "course", names)
        for a in names:
            folder = root / "submitted" / "ada" / a
            shutil.copytree(course_root() / "release" / a, folder)
            nbs.write(reference_submission(a), folder / f"{a}.ipynb")
        for a in names:
            rows.append([a, run_source(a, tmp), time_check(root / "submitted" / "ada" / a / f"{a}.ipynb")])
        t0 = time.perf_counter()
        outcomes = grade_class(names, workers=1, root=root, sandbox=sandbox, out=lambda *_: None)
        grade_total = time.perf_counter() - t0
    by = {o.assignment: o for o in outcomes}
    print(f"{'assignment':<30}{'run source s':>14}{'target':>8}{'check s':>9}{'autograde s':>13}{'score':>10}")
    for row in rows:
        a, run_s, check_s = row
        o = by[a]
        target = 60 if a.startswith("06") else 30
        print(f"{a:<30}{run_s:>14.1f}{target:>8}{check_s:>9.1f}{o.seconds:>13.1f}{f'{o.score:g}/{o.max_score:g}':>10}")
    total_run = sum(r[1] for r in rows)
    print(f"{'whole course':<30}{total_run:>14.1f}{180:>8}{grade_total:>13.1f}")
    print(f"one complete submission autograded in {grade_total:.1f} s (target < 40 s; sandbox: {sandbox}, "
          f"1 worker; includes registering the assignments in the gradebook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
