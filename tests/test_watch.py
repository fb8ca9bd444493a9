"""`python -m helpers watch`: submissions graded as they arrive, through bad ones, a restart and Ctrl-C."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiny import A, GOOD, hand_in, sandboxed_course

DEADLINE = 120          # seconds a submission may wait for its feedback (the first round starts a sandbox)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    with sandboxed_course(tmp_path_factory, "watch") as root:
        yield root


def _watcher(root: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, COURSE_ROOT=str(root), COURSE_DB_URL=f"sqlite:///{root / 'gradebook.db'}",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.Popen([sys.executable, "-m", "helpers", "watch", A, "--interval", "1", "--settle", "1",
                             "--workers", "1", *extra], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _state(root: Path) -> dict:
    try:
        return json.loads((root / "autograded" / ".grading-state.json").read_text())
    except (OSError, ValueError):
        return {}


def _wait_for(root: Path, student: str, proc: subprocess.Popen) -> dict:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        entry = _state(root).get(f"{student}/{A}")
        if entry and (student != "ada" or (root / "feedback" / student / A / f"{A}.html").exists()):
            return entry
        assert proc.poll() is None, f"the watcher died: {proc.stdout.read()[-3000:]}"
        time.sleep(0.5)
    pytest.fail(f"{student}'s submission was not graded within {DEADLINE} s")


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the watcher did not stop within 60 s of Ctrl-C: {out[-2000:]}")
    return proc.returncode, out


def test_watch_grades_arrivals_survives_bad_ones_restarts_and_stops(course):
    root = course.parent / "watched"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db"))
    proc = _watcher(root)
    try:
        hand_in(root, "ada", GOOD)                                   # arrives while it runs
        ada = _wait_for(root, "ada", proc)
        assert ada["status"] == "graded" and sum(t["points"] for t in ada["tests"]) == 2
        broken = root / "submitted" / "bob" / A
        broken.mkdir(parents=True)
        (broken / f"{A}.ipynb").write_text('{"cells": [')           # a truncated notebook
        assert _wait_for(root, "bob", proc)["status"] == "invalid notebook"
        hand_in(root, "cy", "def double(x):\n    return 3.0 * x")  # after the broken one: still watching
        cy = _wait_for(root, "cy", proc)
        assert cy["status"] == "graded" and sum(t["points"] for t in cy["tests"]) == 0
    finally:
        code, out = _stop(proc)
    assert code == 130 and "Stopped watching" in out, out[-2000:]
    graded_once = _state(root)
    proc = _watcher(root)                                            # a restart grades nothing again...
    try:
        hand_in(root, "dee", GOOD)                                   # ...but what arrived meanwhile
        assert _wait_for(root, "dee", proc)["status"] == "graded"
        time.sleep(3)                                                # a few more rounds
    finally:
        code, out = _stop(proc)
    after = _state(root)
    for key, entry in graded_once.items():
        assert after[key]["digest"] == entry["digest"] and after[key]["seconds"] == entry["seconds"], key
    assert out.count("graded 1 notebook(s)") == 1, out[-3000:]


def test_watch_exchange_collects_from_nbgrader_inbound_and_grades(course, tmp_path):
    """watch --exchange: a submission left in the exchange's inbound (as `nbgrader submit` leaves it) is
    collected into submitted/ and graded, feedback written; a resubmission is graded again."""
    from tiny import answer_notebook

    root = course.parent / "watched-exchange"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db"))
    inbound = tmp_path / "exchange" / "nn-from-scratch" / "inbound"
    inbound.mkdir(parents=True)

    def submit(student, code, when):
        folder = inbound / f"{student}+{A}+{when}+r4nd"
        folder.mkdir()
        (folder / f"{A}.ipynb").write_text(answer_notebook(root, code))
        (folder / "timestamp.txt").write_text(when)

    proc = _watcher(root, "--exchange", str(tmp_path / "exchange"))
    try:
        submit("ada", "def double(x):\n    return 3.0 * x", "2026-12-01 10:00:00.000000 UTC")
        first = _wait_for(root, "ada", proc)
        assert sum(t["points"] for t in first["tests"]) == 0
        submit("ada", GOOD, "2026-12-01 10:05:00.000000 UTC")         # a resubmission, fixed
        end = time.monotonic() + DEADLINE
        while sum(t["points"] for t in _state(root).get(f"ada/{A}", first)["tests"]) != 2:
            assert time.monotonic() < end, "the resubmission was not graded in time"
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            time.sleep(0.5)
    finally:
        code, out = _stop(proc)
    assert "watching " + str(inbound) in out and "collected 1 submission(s)" in out, out[-3000:]
    assert (root / "submitted" / "ada" / A / "timestamp.txt").read_text() == "2026-12-01 10:05:00.000000 UTC"
