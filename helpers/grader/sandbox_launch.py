"""Drop root before the sandbox starts (run by helpers.grader.sandbox when the grader is root).

bubblewrap started by root maps the sandbox's uid onto host uid 0: code inside could write host
sysctls and make root-owned setuid files. So a root grader never runs bubblewrap as root. This
small program, started as root, does what needs root and nothing else:

1. joins the sandbox's pids cgroup (the process limit: RLIMIT_NPROC does not hold for root);
2. enters a private mount namespace and bind-mounts, read-only, each folder the sandbox needs
   (the Python installation, the venv, the course package, the submission copy) onto an empty
   folder that the unprivileged uid can reach: the Python of a root install often lives under
   ``/root``, which no other uid may enter;
3. drops to the unprivileged uid and gid for good (no supplementary groups, ``no_new_privs``);
4. executes bubblewrap, which then runs unprivileged, in a user namespace that maps the sandbox's
   uid onto that unprivileged host uid.

Usage: ``python -I -B sandbox_launch.py SPEC_JSON``; SPEC_JSON = {"uid", "gid", "cgroup" (or null),
"binds": [[source, mount point], ...], "argv": [bwrap, ...]}.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV = 0x1, 0x2, 0x4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
PR_SET_NO_NEW_PRIVS = 38


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def main() -> int:
    spec = json.loads(sys.argv[1])
    libc = _libc()
    if spec.get("cgroup"):
        with open(os.path.join(spec["cgroup"], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
    for source, target in spec["binds"]:
        _check(libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None), f"bind {source}")
        _check(libc.mount(None, target.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                          None), f"read-only {target}")
    uid, gid = int(spec["uid"]), int(spec["gid"])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid or uid == 0:
        raise SystemExit("could not drop root")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.execv(spec["argv"][0], spec["argv"])
    return 127


if __name__ == "__main__":
    sys.exit(main())
