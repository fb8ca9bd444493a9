"""Grading on a Dask cluster: a real scheduler and two worker processes on 127.0.0.1.

The same class (honest, partly wrong and attacking submissions of the tiny course, tests/tiny.py) is
graded by local threads and by the cluster; every per-test score must be equal. A worker killed
mid-run loses nothing (its tasks go to the other worker, every submission is graded once), and a
scheduler that cannot be reached stops the run before anything is written.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.grader.sandbox import Limits
from tiny import A, GOOD, hand_in, sandboxed_course

LIMITS = Limits(cell_seconds=20, notebook_seconds=120, memory_mb=2048)
CLASS = {
    "ada": GOOD,
    "ben": "def double(x):\n    return 3.0 * x",                                   # partly wrong: 0
    "cy": "def double(x):\n    return x + x",                                      # right another way
    "dee": "def double(x):\n    raise NotImplementedError()",                      # the stub
    "eve": "import os\nos.kill(os.getppid(), 9)\n" + GOOD,                         # tries to kill its parent
    "fay": "while True:\n    pass",                                                 # a runaway loop
    "gus": "import numpy as np\nnp.multiply = lambda *a, **k: 0\n" + GOOD,           # patches numpy
}


class Cluster:
    """`dask scheduler` and `dask worker` processes of this test, stopped by :meth:`close`."""

    def __init__(self, folder: Path, workers: int = 2, worker_args: tuple = ("--no-nanny",)):
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.worker_args = list(worker_args)
        # one task at a time per worker thread: a worker's death makes only its running task suspicious
        env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="2",
                   DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0",
                   PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
        self.env = env
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(self.file)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.workers = []
        deadline = time.monotonic() + 60
        while not self.file.exists():
            if time.monotonic() > deadline:
                self.close()
                pytest.fail("the Dask scheduler did not start within 60 s")
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        for _ in range(workers):
            self.add_worker()
        self.wait_for(workers)

    def add_worker(self):
        self.workers.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--memory-limit", "0", *self.worker_args,
             "--name", f"w{len(self.workers)}"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))

    def wait_for(self, n: int, timeout: float = 90):
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=timeout)

    def close(self):
        for p in [*self.workers, self.scheduler]:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait(timeout=30)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course with one tiny, built assignment (tests/tiny.py); COURSE_ROOT points at it."""
    with sandboxed_course(tmp_path_factory, "cluster") as root:
        yield root


def _fresh_class(course: Path, name: str, students=CLASS) -> Path:
    """A copy of the built course with the class handed in (its own gradebook and state)."""
    root = course.parent / name
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db"))
    for student, code in students.items():
        hand_in(root, student, code)
    return root


def _scores(outcomes):
    return {o.student: ({t.grade_id: t.points for t in o.tests}, str(o.status)) for o in outcomes}


@pytest.fixture(scope="module")
def local_scores(course):
    from helpers.grader.grade import grade_class

    root = _fresh_class(course, "local")
    os.environ["COURSE_ROOT"] = str(root)
    try:
        return _scores(grade_class([A], workers=2, limits=LIMITS, root=root, out=lambda *_: None))
    finally:
        os.environ["COURSE_ROOT"] = str(course)


def test_a_dask_cluster_grades_as_local_threads_do(course, local_scores, tmp_path):
    from helpers.grader import grade as grader
    from helpers.grader.stock import gradebook

    assert local_scores["ada"][0] == {"correct_double": 2.0} and local_scores["ben"][0] == {"correct_double": 0.0}
    root = _fresh_class(course, "dask")
    cluster = Cluster(tmp_path)
    os.environ["COURSE_ROOT"] = str(root)
    try:
        outcomes = grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
    finally:
        os.environ["COURSE_ROOT"] = str(course)
        cluster.close()
    assert _scores(outcomes) == local_scores
    with gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:      # only the grade process wrote it
        written = {s: gb.find_submission_notebook(A, A, s).score for s in CLASS}
    assert written == {s: sum(tests.values()) for s, (tests, _) in local_scores.items()}
    assert (root / "feedback" / "cy" / A / f"{A}.html").is_file()


def test_a_worker_killed_mid_run_loses_nothing(course, local_scores, tmp_path):
    """kill -9 of a worker while it grades: its task runs again on the other; each submission graded once."""
    from helpers.grader import grade as grader

    slow = {s: "import time\ntime.sleep(2)\n" + code for s, code in CLASS.items() if s not in ("fay", "eve")}
    root = _fresh_class(course, "killed", slow)
    cluster = Cluster(tmp_path)
    os.environ["COURSE_ROOT"] = str(root)
    killed = []

    def kill_one_worker_soon():
        """kill -9 the first worker as soon as the scheduler says it is running a submission's task."""
        from distributed import Client

        victim = cluster.workers[0]
        with Client(cluster.address, timeout=30) as client:
            address = next(a for a, w in client.scheduler_info()["workers"].items() if w.get("name") == "w0")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                running = client.processing().get(address, ())
                if any(str(key).startswith("grade-") for key in running):
                    killed.append(list(running))
                    os.killpg(victim.pid, signal.SIGKILL)
                    return
                time.sleep(0.05)

    import threading

    killer = threading.Thread(target=kill_one_worker_soon)
    killer.start()
    try:
        outcomes = grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
    finally:
        killer.join()
        os.environ["COURSE_ROOT"] = str(course)
        cluster.close()
    assert killed and killed[0], "the worker was not killed while it graded"
    assert sorted(o.student for o in outcomes) == sorted(slow), "every submission graded exactly once"
    assert _scores(outcomes) == {s: v for s, v in local_scores.items() if s in slow}


def test_a_submission_that_kills_every_worker_is_crashed_not_retried_forever(course, local_scores, tmp_path):
    """A task whose worker dies each time it runs it (tests/worker_killer.py, under nannies that restart
    the workers): after the scheduler's allowed failures (2 here) it is `crashed`, with no points and
    the reason; the class around it is graded as locally; the next run does not try it again."""
    from helpers.grader import grade as grader

    students = {"ada": GOOD, "ben": CLASS["ben"], "kim": GOOD, "cy": CLASS["cy"]}
    root = _fresh_class(course, "crasher", students)
    preload = str(Path(__file__).with_name("worker_killer.py"))
    cluster = Cluster(tmp_path, worker_args=("--nanny", "--preload", preload))
    os.environ["COURSE_ROOT"] = str(root)
    try:
        outcomes = grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
        again = grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
    finally:
        os.environ["COURSE_ROOT"] = str(course)
        cluster.close()
    by = {o.student: o for o in outcomes}
    assert sorted(by) == sorted(students), "every submission graded exactly once"
    assert str(by["kim"].status) == "crashed" and by["kim"].score == 0
    assert "died every time it ran this notebook" in by["kim"].detail
    assert _scores([o for o in outcomes if o.student != "kim"]) == {s: local_scores[s] for s in ("ada", "ben", "cy")}
    assert again == [], "a crashed submission is not retried until it changes"


def test_an_unreachable_scheduler_grades_nothing(course):
    from helpers.grader import grade as grader

    root = _fresh_class(course, "nosched", {"ada": GOOD})
    os.environ["COURSE_ROOT"] = str(root)
    try:
        with pytest.raises(grader.GraderError, match="(?s)cannot reach the Dask scheduler.*Nothing was graded"):
            grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler="tcp://127.0.0.1:9")
    finally:
        os.environ["COURSE_ROOT"] = str(course)
    assert not (root / "gradebook.db").exists()


def test_grade_cluster_starts_jobqueue_workers_and_grades_as_local(course, local_scores):
    """`grade --cluster local`: dask-jobqueue's own machinery (its local job class) starts the workers."""
    quick = {s: code for s, code in CLASS.items() if s != "fay"}     # the command line's own limits: no runaway
    root = _fresh_class(course, "jobqueue", quick)
    (root / "cluster.yaml").write_text("jobs: 2\ncores: 1\nmemory: 2GB\nprocesses: 1\nwait_seconds: 120\n"
                                       "worker_extra_args: ['--nthreads', '1']\n")
    env = dict(os.environ, COURSE_ROOT=str(root), COURSE_DB_URL=f"sqlite:///{root / 'gradebook.db'}",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "helpers", "grade", A, "--cluster", "local"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    state = json.loads((root / "autograded" / ".grading-state.json").read_text())
    scores = {k.split("/")[0]: ({t["grade_id"]: t["points"] for t in v["tests"]}, v["status"]) for k, v in state.items()}
    assert scores == {s: v for s, v in local_scores.items() if s in quick}, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "submitted 2 local job(s)" in proc.stdout and "Dask at" in proc.stderr + proc.stdout


def test_cluster_settings_errors_say_what_is_wrong(tmp_path):
    from helpers.grader import jobqueue

    with pytest.raises(ValueError, match="no cluster settings at"):
        jobqueue.load_config(tmp_path / "cluster.yaml")
    (tmp_path / "c.yaml").write_text("jobs: 2\ncores: 1\nmemory: 2GB\nwaltime: 1\n")
    with pytest.raises(ValueError, match="unknown setting.*waltime"):
        jobqueue.load_config(tmp_path / "c.yaml")
    (tmp_path / "c.yaml").write_text("jobs: 0\ncores: 1\nmemory: 2GB\n")
    with pytest.raises(ValueError, match="`jobs` must be a whole number"):
        jobqueue.load_config(tmp_path / "c.yaml")


def test_a_scheduler_that_goes_away_stops_the_run_and_keeps_what_was_saved(course, local_scores, tmp_path):
    """kill -9 of the scheduler mid-run: a clear GraderError, the notebooks saved stay; a new cluster
    then grades only the rest."""
    from helpers.grader import grade as grader

    slow = {s: "import time\ntime.sleep(3)\n" + code for s, code in CLASS.items() if s not in ("fay", "eve")}
    root = _fresh_class(course, "lost", slow)
    cluster = Cluster(tmp_path / "first")
    os.environ["COURSE_ROOT"] = str(root)

    def kill_scheduler_after_the_first_save():
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any(s in _saved(root) for s in slow):
            time.sleep(0.1)
        os.killpg(cluster.scheduler.pid, signal.SIGKILL)

    import threading

    killer = threading.Thread(target=kill_scheduler_after_the_first_save)
    killer.start()
    try:
        with pytest.raises(grader.GraderError, match="(?s)scheduler went away.*graded and saved before.*run the same"):
            grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
    finally:
        killer.join()
        cluster.close()
    first = _saved(root)
    assert 1 <= len(first) < len(slow), first
    (tmp_path / "second").mkdir()
    cluster = Cluster(tmp_path / "second")
    try:
        rest = grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None, scheduler=cluster.address)
    finally:
        os.environ["COURSE_ROOT"] = str(course)
        cluster.close()
    assert sorted(o.student for o in rest) == sorted(set(slow) - set(first)), "the rest, and only the rest"
    assert {**first, **{o.student: o.score for o in rest}} == {s: sum(local_scores[s][0].values()) for s in slow}


def _saved(root: Path) -> dict:
    """{student: score} of the notebooks the state file holds as graded."""
    try:
        state = json.loads((root / "autograded" / ".grading-state.json").read_text())
    except (OSError, ValueError):
        return {}
    return {k.split("/")[0]: sum(t["points"] for t in v["tests"]) for k, v in state.items() if v.get("status") == "graded"}
