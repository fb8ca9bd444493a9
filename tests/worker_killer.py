"""A Dask worker preload for tests/test_cluster.py: the worker process dies (SIGKILL, as the kernel's
OOM killer or a node's wall clock would) whenever it starts grading the submission of student ``kim``.

It stands in for a submission that crashes every worker it runs on, which no submission can do from
inside the sandbox: the fault is injected here, in the test's workers, not in the grader.
"""
import os
import signal

from helpers.grader import grade

KILLER = "kim"
# Dask imports a preload twice (nanny, then worker, in one module dict): wrap the grader's own once.
_real = getattr(grade, "_unwrapped_remote_grade", grade.remote_grade)
grade._unwrapped_remote_grade = _real


def remote_grade(student, *args, **kwargs):
    if student == KILLER:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(student, *args, **kwargs)


remote_grade.__module__, remote_grade.__qualname__ = _real.__module__, _real.__qualname__
grade.remote_grade = remote_grade      # the task is pickled by name: this worker runs the wrapper
