"""Where the submissions of a class run: a pool of threads here, or a Dask cluster.

Both executors take one submission at a time (:meth:`submit`) and hand back a future whose result
is the task's result; :func:`helpers.grader.grade._grade_all` reads them
as they finish and alone writes the gradebook, the feedback and the state file, whichever ran them.

**Dask** (``grade --scheduler tcp://HOST:PORT``, or ``COURSE_DASK_SCHEDULER``): every submission is a
task, :func:`helpers.grader.grade.remote_grade`, that grades it on a worker exactly as a local thread does: in a sandbox
started on that worker (a warm one per worker process), with the same limits, the judging and the
stand-ins in the worker's own process, outside the sandbox. A worker never takes a result it did not
compute in its own sandbox: a worker without a working sandbox refuses the task (a grader error: no
score is written, the next run grades it again).

How a worker gets the course: a **shared filesystem**, the usual case on a cluster. The task carries
paths (the course folder and the submission's folder), which must be the same on every node;
the worker reads the submission, the source notebook and the reference values there, and the
reference values, as on one machine, never enter the sandbox. A worker's Python must be the course's
(``pip install -e .`` into the environment the workers run).

Faults: when a worker dies mid-task (a wall clock, a preempted node, ``kill -9``), the scheduler gives
its tasks to another worker; a task that was running on workers that died
``distributed.scheduler.allowed-failures`` times (3 by default; set it where the scheduler starts)
fails with ``KilledWorker`` and its submission is reported ``crashed``, with no points. A scheduler
that goes away stops the run (:class:`ClusterLost`): what was saved stays, and the next run grades
the rest (resume by content hash).
"""
from __future__ import annotations

import concurrent.futures as cf
import os

SCHEDULER_ENV = "COURSE_DASK_SCHEDULER"


class ClusterLost(RuntimeError):
    """The Dask scheduler went away (or cannot be reached) during a run."""


class WorkersKilled(RuntimeError):
    """A task ran on workers that all died (Dask's KilledWorker): its submission crashed them."""


class LocalExecutor:
    """Threads in this process, each running one task at a time."""

    def __init__(self, fn, workers: int):
        self.fn = fn
        self.pool = cf.ThreadPoolExecutor(max_workers=workers)
        self.label = f"{workers} workers"

    def submit(self, *args, name: str = ""):
        return self.pool.submit(self.fn, *args)

    def as_completed(self, futures):
        return cf.as_completed(futures)

    def result(self, future):
        return future.result()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask cluster: `fn` (importable on the workers) runs there, its result comes back as data."""

    def __init__(self, fn, address, timeout: float = 20):
        try:
            from distributed import Client
        except ImportError as exc:
            raise ClusterLost("grading on a Dask cluster needs `distributed` "
                              "(pip install -r requirements.txt)") from exc
        self.fn, self.own_client, self.futures = fn, not hasattr(address, "submit"), []
        try:
            self.client = Client(address, timeout=timeout) if self.own_client else address
        except (OSError, TimeoutError) as exc:
            raise ClusterLost(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        workers = len(self.client.scheduler_info().get("workers", {}))
        self.label = f"Dask at {self.client.scheduler.address}, {workers} workers"

    def submit(self, *args, name: str = "task"):
        future = self.client.submit(self.fn, *args, pure=False, key=f"{name}-{os.urandom(4).hex()}")
        self.futures.append(future)
        return future

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(list(futures))

    def result(self, future):
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker as exc:
            raise WorkersKilled(str(exc)) from None
        except Exception as exc:           # noqa: BLE001  (cancelled, a lost connection, ...: which one, if the client is not running)
            if self.client.status != "running":
                raise ClusterLost(f"the Dask scheduler went away ({type(exc).__name__}: {exc})") from exc
            raise

    def shutdown(self) -> None:
        pending, self.futures = [f for f in self.futures if not f.done()], []
        try:
            if pending and self.client.status == "running":
                self.client.cancel(pending)
        except Exception:          # noqa: BLE001  (the scheduler may be gone already)
            pass
        if self.own_client and self.client.status != "closed":
            try:
                self.client.close(timeout=5)
            except Exception:      # noqa: BLE001  (the scheduler may be gone already)
                pass
