"""Run a notebook's cells in a sandboxed kernel (helpers.grader.runner) with limits, for the class grader.

The sandbox (bubblewrap): no network, its own PID/IPC/UTS/user/mount namespaces (every process
dies with it), no capabilities, no setuid (``no_new_privs``, and a seccomp filter that refuses
setting the setuid or setgid bit), ``/proc/sys`` read-only, a clean environment, read-only Python
and ``helpers``, and nothing else of the host: the course's source/, the gradebook, the config and
other students do not exist in it. Its writable folders are size-limited tmpfs mounts that vanish
with it: the working folder (a copy of the submission's regular files), ``/tmp`` and ``/dev/shm``.

Who runs it: an unprivileged host uid, always. A normal user's grader runs bubblewrap as itself
(the sandbox uid maps onto that user). A root grader never does: helpers.grader.sandbox_launch drops to
:data:`SANDBOX_UID` (``nobody`` unless ``$COURSE_SANDBOX_UID``) first, after bind-mounting what
the sandbox needs where that uid can read it.

Limits: address space, CPU seconds, file size, the tmpfs sizes (counted against the memory
limit), processes (RLIMIT_NPROC for a normal user; a pids cgroup for root), wall clock per cell
and per notebook, output bytes counted as they stream in, and the size of every message on the
control channel and of all values handed over. A cell that runs too long is interrupted
(SIGINT); a kernel that ignores the interrupt is killed. When the kernel dies, the cells before
keep their results and the rest run in a fresh kernel after the earlier instructor and answer
cells are replayed.

Values and stand-in calls come over the control channel (helpers.wire): no file the student's
code could have written is ever read by the grader.
"""
from __future__ import annotations

import json
import os
import queue
import resource
import select
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import wire
from . import nb as nbs
from .results import CellRun, Status
from ..paths import PACKAGE_DIR

SANDBOX_UID = int(os.environ.get("COURSE_SANDBOX_UID", "65534"))
SANDBOX_GID = int(os.environ.get("COURSE_SANDBOX_GID", str(SANDBOX_UID)))
COURSE_MOUNT = "/opt/course"          # the helpers package, first on the kernel's sys.path
SUBMISSION_MOUNT = "/opt/submission"  # the submission copy, read-only; the runner copies it in


@dataclass
class Limits:
    memory_mb: int = 3072            # the kernel's address space plus its tmpfs folders
    cpu_seconds: int = 600           # CPU time of one kernel process
    file_mb: int = 256               # largest file the kernel may write
    disk_mb: int = 256               # the working folder (a tmpfs): the notebook's disk quota
    tmp_mb: int = 128                # /tmp (tmpfs)
    shm_mb: int = 32                 # /dev/shm (tmpfs)
    processes: int = 64              # processes and threads in the sandbox
    cell_seconds: float = 120.0      # wall clock of one cell
    notebook_seconds: float = 600.0  # wall clock of the whole notebook
    output_bytes: int = 8 * 2**20    # stdout + stderr of the notebook, counted while streaming
    kept_output_bytes: int = 16 * 2**10   # what is kept per cell for the report
    message_bytes: int = 48 * 2**20  # one message on the control channel (a value, a stand-in call)
    results_bytes: int = 128 * 2**20 # all values one notebook hands over

    @property
    def address_space_mb(self) -> int:
        """RLIMIT_AS: the memory limit less the tmpfs folders, which also live in memory."""
        return max(256, self.memory_mb - self.disk_mb - self.tmp_mb - self.shm_mb)


class InvalidResults(Exception):
    """The kernel sent something that is not a well-formed message within the limits."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_available() -> tuple[bool, str]:
    """Whether the sandbox can start here (as it will for grading, root drop included), and why not."""
    path = bwrap_path()
    if not path:
        return False, "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
    try:
        code = (f"import sys; sys.path.insert(0, {COURSE_MOUNT!r}); import helpers, numpy; "
                f"assert helpers.__file__.startswith({COURSE_MOUNT!r}), helpers.__file__")
        proc = _spawn([sys.executable, "-I", "-B", "-c", code], binds=_kernel_binds(), stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, limits=Limits(), cgroup=None, probe=True)
        _, err = proc.communicate(timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the sandbox could not start: {exc}"
    if proc.returncode != 0:
        why = err.decode(errors="replace").strip()[-600:]
        if "bwrap" in why or not why:
            return False, f"bwrap cannot create its namespaces here: {why or 'exit ' + str(proc.returncode)}"
        return False, (f"the sandbox cannot import the course package (helpers) from {PACKAGE_DIR} with "
                       f"{sys.executable}: {why}")
    return True, ""


# ------------------------------------------------------------------ the command

def _ro_roots() -> list[str]:
    """Read-only folders the kernel needs besides the system: Python, the venv (wherever they are)."""
    roots = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))]
    # site-packages folders reached through .pth files of a venv made elsewhere (never a course folder)
    roots += [os.path.realpath(p) for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    out = []
    for r in sorted(set(roots), key=len):
        if os.path.isdir(r) and not any(r == o or r.startswith(o + os.sep) for o in out):
            out.append(r)
    return out


SYSTEM_ROOTS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                "/etc/ssl", "/etc/localtime")


def _kernel_binds() -> list[tuple[str, str]]:
    """Python and the venv where they are, and the exact helpers package this grader runs."""
    return [(r, r) for r in _ro_roots()] + [(str(PACKAGE_DIR), f"{COURSE_MOUNT}/helpers")]


def kernel_env(assignment: str, home: str) -> dict:
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "HOME": home, "MPLCONFIGDIR": home, "MPLBACKEND": "Agg", "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde", "COURSE_ASSIGNMENT": assignment,
        "COURSE_ROOT": "/nonexistent-course-root",
    }
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # machine workarounds, see the env notes
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def _boot(package_parent: str) -> list[str]:
    """python -I (isolated: no PYTHON* variables, no script or working folder on sys.path) + the runner."""
    code = (f"import sys; sys.path.insert(0, {package_parent!r}); "
            f"from helpers.grader.runner import start; start()")
    return [sys.executable, "-I", "-B", "-c", code]


def seccomp_filter() -> bytes:
    """A classic-BPF seccomp program: chmod/fchmod/fchmodat(2) that set S_ISUID or S_ISGID fail with EPERM.

    Known architectures: x86_64 (x32 calls refused outright) and aarch64; others pass unfiltered.
    """
    def ins(code, jt, jf, k):
        return struct.pack("=HBBI", code, jt, jf, k)
    LD, JEQ, JSET, JGE, RET = 0x20, 0x15, 0x45, 0x35, 0x06
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | 1      # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    arg = lambda i: 16 + 8 * i                      # noqa: E731  low half of args[i] (little endian)
    bits = 0o6000
    # x86_64: chmod 90 (mode arg 1), fchmod 91 (1), fchmodat 268 (2), fchmodat2 452 (2)
    # aarch64: fchmod 52 (1), fchmodat 53 (2), fchmodat2 452 (2)
    prog = [
        ins(LD, 0, 0, 4),                               # 0 arch
        ins(JEQ, 2, 0, 0xC000003E),                     # 1 x86_64 -> 4
        ins(JEQ, 10, 0, 0xC00000B7),                    # 2 aarch64 -> 13
        ins(RET, 0, 0, ALLOW),                          # 3
        ins(LD, 0, 0, 0),                               # 4 nr
        ins(JGE, 16, 0, 0x40000000),                    # 5 x32 -> DENY (22)
        ins(JEQ, 11, 0, 90),                            # 6 -> 18 (arg 1)
        ins(JEQ, 10, 0, 91),                            # 7 -> 18
        ins(JEQ, 11, 0, 268),                           # 8 -> 20 (arg 2)
        ins(JEQ, 10, 0, 452),                           # 9 -> 20
        ins(RET, 0, 0, ALLOW),                          # 10
        ins(RET, 0, 0, ALLOW),                          # 11 (unreachable, keeps the offsets simple)
        ins(RET, 0, 0, ALLOW),                          # 12 (unreachable)
        ins(LD, 0, 0, 0),                               # 13 nr (aarch64)
        ins(JEQ, 3, 0, 52),                             # 14 -> 18
        ins(JEQ, 4, 0, 53),                             # 15 -> 20
        ins(JEQ, 3, 0, 452),                            # 16 -> 20
        ins(RET, 0, 0, ALLOW),                          # 17
        ins(LD, 0, 0, arg(1)),                          # 18
        ins(JSET, 2, 3, bits),                          # 19 -> 22 DENY, else 23 ALLOW
        ins(LD, 0, 0, arg(2)),                          # 20
        ins(JSET, 0, 1, bits),                          # 21 -> 22 DENY, else 23 ALLOW
        ins(RET, 0, 0, DENY),                           # 22
        ins(RET, 0, 0, ALLOW),                          # 23
    ]
    return b"".join(prog)
def _limit_child(limits: Limits, nproc: int | None):
    """Runs in the child between fork and exec: its limits, inherited by the sandbox."""
    def apply():
        mb = 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    return apply


def _processes_of(uid: int) -> int:
    return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid)


def _owner(p: Path):
    try:
        return p.stat().st_uid
    except OSError:
        return None


def make_pids_cgroup(limit: int) -> Path | None:
    """A pids cgroup (v2 or v1) capping the sandbox's processes, when we may create one (root)."""
    if os.geteuid() != 0:
        return None
    for base in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/pids")):
        if (base / "pids.max").exists() or (base / "cgroup.procs").exists() and (base / "tasks").exists() \
                or (base / "cgroup.controllers").exists() and "pids" in (base / "cgroup.controllers").read_text():
            group = base / f"course-grade-{os.getpid()}-{time.monotonic_ns()}"
            try:
                group.mkdir()
                (group / "pids.max").write_text(str(limit))
                return group
            except OSError:
                shutil.rmtree(group, ignore_errors=True)
    return None


def remove_cgroup(group: Path | None) -> None:
    if group is None:
        return
    for _ in range(50):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.05)


class Spawned:
    """A started sandbox: the process, and what to clean up after it."""

    def __init__(self, proc, stage: Path | None, cgroup: Path | None, seccomp_fd: int | None):
        self.proc, self.stage, self.cgroup, self.seccomp_fd = proc, stage, cgroup, seccomp_fd

    def cleanup(self) -> None:
        if self.seccomp_fd is not None:
            try:
                os.close(self.seccomp_fd)
            except OSError:
                pass
            self.seccomp_fd = None
        remove_cgroup(self.cgroup)
        self.cgroup = None
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)   # empty mount points on the host
            self.stage = None


def _seccomp_fd() -> int:
    fd, path = tempfile.mkstemp(prefix="course-seccomp-")
    os.write(fd, seccomp_filter())
    os.unlink(path)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _bwrap_argv(inner, mounts, limits: Limits, workdir_inside, env, seccomp: int, info_fd,
                proc_sys_ro: bool = True) -> list[str]:
    """bubblewrap's command line: every namespace new, no capabilities, nobody's uid, read-only binds,
    size-capped tmpfs for /tmp, /dev/shm and the working folder, a clear environment, the seccomp filter.

    proc_sys_ro=False is for the zygote only (it runs no student code): a /proc with nothing mounted
    over it is what lets each kernel it forks mount a /proc of its own (and cover /proc/sys itself)."""
    argv = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox", "--proc", "/proc"]
    if proc_sys_ro:
        argv += ["--ro-bind", "/proc/sys", "/proc/sys"]
    argv += ["--dev", "/dev",
            "--size", str(limits.shm_mb * 2**20), "--tmpfs", "/dev/shm",
            "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp"]
    for src, inside in mounts:
        argv += ["--ro-bind", src, inside]
    if workdir_inside:
        argv += ["--size", str(limits.disk_mb * 2**20), "--tmpfs", workdir_inside, "--chdir", workdir_inside]
    # The root and /dev are tmpfs that bubblewrap filled (the folders of the binds: /opt/course, the
    # parents of the venv's path; the device nodes): read-only, or a kernel could leave files there,
    # and every kernel a warm sandbox forks shares them (tests/test_warm.py, a4_root_writer). The
    # device nodes, /dev/shm, /dev/pts and /tmp are mounts of their own and stay as they were.
    argv += ["--remount-ro", "/", "--remount-ro", "/dev", "--clearenv"]
    for k, v in (env or {}).items():
        argv += ["--setenv", k, v]
    argv += ["--seccomp", str(seccomp)]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv + list(inner)


def _spawn(inner: list[str], *, binds: list[tuple[str, str]], limits: Limits, cgroup: Path | None,
           pass_fds=(), workdir_inside: str | None = None, env: dict | None = None, info_fd: int | None = None,
           probe: bool = False, nproc: int | None = None, proc_sys_ro: bool = True, **popen):
    """Start `inner` in a new sandbox. binds: (host folder, where the sandbox sees it), read-only.

    Returns a :class:`Spawned` (for the probe, the Popen object itself).
    """
    root = os.geteuid() == 0
    stage = None
    mounts = [(p, p) for p in SYSTEM_ROOTS if os.path.exists(p)]
    launcher_binds = []
    if root:
        stage = Path(tempfile.mkdtemp(prefix="course-sandbox-"))
        os.chmod(stage, 0o755)
        for i, (src, inside) in enumerate(binds):
            point = stage / str(i)
            point.mkdir(mode=0o755)
            launcher_binds.append([src, str(point)])
            mounts.append((str(point), inside))
    else:
        mounts += binds
    seccomp = _seccomp_fd()
    argv = _bwrap_argv(inner, mounts, limits, workdir_inside, env, seccomp, info_fd, proc_sys_ro)
    if nproc is not None:
        pass
    elif not root:
        nproc = limits.processes + _processes_of(os.getuid())
    elif cgroup is None:
        nproc = 4 * limits.processes + _processes_of(SANDBOX_UID)
    if root:
        spec = {"uid": SANDBOX_UID, "gid": SANDBOX_GID, "cgroup": str(cgroup) if cgroup else None,
                "binds": launcher_binds, "argv": argv}
        argv = [sys.executable, "-I", "-B", str(Path(__file__).with_name("sandbox_launch.py")), json.dumps(spec)]
    try:
        proc = subprocess.Popen(argv, pass_fds=tuple(pass_fds) + (seccomp,), start_new_session=True,
                                preexec_fn=_limit_child(limits, nproc), **popen)
    except BaseException:
        os.close(seccomp)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    if probe:
        os.close(seccomp)
        proc.communicate_orig = proc.communicate

        def communicate(timeout=None):
            try:
                return proc.communicate_orig(timeout=timeout)
            finally:
                if stage is not None:
                    shutil.rmtree(stage, ignore_errors=True)
        proc.communicate = communicate
        return proc
    return Spawned(proc, stage, cgroup, seccomp)


# ------------------------------------------------------------------ the kernel

_LIVE: set = set()     # kernels running now, so that Ctrl-C can stop every sandbox


_STOPPERS: set = set()  # other sandboxes running now (helpers.grader.warm's zygotes): objects with close()


def kill_all() -> None:
    for kernel in list(_LIVE):
        kernel.kill()
    for other in list(_STOPPERS):
        other.close()


def _submission_files(folder: Path | None) -> tuple[list[str], list]:
    """The prepared submission folder's regular files, as (relative paths, uint8 arrays) for the wire."""
    import numpy as np

    paths, data = [], []
    if folder is None:
        return paths, data
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in names:
            path = os.path.join(top, name)
            if os.path.isfile(path) and not os.path.islink(path):
                paths.append(os.path.relpath(path, folder))
                data.append(np.frombuffer(Path(path).read_bytes(), dtype=np.uint8))
    return paths, data


def _attach_pids_cgroup(pid: int, limits: Limits) -> Path | None:
    """As root: a pids cgroup for a warm kernel's runner (before it runs any student code)."""
    group = make_pids_cgroup(limits.processes)
    if group is None:
        return None
    target = group / "cgroup.procs" if (group / "cgroup.procs").exists() else group / "tasks"
    try:
        target.write_text(str(pid))
    except OSError:
        remove_cgroup(group)
        raise
    return group


class Kernel:
    """One runner process (in its sandbox, or for trusted runs outside it) and the pipes to it.

    `serve(name, args, kwargs, callback)` runs a reference stand-in for the kernel (helpers.isolate);
    `accept` is the set of value keys the running cell may hand over (anything else is dropped:
    a value is taken only while the test cell that owns it runs).
    """

    def __init__(self, workdir: Path, assignment: str, limits: Limits, sandbox: bool,
                 extra_env: dict | None = None, submission: Path | None = None, zygote=None):
        self.limits = limits
        self.spawned = None
        self.warm_cgroup = None
        if zygote is not None:
            self.proc = zygote.fork(assignment, limits)
            self.child_pid = self.proc.pid
            ctl_r = self.proc.control_fd
            self.warm_cgroup = _attach_pids_cgroup(self.proc.pid, limits)
        else:
            ctl_r = self._start_cold(workdir, assignment, limits, sandbox, extra_env, submission)
        self.control = os.fdopen(ctl_r, "rb", buffering=0)
        self.sel = selectors.DefaultSelector()
        for f, name in ((self.proc.stdout, "out"), (self.proc.stderr, "out"), (self.control, "ctl")):
            os.set_blocking(f.fileno(), False)
            self.sel.register(f, selectors.EVENT_READ, name)
        self.ctl_buffer = bytearray()
        self.scan_from = 0
        self.pending = None
        self.messages: list[dict] = []
        self.output_total = 0
        self.serve = None
        self.accept: set = set()
        self.records: dict = {}
        self.record_bytes = 0
        _LIVE.add(self)
        if zygote is not None:
            paths, data = _submission_files(submission)
            if not self.send({"type": "files"}, paths=paths, data=data):
                self.kill()
                raise OSError("the warm kernel did not take its submission's files")

    def _start_cold(self, workdir, assignment, limits, sandbox, extra_env, submission) -> int:
        """A new runner process (in a new sandbox, or for trusted runs outside it); returns the control fd."""
        ctl_r, ctl_w = os.pipe()
        pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not sandbox:
            home = workdir.parent / "home"
            home.mkdir(exist_ok=True)
            env = kernel_env(assignment, str(home))
            env.update(extra_env or {})
            self.proc = subprocess.Popen(_boot(str(PACKAGE_DIR.parent)) + [str(ctl_w)], env=env, cwd=str(workdir),
                                         pass_fds=(ctl_w,), start_new_session=True,
                                         preexec_fn=_limit_child(limits, None), **pipes)
            os.close(ctl_w)
            self.child_pid = self.proc.pid
        else:
            info_r, info_w = os.pipe()
            inside = f"/home/student/{assignment}"
            env = kernel_env(assignment, "/tmp")
            binds = _kernel_binds()
            if submission is not None:
                binds.append((str(submission), SUBMISSION_MOUNT))
                env["COURSE_SUBMISSION"] = SUBMISSION_MOUNT
            cgroup = make_pids_cgroup(limits.processes)
            try:
                self.spawned = _spawn(_boot(COURSE_MOUNT) + [str(ctl_w)], binds=binds, limits=limits, cgroup=cgroup,
                                      pass_fds=(ctl_w, info_w), workdir_inside=inside, env=env, info_fd=info_w,
                                      **pipes)
            finally:
                os.close(ctl_w)
                os.close(info_w)
            self.proc = self.spawned.proc
            self.child_pid = self._read_child_pid(info_r) or self.proc.pid
        return ctl_r

    @staticmethod
    def _read_child_pid(fd) -> int | None:
        with os.fdopen(fd, "rb") as f:
            data = b""
            while chunk := f.read(4096):
                data += chunk
                try:
                    return int(json.loads(data)["child-pid"])
                except (ValueError, KeyError):
                    continue
        return None

    def send(self, message: dict, deadline: float | None = None, kept: list | None = None, **values) -> bool:
        """Write a message to the kernel without ever blocking on it: while the pipe is full, keep
        reading what the kernel prints (a kernel that floods its output while the grader writes to it
        must not hang the grader). False when the kernel is gone or the deadline passed."""
        data = memoryview(wire.pack(message, **values) if values else wire.dumps(message))
        deadline = deadline if deadline is not None else time.monotonic() + self.limits.cell_seconds
        kept = kept if kept is not None else []
        fd = self.proc.stdin.fileno() if self.proc.stdin and not self.proc.stdin.closed else None
        if fd is None:
            return False
        os.set_blocking(fd, False)
        while data:
            try:
                data = data[os.write(fd, data[: 1 << 20]):]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                return False
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return False
            readable = [k.fileobj for k in self.sel.get_map().values() if k.data == "out"]
            ready_r, _, _ = select.select(readable, [fd], [], 0.2)
            for f in ready_r:
                try:
                    chunk = f.read(65536)
                except (BlockingIOError, ValueError):
                    continue
                if chunk:
                    self._keep(chunk, kept)
        return True

    def interrupt(self) -> None:
        """SIGINT to the runner (under bwrap, the child of the sandbox's init process)."""
        pid = self.child_pid
        if pid != self.proc.pid:
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                pid = int(children[0]) if children else pid
            except (OSError, ValueError):
                pass
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            pass

    def kill(self) -> None:
        _LIVE.discard(self)
        if hasattr(self.proc, "kill_tree"):      # a warm kernel (helpers.grader.warm.WarmProc)
            self.proc.kill_tree()
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr, self.control):
            try:
                f.close()
            except OSError:
                pass
        if self.spawned is not None:
            self.spawned.cleanup()
        remove_cgroup(self.warm_cgroup)
        self.warm_cgroup = None

    def _keep(self, chunk: bytes, kept: list[bytes]) -> None:
        self.output_total += len(chunk)
        if sum(map(len, kept)) < self.limits.kept_output_bytes:
            kept.append(chunk[: self.limits.kept_output_bytes])

    def next_message(self, deadline: float, kept: list[bytes]):
        """Pump output until the kernel sends a control message, dies, or the deadline passes.

        Returns ('msg', dict) | ('dead', None) | ('timeout', None) | ('output limit', None).
        Raises InvalidResults for a message over the size limit or not well-formed.
        """
        while True:
            if self.messages:
                return "msg", self.messages.pop(0)
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return Status.TIMED_OUT, None
            events = self.sel.select(timeout=min(timeout, 0.5))
            for key, _ in events:
                try:
                    chunk = key.fileobj.read(1 << 20 if key.data == "ctl" else 65536)
                except (BlockingIOError, ValueError):
                    continue
                if key.data == "out":
                    if not chunk:
                        self.sel.unregister(key.fileobj)
                        continue
                    self._keep(chunk, kept)
                    if self.output_total > self.limits.output_bytes:
                        return Status.OUTPUT_LIMIT, None
                    continue
                if not chunk:
                    return "dead", None
                self.ctl_buffer += chunk
                self._parse()
            if not events and self.proc.poll() is not None:
                return "dead", None

    def _parse(self) -> None:
        """Split the control buffer into messages: a JSON line, then the raw bytes of its blobs."""
        while True:
            if self.pending is not None:
                msg, sizes = self.pending
                if len(self.ctl_buffer) < sum(sizes):
                    return
                blobs, at = [], 0
                for n in sizes:
                    blobs.append(bytes(self.ctl_buffer[at:at + n]))
                    at += n
                del self.ctl_buffer[:at]
                msg["__blob_data__"] = blobs
                self.messages.append(msg)
                self.pending = None
                continue
            cut = self.ctl_buffer.find(b"\n", self.scan_from)
            if cut < 0:
                self.scan_from = len(self.ctl_buffer)     # only new bytes can hold the next newline
                if len(self.ctl_buffer) > self.limits.message_bytes:
                    raise InvalidResults(f"a message on the control channel exceeded {self.limits.message_bytes} bytes")
                return
            line = bytes(self.ctl_buffer[:cut])
            del self.ctl_buffer[: cut + 1]
            self.scan_from = 0
            try:
                msg = wire.loads(line)
                sizes = wire.blob_sizes(msg)
            except wire.WireError:
                continue     # noise written to the control fd by the student's code
            if sum(sizes) > self.limits.message_bytes:
                raise InvalidResults(f"a message on the control channel exceeded {self.limits.message_bytes} bytes")
            if sizes:
                self.pending = (msg, sizes)
            else:
                self.messages.append(msg)

    def wait_for(self, index: int, deadline: float, kept: list[bytes]):
        """Serve the kernel until it ends cell `index`; ('end', error) | ('dead'|'timeout'|'output limit', None)."""
        while True:
            outcome, msg = self.next_message(deadline, kept)
            if outcome != "msg":
                return outcome, None
            event = msg.get("event")
            if event == "end" and msg.get("index") == index:
                self._drain(kept)
                error = msg.get("error")
                return "end", error if isinstance(error, dict) or error is None else {"ename": "Error"}
            if event == "record":
                self._record(msg)
            elif event == "call":
                self._call(msg, deadline, kept)

    def _record(self, msg: dict) -> None:
        key = msg.get("key")
        if type(key) is not str or key not in self.accept:
            return
        try:
            value = wire.value(msg, "value")
        except wire.WireError as exc:
            raise InvalidResults(f"a value handed over for {key!r} is not well-formed: {exc}") from None
        size = value.nbytes if hasattr(value, "nbytes") else 64
        old = self.records.get(key)
        self.record_bytes += size - (old.nbytes if hasattr(old, "nbytes") else 64 if old is not None else 0)
        if self.record_bytes > self.limits.results_bytes:
            raise InvalidResults(f"the values handed over exceed {self.limits.results_bytes} bytes")
        self.records[key] = value
        said = msg.get("warnings")
        if isinstance(said, list) and isinstance(self.records, Records):   # numpy's warnings, for the diagnosis only
            self.records.warnings[key] = [w[:200] for w in said[:10] if isinstance(w, str)]

    def _call(self, msg: dict, deadline: float, kept: list[bytes]) -> None:
        """A stand-in call: run the reference outside; callable arguments are called back in the kernel."""
        name = msg.get("name")
        calls: queue.Queue = queue.Queue()      # from the stand-in's thread to this one
        cancelled = threading.Event()

        def callback(number):
            def call_back(*args, **kwargs):
                # Runs in the stand-in's thread, which never touches the kernel: the call-back is
                # handed to the grader's thread (below) and its answer awaited.
                if cancelled.is_set():
                    raise TimeoutError("the cell's time limit was reached")
                answer: queue.Queue = queue.Queue(maxsize=1)
                calls.put(("callback", (number, args, kwargs), answer))
                while True:
                    try:
                        kind, value = answer.get(timeout=0.5)
                        break
                    except queue.Empty:
                        if cancelled.is_set():
                            raise TimeoutError("the cell's time limit was reached") from None
                if kind == "error":
                    raise value
                return value
            return call_back

        try:
            if self.serve is None or type(name) is not str:
                raise LookupError("no stand-ins are served here")
            if time.monotonic() > deadline:      # the grader computes stand-ins only within the cell's time
                raise TimeoutError("the cell's time limit was reached")
            args = wire.value(msg, "args", make_callback=callback)
            kwargs = wire.value(msg, "kwargs", make_callback=callback)
            reply, values = {"type": "reply"}, {"value": self._serve_within(name, args, kwargs, deadline, kept,
                                                                            calls, cancelled)}
        except (_KernelGone, InvalidResults):
            raise
        except wire.WireError as exc:
            raise InvalidResults(f"a stand-in call is not well-formed: {exc}") from None
        except Exception as exc:      # the student's arguments did not suit the reference
            reply, values = {"type": "reply", "error": f"the reference {name} could not run on these arguments "
                                                       f"({type(exc).__name__}: {str(exc)[:300]})"}, {}
        finally:
            cancelled.set()
        self.send(reply, deadline, kept, **values)

    def _serve_within(self, name, args, kwargs, deadline, kept, calls, cancelled):
        """Run one stand-in in a thread of its own, giving up (the call fails) when the cell's time is
        over: a student's arguments must not keep the grader busy past the limits (the abandoned
        thread finishes alone, and its call-backs fail). Only this thread talks to the kernel: the
        stand-in's call-backs come here through `calls`."""
        def work():
            try:
                calls.put(("done", self.serve(name, list(args), dict(kwargs)), None))
            except BaseException as exc:      # handed to the grader's thread below
                calls.put(("error", exc, None))
        threading.Thread(target=work, daemon=True, name=f"stand-in {name}").start()
        while True:
            try:
                kind, value, answer = calls.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"the reference {name} ran past the cell's time limit on these arguments") from None
            if kind == "done":
                return value
            if kind == "error":
                raise value
            try:
                answer.put(("value", self._call_back(*value, deadline, kept)))
            except (_KernelGone, InvalidResults):
                answer.put(("error", TimeoutError("the kernel went away during a call-back")))
                raise
            except Exception as exc:
                answer.put(("error", exc))

    def _call_back(self, number, args, kwargs, deadline, kept):
        """Call the student's callable `number` in the kernel; serve what the kernel asks meanwhile."""
        if not self.send({"type": "callback", "number": number}, deadline, kept,
                         args=list(args), kwargs=dict(kwargs)):
            raise _KernelGone("dead" if self.proc.poll() is not None else Status.TIMED_OUT)
        while True:
            outcome, reply = self.next_message(deadline, kept)
            if outcome != "msg":
                raise _KernelGone(outcome)
            if reply.get("event") == "record":
                self._record(reply)
            elif reply.get("event") == "call":     # a stand-in called inside the call-back
                self._call(reply, deadline, kept)
            elif reply.get("event") == "callback-result":
                return wire.value(reply, "value")
            elif reply.get("event") == "callback-error":
                raise RuntimeError(f"your function raised {str(reply.get('ename'))[:60]} when the "
                                   f"reference called it")

    def _drain(self, kept: list[bytes]) -> None:
        for key in list(self.sel.get_map().values()):
            if key.data != "out":
                continue
            try:
                while chunk := key.fileobj.read(65536):
                    self._keep(chunk, kept)
            except (BlockingIOError, ValueError):
                pass


class Records(dict):
    """{value key: value} handed over by hidden checks, and .warnings: {value key: the numpy warnings
    the kernel's last check.call captured} (student-controlled text: it only picks which NaN
    diagnosis is shown, never a score)."""

    def __init__(self):
        super().__init__()
        self.warnings: dict[str, list[str]] = {}


class _KernelGone(Exception):
    """The kernel died or timed out while the grader waited for a call-back."""


def run_cells(cells: list[dict], workdir: Path, assignment: str, limits: Limits | None = None,
              sandbox: bool = True, extra_env: dict | None = None, submission: Path | None = None,
              serve=None, wanted: dict | None = None, zygote=None,
              timing: dict | None = None) -> tuple[list[CellRun], dict]:
    """Execute cells ({'index', 'grade_id', 'kind', 'source', 'stand_ins'}) in order.

    Returns (one CellRun per cell, the values the hidden checks handed over).
    wanted: {test cell grade_id: value keys it may hand over}.
    serve(cell, name, args, kwargs) runs reference stand-ins; extra_env is for unsandboxed,
    trusted runs only (the build's recording); submission is the folder the sandbox copies in;
    zygote: a warm sandbox that forks each kernel (else every kernel starts a sandbox of its own).
    timing: filled with the seconds spent starting kernels ('start') and running cells ('cells').
    """
    timing = timing if timing is not None else {}
    if sandbox and extra_env:
        raise ValueError("extra_env is for unsandboxed, trusted runs")
    limits = limits or Limits()
    runs = [CellRun(c["index"], c.get("grade_id"), c["kind"]) for c in cells]
    notebook_deadline = time.monotonic() + limits.notebook_seconds
    kernel, completed, records = None, [], Records()
    try:
        for cell, run in zip(cells, runs):
            if time.monotonic() >= notebook_deadline:
                run.status, run.error = Status.NOT_RUN, {"ename": "NotebookTimeout",
                                                    "evalue": "the notebook's time limit was reached"}
                continue
            if kernel is None:
                began = time.monotonic()
                kernel = _fresh_kernel(workdir, assignment, limits, sandbox, extra_env, submission,
                                       zygote if sandbox else None, records, completed, notebook_deadline)
                timing["start"] = timing.get("start", 0.0) + time.monotonic() - began
                if kernel is None:
                    run.status, run.error = Status.CRASHED, {"ename": "KernelDied",
                                                        "evalue": "the kernel died while starting or re-running "
                                                                  "earlier cells"}
                    continue
            kernel.accept = set((wanted or {}).get(cell.get("grade_id"), ())) if cell["kind"] == "test" else set()
            kernel.serve = (lambda name, args, kwargs, c=cell: serve(c, name, args, kwargs)) if serve else None
            kept: list[bytes] = []
            start = time.monotonic()
            deadline = min(start + limits.cell_seconds, notebook_deadline)
            message = {"type": "cell", "index": cell["index"], "grade_id": cell.get("grade_id"),
                       "kind": cell["kind"], "segments": nbs.segments(cell)}
            outcome, error = _execute(kernel, message, deadline, kept)
            if _settle(kernel, run, cell["index"], outcome, error, limits, kept):
                kernel = None
            elif run.status is Status.OK and cell["kind"] != "test":
                completed.append(message)
            run.seconds = time.monotonic() - start
            timing["cells"] = timing.get("cells", 0.0) + run.seconds
            run.output = b"".join(kept).decode("utf-8", "replace")[: limits.kept_output_bytes]
    finally:
        if kernel is not None:
            kernel.kill()
    return runs, records


def _execute(kernel: Kernel, message: dict, deadline: float, kept: list) -> tuple:
    """Send one cell and wait for its end: ("end", error or None), or what stopped it."""
    try:
        if not kernel.send(message, deadline, kept):
            return "dead", None
        return kernel.wait_for(message["index"], deadline, kept)
    except _KernelGone as gone:
        return gone.args[0], None
    except InvalidResults as exc:
        return Status.INVALID_RESULTS, {"ename": "InvalidResults", "evalue": str(exc)}


def _settle(kernel: Kernel, run: CellRun, index: int, outcome, error, limits: Limits, kept: list) -> bool:
    """Give `run` its status from the outcome of :func:`_execute`; True when the kernel was killed."""
    if outcome is Status.TIMED_OUT:
        kernel.interrupt()
        try:
            after, _ = kernel.wait_for(index, time.monotonic() + 3, kept)
        except (InvalidResults, _KernelGone):
            after = "dead"
        run.status, run.error = Status.TIMED_OUT, {"ename": "CellTimeout",
                                                   "evalue": f"the cell ran longer than {limits.cell_seconds:g} s"}
        if after != "end":
            kernel.kill()
            return True
        return False
    if outcome == "end":
        run.status, run.error = (Status.OK, None) if error is None else (Status.ERROR, error)
        return False
    try:
        code = kernel.proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        code = None
    kernel.kill()
    if outcome is Status.OUTPUT_LIMIT:
        run.status, run.error = Status.OUTPUT_LIMIT, {
            "ename": "OutputLimit", "evalue": f"the notebook printed more than {limits.output_bytes} bytes"}
    elif outcome is Status.INVALID_RESULTS:
        run.status, run.error = Status.INVALID_RESULTS, error
    else:
        run.status, run.error = Status.CRASHED, {"ename": "KernelDied", "evalue": _death(code)}
    return True


def _fresh_kernel(workdir, assignment, limits, sandbox, extra_env, submission, zygote, records, completed,
                  deadline) -> Kernel | None:
    """A kernel ready for the next cell (the earlier instructor and answer cells replayed), or None when
    it died on the way. Forked from the warm sandbox when there is one alive, else a sandbox of its own."""
    kernel = None
    if zygote is not None and zygote.alive():
        try:
            kernel = Kernel(workdir, assignment, limits, sandbox, extra_env, submission, zygote=zygote)
        except OSError:
            kernel = None          # the warm sandbox is gone: a sandbox of its own, as isolated
    if kernel is None:
        kernel = Kernel(workdir, assignment, limits, sandbox, extra_env, submission)
    kernel.records = records
    if not _start(kernel, completed, deadline):
        kernel.kill()
        return None
    return kernel


def _start(kernel: Kernel, cells: list[dict], deadline: float) -> bool:
    """Wait for the runner to be ready, then re-run earlier instructor and answer cells (output discarded)."""
    try:
        outcome, msg = kernel.next_message(min(deadline, time.monotonic() + 120), [])
        while outcome == "msg" and msg.get("event") != "ready":
            outcome, msg = kernel.next_message(min(deadline, time.monotonic() + 120), [])
        if outcome != "msg":
            return False
        for cell in cells:
            if not kernel.send(cell, deadline):
                return False
            outcome, _ = kernel.wait_for(cell["index"], deadline, [])
            if outcome != "end":
                return False
    except (InvalidResults, _KernelGone):
        return False
    return True


def _death(code) -> str:
    if code is None:
        return "the kernel stopped answering"
    if code > 128:          # bwrap reports a child killed by signal N as 128 + N
        code = 128 - code
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        hint = {"SIGKILL": " (killed: out of memory or a limit)", "SIGXCPU": " (CPU time limit)",
                "SIGXFSZ": " (file size limit)", "SIGSEGV": " (segmentation fault)"}.get(name, "")
        return f"the kernel died from {name}{hint}"
    return f"the kernel exited with status {code} (os._exit or sys.exit outside a cell?)"
