"""Class grading throughput: stock `nbgrader autograde` against `python -m helpers grade`.

A synthetic class across the course's assignments (honest, partly wrong and broken
submissions: the demo class plus one student per catalogued mistake, at least 40 notebooks)
is graded by stock nbgrader and by this grader three ways (sandbox on with warm kernels, sandbox
on with a new sandbox per kernel, sandbox off), all in one run. Prints the wall times, the
ratios, whether the scores of the honest and partly wrong submissions are identical, the median
seconds per notebook of each phase (and the grading overhead: total less the cells), and the
time of one complete submission of the course. Targets (issue 14): >= 3x stock throughput on
2 cores with the sandbox on; overhead < 0.5 s per notebook; one complete submission < 15 s.

    .venv/bin/python bench/grading.py [--min-submissions 40] [--workers 2]
    .venv/bin/python bench/grading.py --dask      # the thread pool against Dask with 1, 2 and 4 workers
    .venv/bin/python bench/grading.py --scheduler tcp://HOST:PORT    # ... and against a running cluster
"""
from __future__ import annotations

import argparse
import statistics
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


PHASES = ("prepare", "files", "start", "cells", "judge", "save")


def grade_ours(names, subs, root: Path, workers: int, sandbox: bool, warm: bool, scheduler=None):
    """Grade the class with `python -m helpers grade` (in-process); (wall seconds, outcomes)."""
    write_submissions(root, subs)
    t0 = time.perf_counter()
    outcomes = grade_class(names, workers=workers, root=root, sandbox=sandbox, warm=warm, out=lambda *_: None,
                           scheduler=scheduler)
    return time.perf_counter() - t0, outcomes


def dask_comparison(names, subs, workers: int, scheduler: str | None = None) -> int:
    """The class graded by the thread pool and by local Dask clusters of 1, 2 and 4 worker processes
    (one thread each) and of one process with `workers` threads (one warm sandbox pool, as the thread
    pool has), and by the cluster at `scheduler` if given, in one run: wall times, ratios, and
    whether every score is the pool's."""
    import os

    from distributed import LocalCluster

    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        runs[f"thread pool, {workers} workers"] = grade_ours(
            names, subs, scratch_course(Path(tmp) / "pool", names), workers, True, True)
        for n, threads in ((1, 1), (2, 1), (4, 1), (1, workers)):
            label = (f"Dask, {n} worker process{'es' if n > 1 else ''}" if threads == 1
                     else f"Dask, 1 process x {threads} threads")
            with LocalCluster(n_workers=n, threads_per_worker=threads, processes=True,
                              dashboard_address=None) as cluster:
                runs[label] = grade_ours(names, subs, scratch_course(Path(tmp) / f"dask{n}x{threads}", names),
                                         workers, True, True, scheduler=cluster.scheduler_address)
        if scheduler:
            runs[f"Dask at {scheduler}"] = grade_ours(names, subs, scratch_course(Path(tmp) / "given", names),
                                                      workers, True, True, scheduler=scheduler)
    base_label = next(iter(runs))
    base = {(o.student, o.assignment): {t.grade_id: t.points for t in o.tests} for o in runs[base_label][1]}
    print(f"\n{'executor':<34}{'wall s':>8}{'s/notebook':>12}{'vs pool':>9}  same scores")
    ok = True
    for label, (secs, outcomes) in runs.items():
        same = {(o.student, o.assignment): {t.grade_id: t.points for t in o.tests} for o in outcomes} == base
        ok &= same
        print(f"{label:<34}{secs:>8.1f}{secs / len(subs):>12.2f}{runs[base_label][0] / secs:>8.2f}x  {same}")
    print(f"(on {os.cpu_count()} cores; Dask's workers each start a warm sandbox; parity, not gain, is expected here)")
    return 0 if ok else 1


def breakdown(label: str, outcomes) -> None:
    """Median seconds per notebook of each phase, and the grading overhead (total less the cells)."""
    med = lambda xs: statistics.median(xs) if xs else float("nan")     # noqa: E731
    row = [med([o.timings.get(p, 0.0) for o in outcomes]) for p in PHASES]
    overhead = med([o.seconds + o.timings.get("save", 0.0) - o.timings.get("cells", 0.0) for o in outcomes])
    print(f"{label:<26}" + "".join(f"{x:>9.3f}" for x in row) + f"{overhead:>11.3f}")


def one_complete_submission(names) -> tuple[float, float]:
    """One student's six notebooks, graded from a fresh course folder: (first run, run with warm caches)."""
    subs = {("solo", a): sub for (student, a), sub in synthetic_class(0).items() if student == "ada"}
    with tempfile.TemporaryDirectory(prefix="bench-one-") as tmp:
        root = scratch_course(Path(tmp) / "one", names)
        write_submissions(root, subs)
        t0 = time.perf_counter()
        grade_class(names, workers=2, root=root, out=lambda *_: None)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        grade_class(names, workers=2, root=root, force=True, out=lambda *_: None)
        again = time.perf_counter() - t0
    return first, again


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-submissions", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dask", action="store_true",
                    help="compare the thread pool with local Dask clusters of 1, 2 and 4 worker processes instead")
    ap.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                    help="with --dask (implied), also grade on this running cluster (its workers must see /tmp)")
    args = ap.parse_args()
    ensure_scripts_on_path()
    names = present_assignments()
    subs = synthetic_class(args.min_submissions)
    if args.dask or args.scheduler:
        print(f"{len(subs)} submissions across {len(names)} assignments")
        return dask_comparison(names, subs, args.workers, args.scheduler)
    sandbox, why = sandbox_available()
    print(f"{len(subs)} submissions across {len(names)} assignments; sandbox: {sandbox or why}")
    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        stock_root = scratch_course(Path(tmp) / "stock", names)
        write_submissions(stock_root, subs)
        for a in names:
            nbgrader(stock_root, "generate_assignment", a, "--force")
        t0 = time.perf_counter()
        for a in names:
            nbgrader(stock_root, "autograde", a, "--force", check=False)
        stock_s = time.perf_counter() - t0
        stock = stock_scores(stock_root, names)
        for label, box, warm in (("sandbox, warm", sandbox, True), ("sandbox, cold", sandbox, False),
                                 ("no sandbox", False, False)):
            runs[label] = grade_ours(names, subs, scratch_course(Path(tmp) / label.replace(", ", "-"), names),
                                     args.workers, box, warm)
    compared = [k for k in subs if k[0] in ("ada", "carl", "dora") or k[0].startswith("m")]
    print(f"\n{'grader':<40}{'wall s':>8}{'s/notebook':>12}{'vs stock':>10}")
    print(f"{'stock nbgrader autograde':<40}{stock_s:>8.1f}{stock_s / len(subs):>12.2f}{1.0:>9.2f}x")
    ok = True
    for label, (secs, outcomes) in runs.items():
        ours = {(o.student, o.assignment): o.score for o in outcomes}
        differ = [(k, stock.get(k), ours.get(k)) for k in compared if stock.get(k) != ours.get(k)]
        ok &= not differ
        print(f"{'helpers grade (' + str(args.workers) + ' workers, ' + label + ')':<40}{secs:>8.1f}"
              f"{secs / len(subs):>12.2f}{stock_s / secs:>9.2f}x" + (f"   scores differ: {differ[:3]}" if differ else ""))
    print(f"throughput ratio, sandbox on (warm): {stock_s / runs['sandbox, warm'][0]:.2f}x   target >= 3x; "
          f"price of the sandbox: {runs['sandbox, warm'][0] / runs['no sandbox'][0]:.2f}x the unsandboxed time")
    print(f"honest and partly wrong submissions compared with stock: {len(compared)}; scores identical: {ok}")
    print(f"\nmedian seconds per notebook{'':<0}")
    print(f"{'':<26}" + "".join(f"{p:>9}" for p in PHASES) + f"{'overhead':>11}")
    for label, (_, outcomes) in runs.items():
        breakdown(label, outcomes)
    print("(prepare: read and plan; files: the working folder; start: sandbox and kernel until ready, "
          "replays included; cells: the student's and the tests' code; judge: verdicts; save: gradebook, "
          "feedback, state. overhead: total less cells; target < 0.5 s)")
    first, again = one_complete_submission(names)
    print(f"\none complete submission of all {len(names)} assignments: {first:.1f} s from a fresh course folder "
          f"(registration and pre-flight included), {again:.1f} s again (target < 15 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
