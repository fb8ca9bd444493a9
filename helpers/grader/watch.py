"""`python -m helpers watch`: grade each submission as it arrives, so a student has feedback minutes after.

Every `interval` seconds the watcher looks at ``submitted/`` (where ``nbgrader collect`` puts what the
students turned in) and runs the class grader on what is new or changed (its resume by content hash):
through the local pool or a Dask cluster, with the pre-flight, the gradebook lock, the feedback pages.
A submission still being copied in (a file changed in the last `settle` seconds) waits for the next
round. It survives what a class run survives (a broken submission is one notebook's status), and
also a run that cannot start (another `grade` holds the lock; a failed pre-flight): it says why and
tries again later. A restart grades nothing twice and misses nothing: the state file says what was
graded, by content. Ctrl-C (or SIGTERM) stops it between or during rounds, keeping every notebook
finished.
"""
from __future__ import annotations

import time

from pathlib import Path

from ..paths import course_root
from .grade import GraderError, grade_class, print_outcomes


def watch(assignments=None, interval: float = 5.0, settle: float = 2.0, workers=None, scheduler=None,
          sandbox: bool = True, out=print, rounds: int | None = None, limits=None, exchange=None) -> int:
    """Grade new and changed submissions every `interval` seconds until interrupted (or `rounds` rounds).

    exchange: None watches submitted/ only; otherwise each round first collects newer submissions
    from nbgrader's exchange inbound (helpers.grader.exchange: regular files only), from the folder
    given, or with "" from c.Exchange.root of nbgrader_config.py."""
    from . import exchange as xchg

    root = course_root()
    where = "submitted/"
    if exchange is not None:
        exchange_root, course_id = xchg.settings(root)
        where = str(xchg.inbound_folder(Path(exchange) if exchange else exchange_root, course_id))
    out(f"watching {where} for {', '.join(assignments) if assignments else 'every assignment'} every "
        f"{interval:g} s (Ctrl-C to stop)")
    done, waited = 0, 0.0
    while rounds is None or done < rounds:
        began = time.monotonic()
        try:
            if exchange is not None:
                xchg.collect(root, assignments or None, Path(exchange) if exchange else None, settle, out=out)
            outcomes = grade_class(assignments or None, workers=workers, sandbox=sandbox, scheduler=scheduler,
                                   settle=settle, limits=limits, out=lambda *_: None)
            if outcomes:
                out(f"\n{time.strftime('%H:%M:%S')}: graded {len(outcomes)} notebook(s)")
                print_outcomes(outcomes, out=out)
            waited = 0.0
        except GraderError as exc:            # the lock, a pre-flight, the scheduler: say so, try again later
            if waited == 0.0:
                out(f"\n{time.strftime('%H:%M:%S')}: not graded this round: {exc}")
            waited += interval
        done += 1
        if rounds is None or done < rounds:      # after a round that could not start, wait at least 30 s
            pause = interval if waited == 0.0 else max(interval, 30.0)
            time.sleep(max(0.0, pause - (time.monotonic() - began)))
    return 0
