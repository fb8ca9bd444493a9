"""Run a notebook's cells in a sandboxed kernel (helpers.runner) with limits, for the class grader.

The sandbox (bubblewrap): no network, its own PID/IPC/UTS/user namespaces (every process dies
with it), a clean environment, an unprivileged uid, read-only Python and `helpers`, and only two
writable folders: a copy of the submission and a folder for the values the hidden checks hand
over. The course's source/, the gradebook, the config and other students do not exist in it.

Limits: address space, CPU seconds, file size, processes (RLIMIT_NPROC for a normal user; a
pids cgroup when running as root, where RLIMIT_NPROC does not apply), wall clock per cell and per
notebook, and output bytes counted as they stream in. A cell that runs too long is interrupted
(SIGINT); a kernel that ignores the interrupt is killed. When the kernel dies, the cells before
keep their results and the rest run in a fresh kernel after the earlier answer cells are replayed.
"""
from __future__ import annotations

import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import PACKAGE_DIR


@dataclass
class Limits:
    memory_mb: int = 3072            # address space of the kernel
    cpu_seconds: int = 600           # CPU time of one kernel process
    file_mb: int = 256               # largest file the kernel may write
    processes: int = 64              # processes and threads in the sandbox
    cell_seconds: float = 120.0      # wall clock of one cell
    notebook_seconds: float = 600.0  # wall clock of the whole notebook
    output_bytes: int = 8 * 2**20    # stdout + stderr of the notebook, counted while streaming
    kept_output_bytes: int = 16 * 2**10   # what is kept per cell for the report


@dataclass
class CellRun:
    index: int
    grade_id: str | None
    kind: str
    status: str = "not run"          # ok | error | timeout | crashed | output limit | not run
    error: dict | None = None        # {"ename", "evalue"} from the kernel (untrusted text)
    output: str = ""
    seconds: float = 0.0


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_available() -> tuple[bool, str]:
    """Whether bubblewrap can create a sandbox here, and why not."""
    path = bwrap_path()
    if not path:
        return False, "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
    proc = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return False, f"bwrap cannot create namespaces here: {proc.stderr.strip()}"
    return True, ""


# ------------------------------------------------------------------ the command

def _ro_roots() -> list[str]:
    """Read-only folders the kernel needs: the system, Python, the venv, the helpers package."""
    roots = ["/usr", "/lib", "/lib64", "/bin", "/etc/alternatives",
             os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), str(PACKAGE_DIR)]
    seen, out = set(), []
    for r in roots:
        if os.path.exists(r) and r not in seen:
            seen.add(r)
            out.append(r)
    return out


def kernel_env(assignment: str, results: str, home: str) -> dict:
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "HOME": home, "MPLCONFIGDIR": home, "MPLBACKEND": "Agg", "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde", "COURSE_ASSIGNMENT": assignment,
        "COURSE_GRADE_RESULTS": results, "COURSE_ROOT": "/nonexistent-course-root",
    }
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # machine workarounds, see the env notes
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def command(workdir: Path, results: Path, assignment: str, sandbox: bool, info_fd: int | None, control_fd: int,
            extra_env: dict | None = None):
    """(argv, env, cwd) that start helpers.runner for one submission."""
    runner = [sys.executable, "-m", "helpers.runner", str(control_fd)]
    if not sandbox:
        env = kernel_env(assignment, str(results), str(workdir.parent / "home"))
        (workdir.parent / "home").mkdir(exist_ok=True)
        env["PYTHONPATH"] = str(PACKAGE_DIR.parent)
        env.update(extra_env or {})
        return runner, env, str(workdir)
    inside = f"/home/student/{assignment}"
    argv = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for root in _ro_roots():
        argv += ["--ro-bind", root, root]
    argv += ["--bind", str(workdir), inside, "--bind", str(results), "/results", "--chdir", inside,
             "--clearenv"]
    for k, v in kernel_env(assignment, "/results", "/tmp").items():
        argv += ["--setenv", k, v]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv + runner, None, None


def _limit_child(limits: Limits, cgroup: Path | None):
    """Runs in the child between fork and exec: its limits, inherited by the sandbox."""
    def apply():
        mb = 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.getuid() != 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes + _own_processes(),) * 2)
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
    return apply


def _own_processes() -> int:
    uid = os.getuid()
    return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid)


def _owner(p: Path):
    try:
        return p.stat().st_uid
    except OSError:
        return None


def make_pids_cgroup(limit: int) -> Path | None:
    """A pids cgroup (v2 or v1) capping the sandbox's processes, when we may create one (root)."""
    if os.getuid() != 0:
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


# ------------------------------------------------------------------ the kernel

_LIVE: set = set()     # kernels running now, so that Ctrl-C can stop every sandbox


def kill_all() -> None:
    for kernel in list(_LIVE):
        kernel.kill()


class Kernel:
    """One runner process (in its sandbox) and the pipes to it."""

    def __init__(self, workdir: Path, results: Path, assignment: str, limits: Limits, sandbox: bool,
                 extra_env: dict | None = None):
        self.limits = limits
        self.cgroup = make_pids_cgroup(limits.processes) if sandbox else None
        ctl_r, ctl_w = os.pipe()
        info_r, info_w = os.pipe() if sandbox else (None, None)
        argv, env, cwd = command(workdir, results, assignment, sandbox, info_w, ctl_w, extra_env)
        fds = (ctl_w,) + ((info_w,) if info_w is not None else ())
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=fds, start_new_session=True, preexec_fn=_limit_child(limits, self.cgroup))
        os.close(ctl_w)
        self.child_pid = self.proc.pid
        if info_w is not None:
            os.close(info_w)
            self.child_pid = self._read_child_pid(info_r) or self.proc.pid
        self.control = os.fdopen(ctl_r, "rb", buffering=0)
        self.sel = selectors.DefaultSelector()
        for f, name in ((self.proc.stdout, "out"), (self.proc.stderr, "out"), (self.control, "ctl")):
            os.set_blocking(f.fileno(), False)
            self.sel.register(f, selectors.EVENT_READ, name)
        self.ctl_buffer = b""
        self.output_total = 0
        _LIVE.add(self)

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

    def send(self, cell: dict) -> bool:
        try:
            self.proc.stdin.write((json.dumps(cell) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

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
        remove_cgroup(self.cgroup)

    def wait_for(self, index: int, deadline: float, kept: list[bytes]):
        """Pump output until the runner ends cell `index`, dies, or the deadline passes.

        Returns ('end', error) | ('dead', None) | ('timeout', None) | ('output limit', None).
        """
        while True:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return "timeout", None
            events = self.sel.select(timeout=min(timeout, 0.5))
            for key, _ in events:
                chunk = key.fileobj.read(65536)
                if key.data == "out":
                    if not chunk:
                        self.sel.unregister(key.fileobj)
                        continue
                    self.output_total += len(chunk)
                    if sum(map(len, kept)) < self.limits.kept_output_bytes:
                        kept.append(chunk[: self.limits.kept_output_bytes])
                    if self.output_total > self.limits.output_bytes:
                        return "output limit", None
                    continue
                if not chunk:
                    return "dead", None
                self.ctl_buffer += chunk
                while b"\n" in self.ctl_buffer:
                    line, self.ctl_buffer = self.ctl_buffer.split(b"\n", 1)
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue     # noise written to fd 3 by the student's code
                    if msg.get("event") == "end" and msg.get("index") == index:
                        self._drain(kept)
                        return "end", msg.get("error")
            if not events and self.proc.poll() is not None:
                return "dead", None

    def _drain(self, kept: list[bytes]) -> None:
        for key in list(self.sel.get_map().values()):
            if key.data != "out":
                continue
            try:
                while chunk := key.fileobj.read(65536):
                    self.output_total += len(chunk)
                    if sum(map(len, kept)) < self.limits.kept_output_bytes:
                        kept.append(chunk[: self.limits.kept_output_bytes])
            except (BlockingIOError, ValueError):
                pass


def run_cells(cells: list[dict], workdir: Path, results: Path, assignment: str,
              limits: Limits | None = None, sandbox: bool = True, extra_env: dict | None = None) -> list[CellRun]:
    """Execute cells ({'index', 'grade_id', 'kind', 'source'}) in order; one CellRun each.

    extra_env is for trusted runs outside the sandbox only (the build's recording).
    """
    if sandbox and extra_env:
        raise ValueError("extra_env is for unsandboxed, trusted runs")
    limits = limits or Limits()
    runs = [CellRun(c["index"], c.get("grade_id"), c["kind"]) for c in cells]
    notebook_deadline = time.monotonic() + limits.notebook_seconds
    kernel, completed = None, []
    try:
        for cell, run in zip(cells, runs):
            if time.monotonic() >= notebook_deadline:
                run.status, run.error = "not run", {"ename": "NotebookTimeout",
                                                    "evalue": "the notebook's time limit was reached"}
                continue
            if kernel is None:
                kernel = Kernel(workdir, results, assignment, limits, sandbox, extra_env)
                if not _replay(kernel, completed, notebook_deadline):
                    run.status, run.error = "crashed", {"ename": "KernelDied",
                                                        "evalue": "the kernel died again while re-running earlier cells"}
                    kernel.kill()
                    kernel = None
                    continue
            kept: list[bytes] = []
            start = time.monotonic()
            deadline = min(start + limits.cell_seconds, notebook_deadline)
            outcome, error = ("dead", None) if not kernel.send(cell) else kernel.wait_for(cell["index"], deadline, kept)
            if outcome == "timeout":
                kernel.interrupt()
                outcome2, _ = kernel.wait_for(cell["index"], time.monotonic() + 3, kept)
                if outcome2 != "end":
                    kernel.kill()
                    kernel = None
                run.status, run.error = "timeout", {"ename": "CellTimeout",
                                                    "evalue": f"the cell ran longer than {limits.cell_seconds:g} s"}
            elif outcome == "end":
                run.status, run.error = ("ok", None) if error is None else ("error", error)
                if run.status == "ok" and cell["kind"] != "test":
                    completed.append(cell)
            else:
                try:
                    code = kernel.proc.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    code = None
                kernel.kill()
                kernel = None
                if outcome == "output limit":
                    run.status, run.error = "output limit", {
                        "ename": "OutputLimit", "evalue": f"the notebook printed more than {limits.output_bytes} bytes"}
                else:
                    run.status, run.error = "crashed", {"ename": "KernelDied", "evalue": _death(code)}
            run.seconds = time.monotonic() - start
            run.output = b"".join(kept).decode("utf-8", "replace")[: limits.kept_output_bytes]
    finally:
        if kernel is not None:
            kernel.kill()
    return runs


def _replay(kernel: Kernel, cells: list[dict], deadline: float) -> bool:
    """Re-run earlier answer and setup cells in a fresh kernel (their output is discarded)."""
    for cell in cells:
        if not kernel.send(cell):
            return False
        outcome, _ = kernel.wait_for(cell["index"], deadline, [])
        if outcome != "end":
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
