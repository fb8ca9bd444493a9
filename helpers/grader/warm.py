"""Warm sandboxes, the grader's side: one zygote (helpers.grader.zygote) per worker forks every kernel.

:class:`Zygote` starts a sandbox exactly as a cold kernel's (helpers.grader.sandbox: bubblewrap, the
seccomp filter, the limits, the root drop), but what runs in it imports the course's heavy modules
once and then forks one kernel per request into namespaces of its own. :class:`WarmProc` is such a
kernel seen from here (its pipes, its host pid, how it ended); :class:`ZygotePool` hands the grading
threads a zygote each.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import sandbox
from .sandbox import COURSE_MOUNT, SANDBOX_UID, _STOPPERS, Kernel, Limits, _processes_of, kernel_env

WARM_HOME = "/home"     # each kernel's working folder lives under a tmpfs of its own here


def _zygote_boot(package_parent: str) -> list[str]:
    code = (f"import sys; sys.path.insert(0, {package_parent!r}); "
            f"from helpers.grader.zygote import start; start()")
    return [sys.executable, "-I", "-B", "-c", code]


_LOADERS = ("load_mnist", "load_digits")


def course_preload(assignments) -> dict:
    """What a warm sandbox loads before forking kernels for these assignments: the modules their
    source notebooks' code cells import (absolute imports only) and the data loaders they call
    (helpers.data.PRELOADS). Read from the instructor's notebooks only, never from a submission."""
    import ast

    from ..paths import source_notebook
    from . import nb as nbs

    modules, loaders = set(), set()
    for a in assignments:
        for cell in nbs.read(source_notebook(a)).cells:
            if cell.cell_type != "code":
                continue
            loaders.update(n for n in _LOADERS if n in cell.source)
            try:
                tree = nbs.parse_python(cell.source)      # the grader's threads may be parsing too
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)      # and what it names, where that is a module
                    modules.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return {"modules": sorted(modules), "data": sorted(loaders)}


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _nspid(pid: int) -> list[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    except (OSError, ValueError):
        pass
    return []


class WarmProc:
    """A kernel forked by a :class:`Zygote`, as the grader sees it: its pipes, its host pid (the runner,
    PID 1 of its own PID namespace: killing it ends every process it started), and how it ended
    (reported by the zygote's child that waits for it)."""

    def __init__(self, host_pid: int, stdin: int, stdout: int, stderr: int, status: int):
        self.pid = host_pid
        self.stdin = os.fdopen(stdin, "wb")
        self.stdout = os.fdopen(stdout, "rb")
        self.stderr = os.fdopen(stderr, "rb")
        self.status = status
        self.returncode = None

    def _collect(self, timeout: float) -> None:
        if self.returncode is not None or self.status is None:
            return
        ready, _, _ = select.select([self.status], [], [], max(0.0, timeout))
        if not ready:
            return
        data = os.read(self.status, 4)
        os.close(self.status)
        self.status = None
        if len(data) < 4:
            self.returncode = -signal.SIGKILL          # its waiter is gone too
            return
        raw = struct.unpack("=i", data)[0]
        self.returncode = -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)

    def poll(self):
        self._collect(0)
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = 3600.0 if end is None else end - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("warm kernel", timeout)
            self._collect(min(left, 1.0))
        return self.returncode

    def kill_tree(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


class Zygote:
    """A warm sandbox (helpers.grader.zygote) that forks one isolated kernel per submission.

    One per grading worker; start-up (a sandbox, Python, numpy, matplotlib, IPython, helpers) is paid
    once, not once per notebook. Every kernel still gets its own namespaces, tmpfs folders, limits
    and memory (see helpers.grader.zygote); the files of its submission are sent to it alone.
    """

    def __init__(self, limits: Limits, preload: dict | None = None):
        self.limits = limits
        self.lock = threading.Lock()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_r, info_w = os.pipe()
        nproc = 8 * limits.processes + _processes_of(SANDBOX_UID if os.geteuid() == 0 else os.getuid())
        try:
            # through the module: the same binds and start as a cold kernel's, whoever changes them
            self.spawned = sandbox._spawn(
                _zygote_boot(COURSE_MOUNT) + [str(child.fileno()), json.dumps(preload or {})], binds=sandbox._kernel_binds(), limits=limits,
                cgroup=None, pass_fds=(child.fileno(), info_w), workdir_inside=WARM_HOME,
                env=kernel_env("", "/tmp"), info_fd=info_w, nproc=nproc, proc_sys_ro=False,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            child.close()
            os.close(info_w)
        self.sock = parent
        self.init_pid = Kernel._read_child_pid(info_r) or self.spawned.proc.pid
        _STOPPERS.add(self)
        self.sock.settimeout(120)
        try:
            ready = self.sock.recv(4096)
        except OSError:
            ready = b""
        if b"ready" not in ready:
            err = b""
            try:
                self.close()
                err = self.spawned.proc.stderr.read() or b""
            except (OSError, ValueError):
                pass
            raise OSError(f"the warm sandbox did not start: {err.decode(errors='replace')[-600:]}")

    def alive(self) -> bool:
        return self.spawned is not None and self.spawned.proc.poll() is None

    def fork(self, assignment: str, limits: Limits) -> WarmProc:
        """A new kernel for one submission (its runner waits for the submission's files)."""
        fds = [os.pipe() for _ in range(5)]          # stdin, stdout, stderr, control, status
        theirs = [fds[0][0], fds[1][1], fds[2][1], fds[3][1], fds[4][1]]
        nproc = limits.processes + _processes_of(SANDBOX_UID if os.geteuid() == 0 else os.getuid())
        req = {"assignment": assignment, "env": {"COURSE_ASSIGNMENT": assignment, "HOME": "/tmp",
                                                 "MPLCONFIGDIR": "/tmp"},
               "sizes_mb": {"tmp": limits.tmp_mb, "shm": limits.shm_mb, "disk": limits.disk_mb},
               "address_space_mb": limits.address_space_mb, "cpu_seconds": limits.cpu_seconds,
               "file_mb": limits.file_mb, "processes": nproc}
        try:
            with self.lock:
                socket.send_fds(self.sock, [json.dumps(req).encode()], theirs)
                reply = json.loads(self.sock.recv(4096) or b"{}")
        finally:
            for fd in theirs:
                os.close(fd)
        if "pid" not in reply:
            for fd in (fds[0][1], fds[1][0], fds[2][0], fds[3][0], fds[4][0]):
                os.close(fd)
            raise OSError(f"the warm sandbox could not fork a kernel: {reply.get('error', 'it is gone')}")
        host = self._runner_pid(int(reply["pid"]))
        proc = WarmProc(host, fds[0][1], fds[1][0], fds[2][0], fds[4][0])
        proc.control_fd = fds[3][0]
        return proc

    def _runner_pid(self, inner_pid: int, wait: float = 10.0) -> int:
        """The host pid of the runner: PID 1 of the namespace the zygote's child `inner_pid` made."""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            for zygote in _children(self.init_pid):
                for child in _children(zygote):
                    if _nspid(child)[1:2] == [inner_pid]:
                        runners = _children(child)
                        if runners:
                            return runners[0]
            time.sleep(0.01)
        raise OSError("the warm sandbox's kernel did not start")

    def close(self) -> None:
        _STOPPERS.discard(self)
        try:
            self.sock.close()
        except OSError:
            pass
        if self.spawned is not None:
            try:
                os.killpg(self.spawned.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.spawned.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.spawned.cleanup()


class ZygotePool:
    """Warm sandboxes for the grading threads: a thread takes an idle one (or starts one) for a notebook
    and gives it back; one that died is replaced.

    Where a warm sandbox cannot start (nested user namespaces refused, say), :meth:`acquire` says why
    once and returns None: every kernel then starts a sandbox of its own, as isolated, only slower.
    """

    def __init__(self, limits: Limits, out=print, assignments=()):
        """assignments: the ones this pool's kernels will grade (their preload: :func:`course_preload`)."""
        self.limits, self.out, self.preload = limits, out, course_preload(sorted(set(assignments)))
        self.idle: list[Zygote] = []
        self.all: list[Zygote] = []
        self.lock = threading.Lock()
        self.failed = ""

    def acquire(self) -> Zygote | None:
        with self.lock:
            while self.idle:
                z = self.idle.pop()
                if z.alive():
                    return z
                z.close()
            if self.failed:
                return None
        try:
            z = Zygote(self.limits, self.preload)
        except OSError as exc:
            with self.lock:
                if not self.failed:
                    self.failed = str(exc)[:300]
                    self.out(f"note: warm sandboxes are not available here ({self.failed}); every notebook "
                             f"starts a sandbox of its own (as isolated, slower)")
            return None
        with self.lock:
            self.all.append(z)
        return z

    def release(self, z: Zygote | None) -> None:
        if z is not None:
            with self.lock:
                self.idle.append(z)

    def close(self) -> None:
        with self.lock:
            for z in self.all:
                z.close()
            self.all.clear()
            self.idle.clear()
