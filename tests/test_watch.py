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


def _watcher(root: Path) -> subprocess.Popen:
    env = dict(os.environ, COURSE_ROOT=str(root), COURSE_DB_URL=f"sqlite:///{root / 'gradebook.db'}",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.Popen([sys.executable, "-m", "helpers", "watch", A, "--interval", "1", "--settle", "1",
                             "--workers", "1"], cwd=root, env=env, stdout=subprocess.PIPE,
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
