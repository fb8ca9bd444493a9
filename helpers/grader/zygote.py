"""A warm sandbox: import the course's heavy modules once, then fork one isolated kernel per submission.

Started by helpers.grader.sandbox (:class:`~helpers.grader.sandbox.Zygote`) inside the same
bubblewrap sandbox as a cold kernel (no network, read-only Python and ``helpers``, nothing of the
host, the seccomp filter, the limits), with ``python -I -B``. It imports numpy, matplotlib, IPython
and the kernel side of ``helpers``, runs no student code itself, and serves fork requests on a Unix
socket: each request carries the new kernel's pipes (stdin, stdout, stderr, the control channel,
and a status pipe) as file descriptors (SCM_RIGHTS).

Each kernel it forks is isolated from the zygote and from every other kernel, before any of its
code runs:

- new user, mount, PID, IPC, UTS and network namespaces: the runner is PID 1 of its own PID
  namespace (every process it starts dies with it, and it sees no other process), it has a
  network namespace of its own (not even the zygote's loopback), and fresh size-limited tmpfs
  mounts for ``/tmp``, ``/dev/shm`` and ``/home`` (its working folder) plus its own ``/proc``;
- then a second, nested user namespace drops it to an unprivileged uid with no capabilities,
  so the mounts cannot be changed;
- its own session and process group (a signal to "my group" reaches only its own processes);
- its own resource limits (address space, CPU seconds, file size, processes);
- its own memory: a fork is a copy, so a module patched, a thread started, an environment variable
  set or an ``atexit`` hook registered dies with it and never reaches the zygote or the next kernel.

Its submission's files arrive over the control channel (helpers.grader.runner), never from a
folder that another student's files share.
"""
from __future__ import annotations

import ctypes
import json
import os
import platform
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 32, 4096, 16384, 1 << 18
MS_RDONLY = 1
INNER_UID = 65534        # the kernel's uid inside its own user namespace (as in a cold sandbox)
WORK_ROOT = "/home"      # a fresh tmpfs per kernel; the working folder is /home/student/<assignment>
_CAPSET = {"x86_64": 126, "aarch64": 91}

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(OSError):
    """A kernel's isolation could not be set up (it then exits before running anything)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), what)


def _map_to(inner: int, outer_uid: int, outer_gid: int) -> None:
    """Map `inner` in the new user namespace onto the uid/gid this process had outside it."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{inner} {outer_uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{inner} {outer_gid} 1")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {fstype or source} on {target}")


def _drop_capabilities() -> None:
    """No capability left in any set (the kernel then cannot mount, change its namespaces' ids, ...)."""
    number = _CAPSET.get(platform.machine())
    if number is None:
        return
    header = struct.pack("=Ii", 0x20080522, 0)          # _LINUX_CAPABILITY_VERSION_3, this thread
    data = ctypes.create_string_buffer(24)               # two all-zero {effective, permitted, inheritable}
    _check(_libc.syscall(number, ctypes.c_char_p(header), data), "capset")


def _isolate(req: dict) -> None:
    """In the new namespaces, as their root: private mounts, fresh tmpfs and /proc, then drop to INNER_UID."""
    sizes = req["sizes_mb"]
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for target, mb in (("/tmp", sizes["tmp"]), ("/dev/shm", sizes["shm"]), (WORK_ROOT, sizes["disk"])):
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={mb * 2**20},mode=0755")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("/proc/sys", "/proc/sys", None, MS_BIND | MS_REC)
    _mount("none", "/proc/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    work = os.path.join(WORK_ROOT, "student", req["assignment"])
    os.makedirs(work, mode=0o755)
    _unshare(CLONE_NEWUSER, "unshare the inner user namespace")
    _map_to(INNER_UID, 0, 0)
    _drop_capabilities()
    os.chdir(work)


def _limits(req: dict) -> None:
    import resource

    mb = 2**20
    resource.setrlimit(resource.RLIMIT_AS, (req["address_space_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (req["cpu_seconds"], req["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (req["file_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (req["processes"], req["processes"]))


def _kernel(req: dict, fds: list[int]) -> None:
    """PID 1 of the new PID namespace: set up, then become the runner (never returns)."""
    try:
        stdin, stdout, stderr, control, status = fds
        os.close(status)
        # A session and process group of its own: kill(0) or killpg() from the kernel would otherwise
        # reach every process of the zygote's group, the zygote included (tests/test_warm.py, a0_group_killer).
        os.setsid()
        _isolate(req)
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2), (control, 3)):
            os.dup2(fd, target)
        os.closerange(4, 1 << 16)
        os.environ.update(req["env"])
        _limits(req)
        from .runner import main

        sys.argv = ["runner", "3"]
        code = main(warm=True)
    except BaseException as exc:          # isolation failed: say why on stderr and run nothing
        try:
            os.write(2, f"the warm kernel could not start: {exc}\n".encode())
        except OSError:
            pass
        code = 70
    os._exit(code or 0)


def _fork_kernel(req: dict, fds: list[int]) -> None:
    """The forked child: new namespaces, then fork PID 1 there and report how it ended (never returns)."""
    code = 70
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        outer_uid, outer_gid = os.getuid(), os.getgid()
        _unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET,
                 "unshare the kernel's namespaces")
        _map_to(0, outer_uid, outer_gid)
        pid = os.fork()
        if pid == 0:
            _kernel(req, fds)
        for fd in fds[:4]:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        os.write(fds[4], struct.pack("=i", status))
        code = 0
    except BaseException as exc:
        try:
            os.write(2, f"the warm kernel could not start: {exc}\n".encode())
        except OSError:
            pass
    os._exit(code)


def serve(sock_fd: int, preload: dict | None = None) -> None:
    """Warm up (preload: what helpers.grader.warm.course_preload found), then fork a kernel for every
    request until the grader closes the socket."""
    from .runner import _warm_imports

    _warm_imports(preload)
    import IPython.core.interactiveshell  # noqa: F401  (the shell itself is made per kernel)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)       # forked children are reaped by the system
    sock = socket.socket(fileno=sock_fd)
    sock.sendall(b'{"ready": true}\n')
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 5)
        except OSError:
            return
        if not data:
            return
        try:
            req = json.loads(data)
            if len(fds) != 5:
                raise ValueError(f"expected 5 file descriptors, got {len(fds)}")
        except ValueError as exc:
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"error": str(exc)}).encode() + b"\n")
            continue
        pid = os.fork()
        if pid == 0:
            sock.close()
            _fork_kernel(req, fds)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def start() -> None:
    """Entry point of ``python -I -c``: the socket's descriptor, then the preload as JSON."""
    serve(int(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else None)
