"""One `grade` run at a time per course and per gradebook (two TAs starting it at once).

Two locks, both taken before the run reads which submissions are new, both released when it ends
(or when its process dies: neither outlives it):

- a file lock (``flock``) on ``autograded/.grade.lock`` in the course folder, which guards the state
  file, the autograded notebooks and the feedback pages; the file says who holds it;
- for a PostgreSQL gradebook, a session advisory lock in that database (``pg_try_advisory_lock``),
  which also holds between hosts that do not share the course folder's locks.

The second run does not wait: it stops at once with :class:`Busy`, saying who holds the lock.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from pathlib import Path

LOCK_NAME = ".grade.lock"


class Busy(RuntimeError):
    """Another grade run holds the course's or the gradebook's lock."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"pid {info['pid']} on {info['host']}, since {info['since']}"
    except (OSError, ValueError, KeyError):
        return "another process"


@contextlib.contextmanager
def _file_lock(root: Path):
    path = root / "autograded" / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another `grade` run is grading this course ({_holder(path)}; lock {path}). "
                       f"Wait for it to finish, then run again: it grades only what is still new.") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        yield
    finally:
        os.close(fd)          # releases the lock


@contextlib.contextmanager
def _postgres_lock(url: str):
    from sqlalchemy import create_engine, text

    # one key per database (advisory locks live in the database the connection opened), whatever the URL's spelling
    key = int.from_bytes(hashlib.sha256(b"nn-from-scratch grade").digest()[:8], "big", signed=True)
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                holders = conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted")).fetchall()
                raise Busy(f"another `grade` run is writing this gradebook (a PostgreSQL advisory lock held by "
                           f"backend {', '.join(str(h[0]) for h in holders) or '?'}). Wait for it to finish, then "
                           f"run again: it grades only what is still new.")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextlib.contextmanager
def run_lock(root: Path, url: str):
    """Hold the course folder's lock, and the gradebook's when it is PostgreSQL, for one grade run."""
    with _file_lock(Path(root)):
        if url.startswith(("postgresql", "postgres")):
            with _postgres_lock(url):
                yield
        else:
            yield
