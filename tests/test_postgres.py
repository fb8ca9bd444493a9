"""A real PostgreSQL gradebook (Debian's `postgresql`), and one grade run at a time.

A throw-away PostgreSQL cluster is made in a temp folder (initdb, run as an unprivileged user, on a
loopback port) and stopped after the module. The same class graded into SQLite and into PostgreSQL
must leave the same gradebook; two `python -m helpers grade` processes started at once against one
gradebook grade every submission once, and the second says why it stopped.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers.grader.sandbox import Limits
from tiny import A, GOOD, hand_in, sandboxed_course

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
if not INITDB and os.environ.get("CI"):
    pytest.fail("PostgreSQL is not installed (bash run.sh test installs Debian's postgresql as root)",
                pytrace=False)
pytestmark = pytest.mark.skipif(not INITDB, reason="PostgreSQL is not installed (apt-get install postgresql; "
                                                    "bash run.sh test does it as root)")
LIMITS = Limits(cell_seconds=20, notebook_seconds=120, memory_mb=2048)
CLASS = {"ada": GOOD, "ben": "def double(x):\n    return 3.0 * x", "cy": "def double(x):\n    return x + x",
         "dee": "def double(x):\n    raise NotImplementedError()", "eve": "import time\ntime.sleep(1)\n" + GOOD}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A PostgreSQL server of this test on 127.0.0.1; yields a function making a new database's URL."""
    bindir = Path(INITDB[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="course-pg-"))    # under /tmp: pytest's folders are root's alone
    run_as = {}
    if os.geteuid() == 0:                        # PostgreSQL refuses to run as root
        os.chown(data, 65534, 65534)
        run_as = {"user": 65534, "group": 65534, "extra_groups": []}
    os.chmod(data, 0o700)
    subprocess.run([bindir / "initdb", "-D", data / "db", "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, cwd="/", **run_as)
    port = _free_port()
    server = subprocess.Popen([bindir / "postgres", "-D", data / "db", "-p", str(port), "-k", str(data),
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/", start_new_session=True,
                              **run_as)
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres").close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the test's PostgreSQL server did not start within 60 s")
            time.sleep(0.2)

    def new_database(name: str) -> str:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{port}/{name}"

    yield new_database
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    with sandboxed_course(tmp_path_factory, "pg") as root:
        yield root


def _class(course: Path, name: str) -> Path:
    root = course.parent / name
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db"))
    for student, code in CLASS.items():
        hand_in(root, student, code)
    return root


def dump(url: str) -> dict:
    """Everything a grade run writes, by student: each grade's cell, auto score and maximum; the
    notebooks' scores; the assignment's cells."""
    from helpers.grader.stock import gradebook

    with gradebook(url) as gb:
        nb = gb.find_notebook(A, A)
        out = {"cells": sorted((c.name, c.max_score, c.cell_type) for c in nb.grade_cells),
               "students": sorted(s.id for s in gb.students)}
        for student in out["students"]:
            sub = gb.find_submission_notebook(A, A, student)
            out[student] = (sub.score, sorted((g.name, g.auto_score, g.max_score) for g in sub.grades))
    return out


def _grade(root: Path, url: str, monkeypatch):
    from helpers.grader import grade as grader

    monkeypatch.setenv("COURSE_ROOT", str(root))
    monkeypatch.setenv("COURSE_DB_URL", url)
    return grader.grade_class([A], limits=LIMITS, root=root, out=lambda *_: None)


def test_a_postgresql_gradebook_holds_what_sqlite_holds(course, postgres, monkeypatch):
    sqlite_root, pg_root = _class(course, "into-sqlite"), _class(course, "into-pg")
    sqlite_url = f"sqlite:///{sqlite_root / 'gradebook.db'}"
    pg_url = postgres("gradebook_same")
    ours = _grade(sqlite_root, sqlite_url, monkeypatch), _grade(pg_root, pg_url, monkeypatch)
    assert [sorted((o.student, o.score) for o in run) for run in ours] == [sorted((s, 2.0 if s in ("ada", "cy", "eve")
                                                                                   else 0.0) for s in CLASS)] * 2
    assert dump(pg_url) == dump(sqlite_url)
    assert dump(pg_url)["ada"][0] == 2.0 and len(dump(pg_url)["students"]) == len(CLASS)


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_two_grade_runs_at_once_grade_each_submission_once(course, postgres, kind, tmp_path):
    """Two TAs start `grade` together: one grades, the other stops at once and says why."""
    root = _class(course, f"two-{kind}")
    url = postgres("gradebook_two") if kind == "postgresql" else f"sqlite:///{root / 'gradebook.db'}"
    env = dict(os.environ, COURSE_ROOT=str(root), COURSE_DB_URL=url,
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    runs = [subprocess.Popen([sys.executable, "-m", "helpers", "grade", A], cwd=root, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _, _ in results)
    busy = [err for code, _, err in results if code != 0]
    assert codes == [0, 1], results
    assert "another `grade` run" in busy[0] and "Nothing was graded by this run" in busy[0], busy
    state = __import__("json").loads((root / "autograded" / ".grading-state.json").read_text())
    assert sorted(k.split("/")[0] for k in state) == sorted(CLASS)
    assert dump(url)["ada"][0] == 2.0 and dump(url)["ben"][0] == 0.0
