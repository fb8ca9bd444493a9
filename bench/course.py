"""How long the course takes: every source notebook executed top to bottom (as a student runs
it, no NBGRADER_EXECUTION), a learner's `check` of each reference notebook (sandboxed, warm,
its pre-flight cached), and one complete submission of every assignment (the reference
solutions) autograded by the class grader, sandboxed, one notebook at a time.

    .venv/bin/python bench/course.py

Targets (issue 7): each source notebook < 30 s (06 < 60 s including training), the whole course
< 3 min, one complete submission autogrades in < 40 s (issue 14: < 15 s, see bench/grading.py).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.grader import nb as nbs  # noqa: E402
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


def time_check(notebook: Path) -> tuple[float, float]:
    """`python -m helpers check NOTEBOOK` as a learner runs it, a new process each time: (first run,
    pre-flight included; second run, its pre-flight cached)."""
    (course_root() / ".check-cache" / "preflight.json").unlink(missing_ok=True)   # a cache: the first run re-makes it
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "helpers", "check", str(notebook)], capture_output=True,
                              text=True, cwd=course_root())
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"check failed on the reference solution {notebook}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return times[0], times[1]


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
            rows.append([a, run_source(a, tmp), *time_check(root / "submitted" / "ada" / a / f"{a}.ipynb")])
        t0 = time.perf_counter()
        outcomes = grade_class(names, workers=1, root=root, sandbox=sandbox, out=lambda *_: None)
        grade_total = time.perf_counter() - t0
    by = {o.assignment: o for o in outcomes}
    print(f"{'assignment':<30}{'run source s':>14}{'target':>8}{'check 1st s':>13}{'check s':>9}{'cells s':>9}"
          f"{'autograde s':>13}{'score':>10}")
    for row in rows:
        a, run_s, first_s, check_s = row
        o = by[a]
        target = 60 if a.startswith("06") else 30
        print(f"{a:<30}{run_s:>14.1f}{target:>8}{first_s:>13.1f}{check_s:>9.1f}{o.timings.get('cells', 0):>9.1f}"
              f"{o.seconds:>13.1f}{f'{o.score:g}/{o.max_score:g}':>10}")
    total_run = sum(r[1] for r in rows)
    print(f"{'whole course':<30}{total_run:>14.1f}{180:>8}{sum(r[2] for r in rows):>13.1f}{sum(r[3] for r in rows):>9.1f}"
          f"{sum(o.timings.get('cells', 0) for o in outcomes):>9.1f}{grade_total:>13.1f}")
    print("(run source: the notebook top to bottom as a student runs it, full training; check: `python -m helpers "
          "check` in a new process, first with its pre-flight, then with the pre-flight cached; cells: the same "
          "cells' execution inside the grader, shortened training)")
    print(f"one complete submission autograded in {grade_total:.1f} s (target < 40 s; sandbox: {sandbox}, "
          f"1 worker; includes registering the assignments in the gradebook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
