"""Class grading throughput: stock `nbgrader autograde` against `python -m helpers grade`.

A synthetic class across the course's assignments (honest, partly wrong and broken
submissions: the demo class plus one student per catalogued mistake, at least 40 notebooks)
is graded by both in the same run. Prints both wall times, the ratio, and whether the scores of
the honest and partly wrong submissions are identical. Target: >= 1.8x stock throughput on
2 cores with the sandbox on.

    .venv/bin/python bench/submissions.py [--min-submissions 40] [--workers 2]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.grader.demo import demo_class  # noqa: E402
from helpers.grader.grade import grade_class  # noqa: E402
from helpers.grader.stock import ensure_scripts_on_path, nbgrader, scratch_course  # noqa: E402
from helpers.grader.submissions import load_mistakes, submit, with_mistakes  # noqa: E402
from helpers.paths import present_assignments  # noqa: E402
from helpers.grader.sandbox import sandbox_available  # noqa: E402


def synthetic_class(minimum: int) -> dict[tuple[str, str], object]:
    subs = {}
    names = present_assignments()
    for a in names:
        for student, sub in demo_class(a).items():
            subs[(student, a)] = sub
    i = 0
    while len(subs) < minimum:
        for a in names:
            mistakes = load_mistakes(a)
            if i < len(mistakes):
                subs[(f"m{i:02d}", a)] = with_mistakes(a, [mistakes[i]])
        i += 1
        if i > 100:
            break
    return subs


def write_submissions(root: Path, subs) -> None:
    for (student, a), sub in subs.items():
        submit(root, student, a, sub)


def stock_scores(root: Path, names) -> dict:
    from nbgrader.api import MissingEntry

    from helpers.grader.stock import gradebook

    scores = {}
    with gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for a in names:
            for student in [p.name for p in (root / "submitted").iterdir()]:
                try:
                    nb = gb.find_submission_notebook(a, a, student)
                except MissingEntry:
                    continue
                scores[(student, a)] = sum(g.score for g in nb.grades if g.auto_score is not None
                                           and g.cell_type == "code")
    return scores


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-submissions", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    ensure_scripts_on_path()
    names = present_assignments()
    subs = synthetic_class(args.min_submissions)
    sandbox, why = sandbox_available()
    print(f"{len(subs)} submissions across {len(names)} assignments; sandbox: {sandbox or why}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        stock_root = scratch_course(Path(tmp) / "stock", names)
        ours_root = scratch_course(Path(tmp) / "ours", names)
        for root in (stock_root, ours_root):
            write_submissions(root, subs)
        for a in names:
            nbgrader(stock_root, "generate_assignment", a, "--force")
        t0 = time.perf_counter()
        for a in names:
            nbgrader(stock_root, "autograde", a, "--force", check=False)
        stock_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        outcomes = grade_class(names, workers=args.workers, root=ours_root, sandbox=sandbox, out=lambda *_: None)
        ours_s = time.perf_counter() - t0
        stock = stock_scores(stock_root, names)
    ours = {(o.student, o.assignment): o.score for o in outcomes}
    compared = [k for k in subs if k[0] in ("ada", "carl", "dora") or k[0].startswith("m")]
    differ = [(k, stock.get(k), ours.get(k)) for k in compared if stock.get(k) != ours.get(k)]
    print(f"\n{'grader':<34}{'wall s':>8}{'s/notebook':>12}")
    print(f"{'stock nbgrader autograde':<34}{stock_s:>8.1f}{stock_s / len(subs):>12.2f}")
    print(f"{'helpers grade (' + str(args.workers) + ' workers, sandbox)':<34}{ours_s:>8.1f}{ours_s / len(subs):>12.2f}")
    print(f"throughput ratio (stock time / ours): {stock_s / ours_s:.2f}x   target >= 1.8x")
    print(f"honest and partly wrong submissions compared: {len(compared)}; scores identical: {not differ}")
    for k, s, o in differ:
        print(f"  differs: {k}: stock {s}, ours {o}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
