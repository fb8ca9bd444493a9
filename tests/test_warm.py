"""Warm sandboxes: one zygote per worker forks every kernel, and nothing a submission does reaches the next.

Attackers graded first by the same worker (one warm sandbox) try to leave something behind: patched
numpy and helpers, sys.modules entries, files in /tmp, /dev/shm and the working folder, a thread and a
process that keep running, an atexit hook, environment variables, a listening socket. The next
submission probes for every one of them in its answer cell (any trace makes it raise, and lose its
points); a control submission that attacks and probes in one kernel proves the probes see the traces.
"""
import shutil

import pytest

from helpers.grader import sandbox, warm
from helpers.grader.sandbox import Limits
from tiny import A, GOOD, hand_in, sandboxed_course

pytestmark = pytest.mark.xdist_group("warm")
LIMITS = Limits(cell_seconds=10, notebook_seconds=60, memory_mb=2048)


ATTACKS = {
    "a1_patcher": """
import numpy as np, sys, types, builtins
import helpers.check, helpers.expect
np.multiply = lambda *a, **k: 0
np.arange = lambda *a, **k: np.zeros(5)
helpers.check.assert_close = lambda *a, **k: None
helpers.expect.expect = lambda *a, **k: None
sys.modules["helpers.reference"] = types.SimpleNamespace(expect=lambda *a, **k: None)
builtins.LEFT_BEHIND = True
""",
    "a2_files": """
import os
open("/tmp/payload.py", "w").write("x = 1")
open("/dev/shm/left", "w").write("x")
open("left_in_workdir.txt", "w").write("x")
os.makedirs("/home/student/other", exist_ok=True)
""",
    "a3_lingerers": """
import atexit, os, subprocess, threading, time, socket
def loop():
    while True:
        open("/tmp/thread_was_here", "w").write("x")
        time.sleep(0.05)
threading.Thread(target=loop, daemon=True).start()
subprocess.Popen(["/bin/sh", "-c", "while true; do touch /tmp/process_was_here; sleep 0.05; done"])
atexit.register(lambda: open("/tmp/atexit_was_here", "w").write("x"))
os.environ["COURSE_LEFT_BEHIND"] = "1"
os.environ["PYTHONPATH"] = "/tmp"
server = socket.socket()
server.bind(("127.0.0.1", 5555))
server.listen()
""",
    # Signals to its process group: the kernel was in its zygote's group, which reached the zygote itself
    # (a class's `eve` crashed the warm sandbox, and with it her own kernel, only when it ran warm).
    "a0_group_killer": """
import os, signal
for sig in (signal.SIGKILL,):
    try:
        os.kill(0, sig)
    except OSError:
        pass
    try:
        os.killpg(os.getpgid(0), sig)
    except OSError:
        pass
""",
    # Every folder it can write outside the kernel's own tmpfs mounts: the sandbox's root holds the parents
    # of the read-only binds (/work/main for the venv, /opt/course), shared by every fork of one zygote
    # unless that root is read-only. (Found when a class's source_reader saw config_editor's file.)
    "a4_root_writer": """
import os
for top, dirs, _ in os.walk("/"):
    if top.startswith(("/proc", "/sys")) or top.count("/") >= 3:
        dirs[:] = []
    try:
        open(os.path.join(top, "left_by_a4"), "w").write("x")
    except OSError:
        pass
""",
}

PROBE = """
import builtins, os, socket, sys
left = []
for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys")) or top.count("/") >= 3:
        dirs[:] = []
    left += [os.path.join(top, "left_by_a4")] if "left_by_a4" in files else []
assert not left, f"files left behind outside the kernel's tmpfs: {left}"
import numpy as np
import helpers.check, helpers.expect
traces = [p for p in ("/tmp/payload.py", "/dev/shm/left", "left_in_workdir.txt", "/home/student/other",
                      "/tmp/thread_was_here", "/tmp/process_was_here", "/tmp/atexit_was_here") if os.path.exists(p)]
assert not traces, f"left behind: {traces}"
assert np.multiply(2, 3) == 6 and list(np.arange(3)) == [0, 1, 2], "numpy was patched"
assert helpers.check.assert_close.__module__ == "helpers.check", "helpers.check was patched"
assert helpers.expect.expect.__module__ == "helpers.expect", "helpers.expect was patched"
assert getattr(sys.modules.get("helpers.reference"), "__file__", None), "sys.modules was patched"
assert not hasattr(builtins, "LEFT_BEHIND"), "builtins were patched"
assert "COURSE_LEFT_BEHIND" not in os.environ and os.environ.get("PYTHONPATH") != "/tmp", "environment leaked"
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
assert os.getpid() == 1 and not others, f"other processes are visible: {others}"
probe = socket.socket()
probe.settimeout(1)
try:
    probe.connect(("127.0.0.1", 5555))
    raise AssertionError("an earlier kernel's socket answered")
except OSError:
    pass
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course with one tiny, built assignment (tests/tiny.py); COURSE_ROOT points at it."""
    with sandboxed_course(tmp_path_factory, "warm") as root:
        yield root


def test_nothing_a_submission_does_reaches_the_next(course, monkeypatch):
    from helpers.grader import grade as grader

    forks = []
    real_fork = warm.Zygote.fork
    monkeypatch.setattr(warm.Zygote, "fork", lambda self, *a, **k: (forks.append(id(self)), real_fork(self, *a, **k))[1])
    shutil.rmtree(course / "submitted", ignore_errors=True)
    for student, attack in ATTACKS.items():
        hand_in(course, student, attack + "\n" + GOOD)
    hand_in(course, "b_control", ATTACKS["a1_patcher"] + ATTACKS["a2_files"] + ATTACKS["a3_lingerers"] + ATTACKS["a4_root_writer"]
            + "\nimport time\ntime.sleep(0.3)\n" + PROBE + "\n" + GOOD)
    hand_in(course, "z1_probe", PROBE + "\n" + GOOD)
    hand_in(course, "z2_honest", GOOD)
    outcomes = {o.student: o for o in grader.grade_class([A], workers=1, force=True, limits=LIMITS,
                                                         root=course, out=lambda *_: None)}
    assert len(forks) >= len(outcomes) and len(set(forks)) == 1, "every kernel must come from one warm sandbox"
    scores = {s: o.score for s, o in outcomes.items()}
    assert scores["b_control"] == 0, "the probes must see an attack made in their own kernel"
    assert scores["z1_probe"] == 2 and scores["z2_honest"] == 2, {s: (o.score, [t.message for t in o.tests])
                                                                   for s, o in outcomes.items()}
    assert all(outcomes[s].status == "graded" for s in ("z1_probe", "z2_honest"))


def test_a_warm_kernel_keeps_the_limits(course, tmp_path):
    """Timeouts interrupt, a crash costs only its cell, and memory and processes are capped, as when cold."""
    zygote = warm.Zygote(LIMITS)
    try:
        cells = [
            {"index": 0, "grade_id": None, "kind": "code", "source": "while True:\n    pass"},
            {"index": 1, "grade_id": None, "kind": "code", "source": "import os\nos._exit(3)"},
            {"index": 2, "grade_id": None, "kind": "code", "source": "x = bytearray(3 * 2**30)"},
            {"index": 3, "grade_id": None, "kind": "code",
             "source": "import os\nkids = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
                       "            import time; time.sleep(5); os._exit(0)\n        kids += 1\n"
                       "except OSError:\n    pass\nassert kids < 200, kids"},
            {"index": 4, "grade_id": None, "kind": "code", "source": "print('still here')"},
        ]
        work = tmp_path / A
        work.mkdir()
        limits = Limits(cell_seconds=3, notebook_seconds=60, memory_mb=2048, processes=64)
        runs, _ = sandbox.run_cells(cells, work, A, limits, sandbox=True, submission=work, zygote=zygote)
        assert [r.status for r in runs] == ["timed out", "crashed", "error", "ok", "ok"], \
            [(r.status, r.error) for r in runs]
        assert "MemoryError" in runs[2].error["ename"] and "still here" in runs[4].output
    finally:
        zygote.close()
    assert not zygote.alive()
