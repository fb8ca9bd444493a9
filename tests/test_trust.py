"""Trust in the grader itself: who the sandbox runs as on the host, what happens when the grader
cannot grade (pre-flight, its own failure, SIGTERM), the Python layouts it must cope with, and
the data channel's bounds. The red-team class itself is in test_classgrade.py."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from helpers.grader import authoring as au
from helpers.grader import nb as nbs
from helpers import wire
from helpers.grader import sandbox
from helpers.grader.sandbox import Limits, sandbox_available
from tiny import A, GOOD, REPO, hand_in, tiny_course  # noqa: F401

pytestmark = pytest.mark.xdist_group("trust")
LIMITS = Limits(cell_seconds=5, notebook_seconds=60, memory_mb=2048)

LOOP = "import time\nwhile True:\n    time.sleep(0.1)"


def needs_sandbox():
    ok, why = sandbox_available()
    if not ok:
        pytest.fail(f"the grading sandbox does not start on this machine: {why}")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course with one tiny, built assignment (tests/tiny.py); COURSE_ROOT points at it."""
    with tiny_course(tmp_path_factory, "trust") as root:
        yield root


def fresh(root, name):
    """A copy of the built course without submissions or gradebook."""
    import shutil

    new = root.parent / f"{root.name}-{name}"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    for part in ("nbgrader_config.py", "source", "release"):
        src = root / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, new / part)
    return new


# ---------------------------------------------------------------- who runs the sandbox

def test_sandbox_never_runs_as_host_root(tmp_path):
    """Seen from the host, every process of a running sandbox has an unprivileged uid."""
    needs_sandbox()
    work = tmp_path / A
    work.mkdir()
    kernel = sandbox.Kernel(work, A, LIMITS, sandbox=True)
    try:
        outcome, msg = kernel.next_message(time.monotonic() + 60, [])
        assert (outcome, msg.get("event")) == ("msg", "ready")
        pids, todo = [], [kernel.child_pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        uids = {pid: Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split("\n")[0].split() for pid in pids}
        assert len(pids) >= 2, pids          # bwrap's init and the runner
        expected = str(sandbox.SANDBOX_UID) if os.geteuid() == 0 else str(os.getuid())
        for pid, ids in uids.items():
            assert set(ids) == {expected}, (pid, ids)
        assert "NoNewPrivs:\t1" in Path(f"/proc/{pids[-1]}/status").read_text()
    finally:
        kernel.kill()


def test_seccomp_program_is_well_formed():
    prog = sandbox.seccomp_filter()
    assert len(prog) % 8 == 0 and len(prog) // 8 < 64
    import struct
    for i in range(0, len(prog), 8):
        code, jt, jf, _ = struct.unpack("=HBBI", prog[i:i + 8])
        if code in (0x15, 0x45, 0x35):             # conditional jumps stay inside the program
            assert i // 8 + 1 + max(jt, jf) < len(prog) // 8


ORDINARY_USER = textwrap.dedent('''
    import ctypes, json, os, sys, tempfile
    # As root: make the Python installation and the course reachable for an ordinary uid in a
    # private mount namespace (root's home is private on this machine), then become that uid.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
    assert libc.unshare(0x00020000) == 0
    assert libc.mount(None, b"/", None, 0x4000 | 0x40000, None) == 0
    paths = json.loads(sys.argv[1])
    stage = tempfile.mkdtemp()
    for i, p in enumerate(paths):
        os.mkdir(f"{stage}/{i}")
        assert libc.mount(p.encode(), f"{stage}/{i}".encode(), None, 0x1000 | 0x4000, None) == 0
    hidden = sorted({"/" + p.split("/")[1] for p in paths if not os.access(p, os.X_OK, effective_ids=False)
                     or p.startswith("/root")})
    for top in hidden:
        assert libc.mount(b"tmpfs", top.encode(), b"tmpfs", 0, b"mode=755") == 0
    for i, p in enumerate(paths):
        os.makedirs(p, exist_ok=True)
        assert libc.mount(f"{stage}/{i}".encode(), p.encode(), None, 0x1000 | 0x4000, None) == 0
    os.setgroups([]); os.setresgid(65533, 65533, 65533); os.setresuid(65533, 65533, 65533)
    os.execv(sys.argv[2], sys.argv[2:])
''')
PROBE_AS_USER = textwrap.dedent('''
    import json, os, tempfile
    from pathlib import Path
    from helpers.grader import sandbox
    cell = """import os
    out = {"uid_map": open("/proc/self/uid_map").read().split(), "refused": []}
    for path in ("/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/usr/bin/env"):
        try:
            open(path, "w").close()
        except OSError:
            out["refused"].append(path)
    open("/tmp/s", "w").close()
    try:
        os.chmod("/tmp/s", 0o4755)
    except OSError:
        out["refused"].append("chmod")
    print("PROBE" + repr(out))"""
    work = Path(tempfile.mkdtemp()) / "a"
    work.mkdir()
    runs, _ = sandbox.run_cells([{"index": 0, "grade_id": None, "kind": "code", "source": cell}], work, "a",
                                sandbox.Limits(cell_seconds=30), sandbox=True)
    print(json.dumps({"uid": os.getuid(), "status": runs[0].status, "output": runs[0].output}))
''')


def test_sandbox_holds_when_the_grader_is_an_ordinary_user(tmp_path):
    """The same refusals as under root (test_classgrade's root_probe), with bubblewrap started by a plain uid."""
    needs_sandbox()
    if os.geteuid() != 0:
        user = [sys.executable, "-c", PROBE_AS_USER]      # already an ordinary user
    else:
        paths = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, str(REPO))})
        user = [sys.executable, "-c", ORDINARY_USER, json.dumps(paths), sys.executable, "-c", PROBE_AS_USER]
    proc = subprocess.run(user, capture_output=True, text=True, timeout=120, cwd=str(REPO),
                          env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["uid"] != 0 and result["status"] == "ok", result
    probe = eval(result["output"].split("PROBE", 1)[1].strip())
    assert probe["uid_map"][0] == "65534", probe
    assert set(probe["refused"]) == {"/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/usr/bin/env", "chmod"}


# ------------------------------------------------------------ when the grader cannot grade

def test_broken_sandbox_fails_preflight_and_touches_nothing(course, monkeypatch, capsys):
    """A sandbox that cannot import the course: non-zero exit, a message that says why and what to do,
    and no gradebook write."""
    needs_sandbox()
    from helpers.grader import cli

    root = fresh(course, "broken")
    hand_in(root, "ada", GOOD)
    monkeypatch.setenv("COURSE_ROOT", str(root))
    monkeypatch.setattr(sandbox, "_kernel_binds",
                        lambda: [(r, r) for r in sandbox._ro_roots()])      # the helpers package is missing
    from helpers.grader import grade as grader

    code = cli.main(["grade", A])
    err = capsys.readouterr().err
    assert code == 1 and "cannot import the course package" in err and "pip install -e ." in err, err
    monkeypatch.setattr(grader, "sandbox_available", lambda: (True, ""))    # past the probe: the pre-flight
    code = cli.main(["grade", A])
    err = capsys.readouterr().err
    assert code == 1
    assert "pre-flight failed" in err and "reference solution got 0/2" in err and "pip install -e ." in err, err
    assert not (root / "gradebook.db").exists() and not (root / "feedback").exists()


def test_grader_failure_writes_no_score(course, monkeypatch):
    """A submission the grader failed on keeps no score (none, or its old one); the others are graded."""
    needs_sandbox()
    from helpers.grader import grade as grader

    root = fresh(course, "failing")
    monkeypatch.setenv("COURSE_ROOT", str(root))
    for student in ("ada", "bob"):
        hand_in(root, student, GOOD)
    real = grader.grade_one

    def flaky(student, *args, **kwargs):
        if student == "bob":
            raise RuntimeError("disk full while grading")
        return real(student, *args, **kwargs)
    monkeypatch.setattr(grader, "grade_one", flaky)
    outcomes = {o.student: o for o in grader.grade_class([A], root=root, out=lambda *_: None, limits=LIMITS)}
    assert (outcomes["ada"].status, outcomes["ada"].score) == ("graded", 2)
    assert outcomes["bob"].status == "grader error" and not outcomes["bob"].scored
    with sqlite3.connect(root / "gradebook.db") as db:
        students = {r[0] for r in db.execute("select student_id from submitted_assignment")}
    assert students == {"ada"}
    state = grader.load_state(root)
    assert state[f"bob/{A}"]["last_run"]["status"] == "grader error" and state[f"bob/{A}"]["digest"] == ""
    monkeypatch.setattr(grader, "grade_one", real)
    again = grader.grade_class([A], root=root, out=lambda *_: None, limits=LIMITS)
    assert [(o.student, o.score) for o in again] == [("bob", 2)]     # the next run grades it


def test_sigterm_stops_the_run_and_every_sandbox(course, tmp_path):
    """SIGTERM during grading: the process ends within seconds, no sandbox is left, the gradebook is sound."""
    needs_sandbox()
    root = fresh(course, "sigterm")
    hand_in(root, "ada", GOOD)
    hand_in(root, "looper", LOOP)
    env = {**os.environ, "COURSE_ROOT": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "grade", A, "--workers", "1"], cwd=str(REPO), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _sandboxes_of(proc.pid):
        time.sleep(0.2)
    assert _sandboxes_of(proc.pid), "grading never started a sandbox"
    time.sleep(1.0)
    started = _sandboxes_of(proc.pid)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert time.monotonic() - start < 15, out
    assert proc.returncode != 0 and "Interrupted" in out, out
    time.sleep(0.5)
    assert not _alive(started), started
    if (root / "gradebook.db").exists():
        with sqlite3.connect(root / "gradebook.db") as db:
            assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def _sandboxes_of(pid):
    """Live bwrap processes descended from process `pid`."""
    parent = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                parent[int(p.name)] = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found = []
    for q in parent:
        try:
            if not Path(f"/proc/{q}/cmdline").read_bytes().split(b"\0")[0].endswith(b"bwrap"):
                continue
        except OSError:
            continue
        up = q
        while up in parent and up > 1:
            up = parent[up]
            if up == pid:
                found.append(q)
                break
    return found


def _alive(pids):
    return [p for p in pids if Path(f"/proc/{p}").exists() and "(Z)" not in _state(p)]


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0].join("()")
    except OSError:
        return "(Z)"


# ------------------------------------------------------------------ Python layouts

def _venv_with(tmp_path, name, extra_paths):
    """A venv (no pip) whose .pth adds `extra_paths` (the course's own site-packages, a package copy...)."""
    venv = tmp_path / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "aaa_course.pth").write_text("\n".join(str(p) for p in extra_paths) + "\n")
    return venv / "bin" / "python"


PREFLIGHT = ("import sys, helpers\nfrom helpers.grader import grade as grader, sandbox\n"
             "print('HELPERS', helpers.__file__)\n"
             "ok, why = sandbox.sandbox_available()\nassert ok, why\n"
             "grader.preflight(sys.argv[1], sandbox.Limits(cell_seconds=30), sandbox=True)\nprint('PREFLIGHT OK')")


def _project_site():
    return next(p for p in sys.path if p.endswith("site-packages") and Path(p, "numpy").is_dir())


@pytest.mark.parametrize("layout", ["venv outside the project", "non-editable install",
                                    "editable install of another checkout"])
def test_sandbox_imports_the_graders_own_package(course, tmp_path, layout):
    """Whatever the venv says, the kernel imports the exact helpers package the grader runs."""
    needs_sandbox()
    import shutil

    cwd = tmp_path
    if layout == "venv outside the project":
        python = _venv_with(tmp_path, "venv", [_project_site(), REPO])
        expect_pkg = REPO / "helpers"
    elif layout == "non-editable install":
        installed = tmp_path / "site"
        shutil.copytree(REPO / "helpers", installed / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
        python = _venv_with(tmp_path, "venv", [installed, _project_site()])
        expect_pkg = installed / "helpers"
    else:     # the venv's install points at an older checkout whose helpers cannot run here
        other = tmp_path / "old-checkout"
        shutil.copytree(REPO / "helpers", other / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
        (other / "helpers" / "runner.py").write_text("raise ImportError('the old checkout was imported')\n")
        python = _venv_with(tmp_path, "venv", [other, _project_site()])
        cwd, expect_pkg = REPO, REPO / "helpers"          # the grader runs from this checkout
    proc = subprocess.run([str(python), "-c", PREFLIGHT, A], cwd=str(cwd), capture_output=True, text=True,
                          timeout=300, env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                                            "COURSE_ROOT": str(course)})
    assert "PREFLIGHT OK" in proc.stdout, proc.stdout[-1500:] + proc.stderr[-3000:]
    assert f"HELPERS {expect_pkg}" in proc.stdout, proc.stdout


# ------------------------------------------------------------------ the data channel

def test_wire_round_trip_and_refusals():
    value = {"W": np.arange(6.0).reshape(2, 3), "b": np.float32(1.5), "n": 3, "t": (1.0, float("inf"), None),
             "flags": np.array([True, False]), "s": "ok"}
    back = wire.decode(wire.loads(wire.dumps({"v": wire.encode(value)}))["v"])
    assert back["W"].shape == (2, 3) and back["W"].dtype == np.float64 and back["b"].shape == ()
    assert back["t"][1] == float("inf") and back["n"] == 3 and back["flags"].dtype == bool
    assert isinstance(wire.decode(wire.encode(object())), wire.TypeName)
    for bad in ({"__nd__": "float64", "shape": [10**6, 10**6], "b64": "AAAAAAAAAAA="},
                {"__nd__": "object", "shape": [1], "b64": "AAAAAAAAAAA="},
                {"__nd__": "float64", "shape": [-1], "b64": ""},
                {"__callback__": 1},
                {"unknown": 1}):
        with pytest.raises(wire.WireError):
            wire.decode(bad)
    deep = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.decode(deep)


def test_framed_messages_carry_raw_arrays():
    x = np.random.default_rng(0).normal(size=(50, 40))
    data = wire.pack({"event": "record", "key": "k"}, value={"W": x, "n": 2})
    line, rest = data.split(b"\n", 1)
    msg = wire.loads(line)
    assert wire.blob_sizes(msg) == [x.nbytes] and len(rest) == x.nbytes
    msg["__blob_data__"] = [rest]
    back = wire.value(msg, "value")
    assert np.array_equal(back["W"], x) and back["n"] == 2
    msg["__blob_data__"] = [rest[:-8]]
    with pytest.raises(wire.WireError):
        wire.value(msg, "value")
    for bad in ({"__blobs__": [-1]}, {"__blobs__": "x"}, {"__blobs__": [1.5]}):
        with pytest.raises(wire.WireError):
            wire.blob_sizes(bad)


def test_public_messages_hide_shapes_and_sizes():
    from helpers.grader.judge import public

    text = "same values, but shape (1, 5) where (5,) is expected: divided by the batch size N=12 (3 of 60 entries)"
    out = public(text)
    assert "(1, 5)" not in out and "(5,)" not in out and "N=12" not in out and "60" not in out, out
    assert "item()" in public("use .item()")


def test_terminal_and_markdown_output_is_text():
    from helpers.grader.feedback import text
    from helpers.grader.workspace import _printable

    assert _printable("ok\x1b[2J\x1b]0;title\x07 done\r") == "ok]0;title done"
    md = text("[x](javascript:alert(1)) ![i](http://e/x.png) <b>")
    assert "](" not in md.replace("\\]\\(", "") and "<b>" not in md


def test_malformed_nbgrader_metadata_is_an_invalid_notebook(tmp_path):
    nb = au.solution("double", GOOD)
    nb.metadata["nbgrader"] = ["a", "list"]
    path = tmp_path / "x.ipynb"
    au.save([nb], path)
    with pytest.raises(nbs.NotebookError, match="malformed nbgrader metadata"):
        nbs.read(path)


# ------------------------------------------------------------------ stand-ins under pressure

def _stand_in_cells(hidden: str) -> list[dict]:
    source = "### BEGIN HIDDEN TESTS\nfrom helpers import isolate\n" + hidden + "\n### END HIDDEN TESTS"
    return [{"index": 0, "grade_id": "correct_x", "kind": "test", "source": source, "stand_ins": ["apply"]},
            {"index": 1, "grade_id": None, "kind": "code", "source": "print('after', 6 * 7)"}]


def _serve_apply(cell, name, args, kwargs):
    """A reference stand-in that calls its first argument (a student's callable) with the rest."""
    if name != "apply" or name not in cell.get("stand_ins", ()):
        raise LookupError(name)
    if args and args[0] == "sleep":
        time.sleep(float(args[1]))
        return None
    return args[0](*args[1:])


@pytest.mark.parametrize("hidden, status", [
    # the student's callable, called back by the stand-in, sleeps past the cell's deadline
    ("import time\nisolate.reference('apply')(lambda: time.sleep(30))", "timed out"),
    # the stand-in itself runs past the deadline: the cell times out, the grader moves on
    ("isolate.reference('apply')('sleep', 30)", "timed out"),
    # a call-back that calls the stand-in again (nested), then a stand-in that is slow and then calls back
    ("f = isolate.reference('apply')\nassert f(lambda: f(lambda x: x + 1, 1), ) == 2", "ok"),
])
def test_slow_stand_ins_and_call_backs_never_break_the_grader(tmp_path, hidden, status):
    """Stand-ins and call-backs past the deadline end the cell as a timeout; the grader keeps
    talking to the kernel from one thread and the next cell runs."""
    ok, _ = sandbox_available()
    work = tmp_path / "a"
    work.mkdir()
    start = time.monotonic()
    runs, _ = sandbox.run_cells(_stand_in_cells(hidden), work, "a", Limits(cell_seconds=3, notebook_seconds=60),
                                sandbox=ok, serve=_serve_apply)
    assert time.monotonic() - start < 30, "the grader waited for the stand-in instead of the cell's deadline"
    assert runs[0].status == status, (runs[0].status, runs[0].error)
    assert runs[1].status == "ok" and "after 42" in runs[1].output, (runs[1].status, runs[1].error, runs[1].output)


def test_stand_in_that_calls_back_after_the_deadline_is_refused(tmp_path):
    """A stand-in that outlives its cell and then calls back finds the call-back refused, not the
    next cell's conversation (only the grader's main thread reads the kernel)."""
    ok, _ = sandbox_available()
    work = tmp_path / "a"
    work.mkdir()
    late = []

    def serve(cell, name, args, kwargs):
        time.sleep(4)
        try:
            late.append(args[0]())
        except Exception as exc:
            late.append(type(exc).__name__)

    cells = _stand_in_cells("isolate.reference('apply')(lambda: 1)")
    cells.append({"index": 2, "grade_id": None, "kind": "code", "source": "import time\ntime.sleep(2)\nprint('done')"})
    runs, _ = sandbox.run_cells(cells, work, "a", Limits(cell_seconds=3, notebook_seconds=60),
                                sandbox=ok, serve=serve)
    for _ in range(50):                  # the abandoned stand-in calls back 4 s after it started
        if late:
            break
        time.sleep(0.1)
    assert runs[0].status == "timed out", (runs[0].status, runs[0].error)
    assert [r.status for r in runs[1:]] == ["ok", "ok"] and "done" in runs[2].output
    assert late == ["TimeoutError"], late


def test_hidden_checks_judge_as_visible_ones_and_tell_nan_causes_apart():
    """The grader's judge uses assert_close's measure (an exact zero judged on the array's scale) and the
    numpy warnings the kernel captured, which the record carries (helpers.expect._submit)."""
    from helpers.grader.judge import _public_failure

    e = np.array([0.0, 1.3, -0.7])
    assert _public_failure(np.array([1e-12, 1.3, -0.7]), e, "g", {"tol": 1e-7}) is None
    assert "max relative error" in _public_failure(np.array([1e-6, 1.3, -0.7]), e, "g", {"tol": 1e-7})
    loss = np.array([np.inf])
    said = _public_failure(loss, np.array([2.3]), "loss", {}, ["divide by zero encountered in log"])
    assert "the log of 0" in said and "overflow" not in said.split("Diagnosis:")[1][:40], said
    said = _public_failure(loss, np.array([2.3]), "loss", {}, ["overflow encountered in exp"])
    assert "Diagnosis: your loss contains NaN/inf (some entries): an overflow" in said, said


def test_records_carry_the_kernels_warnings(tmp_path):
    """A hidden check's record arrives with what numpy warned during the last check.call."""
    ok, _ = sandbox_available()
    work = tmp_path / "a"
    work.mkdir()
    hidden = ("### BEGIN HIDDEN TESTS\nimport numpy as np\nfrom helpers import check\nfrom helpers.expect import _submit\n"
              "v = check.call(np.log, np.array([0.0, 1.0]))\n_submit('loss', v)\n### END HIDDEN TESTS")
    cells = [{"index": 0, "grade_id": "correct_x", "kind": "test", "source": hidden, "stand_ins": []}]
    runs, records = sandbox.run_cells(cells, work, "a", Limits(cell_seconds=20, notebook_seconds=60),
                                      sandbox=ok, wanted={"correct_x": {"loss"}})
    assert runs[0].status == "ok", runs[0].error
    assert records["loss"][0] == -np.inf
    assert records.warnings["loss"] == ["divide by zero encountered in log"], records.warnings


# ---------------------------------------------------------------- bookkeeping once

def test_an_assignment_is_registered_once_per_source(course, monkeypatch):
    """nbgrader generate_assignment runs again only when the source changed or the gradebook lost it."""
    from helpers.grader import grade as grader

    root = fresh(course, "register")
    monkeypatch.setenv("COURSE_ROOT", str(root))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    assert grader.register([A], root) == [A]
    assert grader.register([A], root) == [], "registered twice for the same source"
    (root / "gradebook.db").unlink()
    assert grader.register([A], root) == [A], "a new gradebook must get the assignment"
    nb = nbs.read(root / "source" / A / f"{A}.ipynb")
    nb.cells.insert(1, au.md("A new paragraph (same graded cells)."))
    nbs.write(nb, root / "source" / A / f"{A}.ipynb")
    assert grader.register([A], root) == [A], "a changed source must be registered again"
    assert grader.register([A], root) == []
    from helpers.grader.stock import gradebook

    with gradebook(grader.db_url(root)) as gb:       # a gradebook whose cells differ (edited by hand, say)
        gb.find_notebook(A, A).grade_cells[0].max_score = 99
        gb.db.commit()
    assert grader.register([A], root) == [A]
