"""The course's command line: ``python -m helpers VERB`` (or the ``course`` script).

Verbs:
  build [ASSIGNMENT...] [--check] [--force-reference]
      lint source/, record hidden reference values, generate and verify release/
  demo [ASSIGNMENT...]
      build, then autograde a small demo class and print the score table
  grade [ASSIGNMENT...] [--workers N] [--force] [--no-sandbox] [--cold] [--scheduler tcp://HOST:PORT]
        [--cluster slurm|pbs|sge|lsf|htcondor --cluster-config FILE]
      grade every new or changed submission under submitted/, in parallel and sandboxed
      (on a Dask cluster with --scheduler or $COURSE_DASK_SCHEDULER)
  watch [ASSIGNMENT...] [--interval S] [--settle S] [--exchange [DIR]] [the options of grade]
      grade each new or changed submission under submitted/ as it arrives, until Ctrl-C
      (with --exchange, first collect each round from nbgrader's exchange inbound)
  collect [ASSIGNMENT...] [--exchange DIR]
      copy the newest submission of each student from nbgrader's exchange inbound into submitted/,
      regular files only (nbgrader collect follows the students' symbolic links)
  report
      write autograded/report.csv and autograded/report.html from the grading records
  export [ASSIGNMENT...] --format canvas|moodle|csv [--out FILE] [--missing-as-zero]
      write the gradebook (auto and manual points, per assignment and total) for an LMS's import
  similarity [ASSIGNMENT...]
      rank the most similar pairs of students' answers per answer cell (copydetect), side by side in
      autograded/similarity.html; it ranks, it does not accuse

For learners (self-study and students):
  start [ASSIGNMENT...] [--force]
      copy release/<a>/ into your workspace notebooks/<a>/ (never overwrites; --force backs up first)
  check [NOTEBOOK_OR_ASSIGNMENT] [--no-sandbox]
      grade your workspace notebooks the way they will be graded, with each failure's diagnosis
  solutions [ASSIGNMENT...] [--yes]
      write the reference solutions into solutions/<a>/ (asks first)
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path


def _cmd_build(args) -> int:
    from .build import BuildError, build

    try:
        build(args.assignments, force_reference=args.force_reference, check_only=args.check)
    except (BuildError, ValueError) as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print("release/ is up to date." if args.check else "release/ written.")
    return 0


def _cmd_demo(args) -> int:
    from .build import BuildError
    from .demo import run_demo

    try:
        return run_demo(args.assignments, workdir=args.workdir)
    except (BuildError, ValueError) as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler, `kill`) stops a run as Ctrl-C does: every sandbox is killed, work kept."""
    import signal

    def stop(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)


def _graded(run, stopped: str) -> int:
    """Run grade or watch: errors said on stderr (exit 1), Ctrl-C or SIGTERM stops every sandbox (exit 130)."""
    from .sandbox import kill_all

    _stop_on_sigterm()
    try:
        return run()
    except TimeoutError as exc:
        print(f"\nno Dask worker of the --cluster jobs started in time ({exc}); nothing was graded. Check the "
              f"jobs' logs and the queue, or raise wait_seconds in the cluster settings.", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kill_all()
        print(stopped, flush=True)
        return 130


def _cmd_grade(args) -> int:
    from .grade import grade_class, print_outcomes

    def run() -> int:
        with _cluster(args) as scheduler:
            outcomes = grade_class(args.assignments, workers=args.workers, force=args.force,
                                   sandbox=not args.no_sandbox, warm=not args.cold, scheduler=scheduler)
        print_outcomes(outcomes)
        return 0 if all(o.scored for o in outcomes) else 1
    return _graded(run, "Interrupted: every notebook finished before the stop is saved; run again to continue.")


@contextlib.contextmanager
def _cluster(args):
    """The scheduler to grade on: --scheduler as given, or a dask-jobqueue cluster started for --cluster."""
    if not getattr(args, "cluster", None):
        yield args.scheduler
        return
    if args.scheduler:
        raise ValueError("give --scheduler (a running Dask cluster) or --cluster (start one), not both")
    from ..paths import course_root
    from .jobqueue import started

    with started(args.cluster, Path(args.cluster_config or course_root() / "cluster.yaml")) as client:
        yield client


def _cmd_watch(args) -> int:
    from .watch import watch

    def run() -> int:
        with _cluster(args) as scheduler:
            return watch(args.assignments, interval=args.interval, settle=args.settle, workers=args.workers,
                         scheduler=scheduler, sandbox=not args.no_sandbox, exchange=args.exchange)
    return _graded(run, "\nStopped watching: every notebook graded so far is saved.")


def _cmd_collect(args) -> int:
    from ..paths import course_root
    from .exchange import collect

    def run() -> int:
        if not collect(course_root(), args.assignments or None, Path(args.exchange) if args.exchange else None):
            print("nothing new in the exchange inbound.")
        return 0
    return _said(run)


def _cmd_report(args) -> int:
    from .report import make_report

    try:
        make_report()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _cmd_export(args) -> int:
    from .export import export

    def run() -> int:
        export(args.format, args.out, args.assignments or None, missing_as_zero=args.missing_as_zero)
        return 0
    return _said(run)


def _cmd_similarity(args) -> int:
    from .similarity import similarity

    def run() -> int:
        similarity(assignments=args.assignments or None)
        return 0
    return _said(run)


def _said(fn, *args, **kwargs) -> int:
    """Run a verb whose errors are the user's to fix: said on stderr (exit 1); Ctrl-C exits 130."""
    from .nb import NotebookError

    try:
        return fn(*args, **kwargs)
    except (ValueError, NotebookError, RuntimeError, OSError) as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _cmd_start(args) -> int:
    from .workspace import start

    return _said(start, args.assignments, force=args.force)


def _cmd_check(args) -> int:
    from .workspace import check

    return _said(check, args.target, sandbox=False if args.no_sandbox else None)


def _cmd_solutions(args) -> int:
    from .workspace import solutions

    return _said(solutions, args.assignments, yes=args.yes)


def _without_slow_iri_checker() -> None:
    """Spare every command about 2 s of start-up: jsonschema (imported by nbformat) imports
    rfc3987-syntax when it is installed, which builds some 38 Lark grammars at import
    (python-jsonschema/jsonschema#1428). It only checks the `iri` formats, which no schema of
    nbformat or nbgrader uses, so this process does without it (jsonschema then skips that checker)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def _add_grading_verbs(sub) -> None:
    """grade and watch: the class grader, once or on every arrival (the same options)."""
    grade = sub.add_parser("grade", help="grade the class's submissions (parallel, sandboxed)")
    grade.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    grade.add_argument("--cold", action="store_true",
                       help="start a new sandbox for every notebook instead of forking it from a warm one (slower)")
    grade.set_defaults(func=_cmd_grade)
    watch = sub.add_parser("watch", help="grade each submission as it arrives in submitted/ (until Ctrl-C)")
    watch.add_argument("--interval", type=float, default=5.0, help="seconds between looks at submitted/ (default 5)")
    watch.add_argument("--settle", type=float, default=2.0,
                       help="leave a submission changed in the last SETTLE seconds for the next look (default 2)")
    watch.add_argument("--exchange", nargs="?", const="", default=None, metavar="DIR",
                       help="collect from nbgrader's exchange inbound first, each round (DIR: the exchange's "
                            "root; default c.Exchange.root of nbgrader_config.py)")
    watch.set_defaults(func=_cmd_watch)
    for p in (grade, watch):
        p.add_argument("--cluster", choices=["slurm", "pbs", "sge", "lsf", "htcondor", "local"], default=None,
                       help="start Dask workers as batch jobs (dask-jobqueue) for this run")
        p.add_argument("--cluster-config", default=None, metavar="FILE",
                       help="the --cluster settings (YAML; default: cluster.yaml in the course folder)")
        p.add_argument("assignments", nargs="*", help="default: every assignment in source/")
        p.add_argument("--workers", type=int, default=None, help="parallel notebooks (default: one per core)")
        p.add_argument("--no-sandbox", action="store_true",
                       help="run submissions without the sandbox (trusted notebooks only)")
        p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                       help="grade on a Dask cluster (default: $COURSE_DASK_SCHEDULER, else threads on this machine)")


def _add_term_verbs(sub) -> None:
    """The instructor's term around grading: collect from the exchange, the report."""
    p = sub.add_parser("collect", help="copy new submissions from nbgrader's exchange into submitted/ (safely)")
    p.add_argument("assignments", nargs="*", help="default: every assignment in the inbound")
    p.add_argument("--exchange", default=None, metavar="DIR",
                   help="the exchange's root (default: c.Exchange.root of nbgrader_config.py)")
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("report", help="write the class report (CSV and HTML)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("export", help="write the gradebook for an LMS (Canvas, Moodle) or as plain CSV")
    p.add_argument("assignments", nargs="*", help="default: every assignment in the gradebook")
    p.add_argument("--format", choices=["canvas", "moodle", "csv"], default="csv", help="default: csv")
    p.add_argument("--out", default=None, metavar="FILE", help="default: autograded/grades-FORMAT.csv")
    p.add_argument("--missing-as-zero", action="store_true",
                   help="a missing submission scores 0 (default: an empty cell, which an LMS leaves alone)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("similarity", help="rank the most similar pairs of answers per answer cell (HTML page)")
    p.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    p.set_defaults(func=_cmd_similarity)


def main(argv=None) -> int:
    _without_slow_iri_checker()
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", required=True)

    p = sub.add_parser("build", help="build and verify the student releases")
    p.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    p.add_argument("--check", action="store_true", help="verify that release/ is up to date; write nothing")
    p.add_argument("--force-reference", action="store_true", help="re-record the hidden reference values")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("demo", help="build, grade a demo class, print the results")
    p.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    p.add_argument("--workdir", default=None, help="where to put the demo course (default: .demo/)")
    p.set_defaults(func=_cmd_demo)

    _add_grading_verbs(sub)
    _add_term_verbs(sub)

    p = sub.add_parser("start", help="copy an assignment into your workspace notebooks/")
    p.add_argument("assignments", nargs="*", help="default: every released assignment")
    p.add_argument("--force", action="store_true",
                   help="replace your notebook with the current release (backed up first)")
    p.set_defaults(func=_cmd_start)

    p = sub.add_parser("check", help="grade your workspace notebooks, with diagnoses")
    p.add_argument("target", nargs="?", default=None,
                   help="an assignment, a folder or a .ipynb (default: every notebook in notebooks/)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run your notebook without the sandbox (it is yours; faster to start)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("solutions", help="write the reference solutions into solutions/ (asks first)")
    p.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_cmd_solutions)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
