"""The grader's task layer (helpers.grader.grade._Tasks, helpers.grader.cluster) without kernels."""
import concurrent.futures as cf

from helpers.grader import cluster
from helpers.grader import grade as grader
from helpers.grader.results import Status
from helpers.grader.sandbox import Limits

A = "01_gradient_descent"


def _tasks(fn):
    tasks = grader._Tasks(None, 1, Limits(), False, None, False, grader.course_root(), [A])
    tasks.ex = cluster.LocalExecutor(fn, 1)
    return tasks


def test_a_task_whose_workers_all_died_is_a_crashed_notebook_with_every_test_at_zero(tmp_path):
    """...and it carries the submission's digest, so the next run does not try it again unchanged."""
    def killed(*_):
        raise cluster.WorkersKilled("Attempted to run task grade-x on 3 different workers, but all those workers died")

    (tmp_path / f"{A}.ipynb").write_text("{}")
    tasks = _tasks(killed)
    try:
        outcome = tasks.outcome(tasks.submit("ada", A, tmp_path), "ada", A)
    finally:
        tasks.ex.shutdown()
    assert outcome.digest == grader.submission_digest(tmp_path, A) != ""
    tests = grader.course_plan(A).tests
    assert outcome.status is Status.CRASHED and outcome.scored and "worker died" in outcome.detail
    assert len(outcome.tests) == len(tests) >= 3 and outcome.score == 0
    assert {t.status for t in outcome.tests} == {Status.CRASHED}


def test_a_remote_result_comes_back_as_an_outcome():
    from helpers.grader.results import Outcome, TestVerdict

    sent = Outcome("ada", A, tests=[TestVerdict("correct_f", 1.0, 1.0, Status.PASSED)], timings={"cells": 0.5})
    tasks = _tasks(lambda *_: sent.to_dict())
    try:
        back = tasks.outcome(tasks.submit("ada", A, grader.course_root()), "ada", A)
    finally:
        tasks.ex.shutdown()
    assert back == sent and isinstance(back.tests[0].status, Status)


def test_the_local_executor_is_the_default():
    tasks = grader._Tasks(None, 3, Limits(), True, None, True, grader.course_root(), [A])
    try:
        assert isinstance(tasks.ex, cluster.LocalExecutor) and not tasks.remote and tasks.label == "3 workers"
        assert isinstance(tasks.ex.pool, cf.ThreadPoolExecutor)
    finally:
        tasks.ex.shutdown()


def test_a_failure_on_a_worker_comes_back_as_a_grader_error_outcome_not_an_exception(monkeypatch, tmp_path):
    """Whatever raises on a Dask worker (here an exception that cannot be pickled) is a grader error
    outcome, as data: no score is written, and nothing has to survive the trip back."""
    import pickle

    from helpers.grader.results import Outcome

    class Unpicklable(RuntimeError):
        def __reduce__(self):
            raise TypeError("cannot pickle this")

    def broken(*_args, **_kwargs):
        raise Unpicklable("a bug of ours")

    monkeypatch.setattr(grader, "grade_one", broken)
    back = grader.remote_grade("ada", A, str(tmp_path), {}, False, False, str(grader.course_root()), [A])
    pickle.dumps(back)
    outcome = Outcome.from_dict(back)
    assert outcome.status is Status.GRADER_ERROR and not outcome.scored
    assert "Unpicklable: a bug of ours" in outcome.detail and "Dask worker" in outcome.detail


def test_the_grader_parses_python_one_thread_at_a_time_including_librarys_parses():
    """CPython 3.11's ast.parse races between threads (SystemError: AST constructor recursion depth
    mismatch), and libraries parse too (numpy's np.load: ast.literal_eval of each .npy header). After
    guard_ast(), a literal_eval in another thread waits for the grader's parse lock."""
    import ast
    import sys
    import threading

    import pytest

    from helpers.grader import nb as nbs

    if sys.version_info >= (3, 12):
        pytest.skip("the race is fixed in CPython 3.12; guard_ast() wraps nothing there")
    nbs.guard_ast()
    nbs.guard_ast()                                       # idempotent: one wrapper
    assert ast.parse is nbs._locked_parse
    done = threading.Event()
    worker = threading.Thread(target=lambda: (ast.literal_eval("{'descr': '<f8', 'shape': (3,)}"), done.set()))
    with nbs._AST_LOCK:
        worker.start()
        assert not done.wait(0.3), "a library's parse ran while the grader held the lock"
    assert done.wait(10) and nbs.parse_python("x = 1").body
    worker.join()


def test_a_dask_worker_undoes_the_nannys_malloc_trim_threshold(monkeypatch):
    """Under a Dask nanny (MALLOC_TRIM_THRESHOLD_ set) the worker raises glibc's mmap and trim
    thresholds, so that numpy's arrays are reused, not mapped and unmapped each time; elsewhere
    it touches nothing."""
    import ctypes

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    grader._reuse_heap()
    assert calls == []
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    grader._reuse_heap()
    assert dict(calls) == {-3: 32 * 2**20, -1: 64 * 2**20}
