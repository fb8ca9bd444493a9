"""Executes a notebook's cells one at a time for the class grader (inside the sandbox).

Started as ``python -I -B -c "...; from helpers.grader.runner import main; main()" CONTROL_FD`` by
helpers.grader.sandbox: isolated mode, so nothing in the submission's folder (a ``json.py``, a
``numpy.py``) is imported by the runner; the folder is appended to ``sys.path`` only after the
runner's own imports, for the student's cells.

Protocol (helpers.wire, one JSON object per line):
- stdin, from the grader: ``{"type": "cell", "index", "grade_id", "kind": "test"|"answer"|"code",
  "segments": [{"hidden": bool, "source": str}, ...]}``, and the replies to stand-in calls;
- the control fd, to the grader: ``ready``; ``begin``/``end`` of each cell (with the error, and
  whether a hidden part raised it); ``record`` (a value a hidden check hands over); ``call`` (a
  reference stand-in, see helpers.isolate);
- stdout/stderr: whatever the cells print, which the grader counts and keeps a little of.

The grader sends a cell only after the previous one ended, so code in one cell never sees the
source of a later (hidden) test cell. Instructor cells run without history (no ``In``/``Out``
entries), their lines are dropped from ``linecache`` before any student code runs, and every
name a hidden part bound is removed (or given back its old value) when the test cell ends, as
are the stand-ins of helpers.isolate. Nothing this process says is trusted for scores.
"""
from __future__ import annotations

import ast
import linecache
import os
import shutil
import signal
import sys

_MISSING = object()
_in_cell = [False]     # the grader's interrupt (SIGINT) stops a running cell, never the runner itself


def _on_interrupt(signum, frame):
    if _in_cell[0]:
        raise KeyboardInterrupt


class StandInError(RuntimeError):
    """The grader could not run a reference stand-in on these arguments."""


class Channel:
    """The kernel's end of the channel to the grader (see helpers.wire)."""

    def __init__(self, control, commands):
        self.control, self.commands = control, commands

    def send(self, message: dict, callbacks: list | None = None, **values) -> None:
        from .. import wire

        data = wire.pack(message, callbacks, **values) if values else wire.dumps(message)
        view = memoryview(data)
        while view:
            view = view[self.control.write(view):]

    def receive(self) -> dict:
        from .. import wire

        line = self.commands.readline()
        if not line:
            raise SystemExit(0)       # the grader closed the channel: stop quietly
        msg = wire.loads(line)
        if sizes := wire.blob_sizes(msg):
            msg["__blob_data__"] = [self.commands.read(n) for n in sizes]
        return msg

    def call(self, name: str, args, kwargs):
        """Run the reference stand-in `name` in the grader; serve call-backs of callable arguments."""
        from .. import wire

        callbacks: list = []
        self.send({"event": "call", "name": name}, callbacks, args=list(args), kwargs=dict(kwargs))
        while True:
            msg = self.receive()
            if msg.get("type") == "reply":
                if "error" in msg:
                    raise StandInError(str(msg["error"]))
                return wire.value(msg, "value")
            if msg.get("type") != "callback":
                raise StandInError("unexpected message from the grader")
            fn = callbacks[int(msg["number"])]
            try:
                result = fn(*wire.value(msg, "args"), **wire.value(msg, "kwargs"))
                self.send({"event": "callback-result"}, value=result)
            except Exception as exc:      # the student's callable failed: the grader reports it
                self.send({"event": "callback-error", "ename": type(exc).__name__, "evalue": str(exc)[:2000]})


def _shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    shell.display_formatter.active_types = ["text/plain"]
    return shell


def _warm_imports(preload: dict | None = None) -> None:
    """What nearly every notebook imports, loaded before any student code (and before the submission
    folder is on sys.path).

    preload (a warm sandbox's, from helpers.grader.warm.course_preload): {"modules": the modules the
    course's own cells import, "data": the data loaders they call (helpers.data.PRELOADS)}. A module
    that does not import here (a file of the assignment's folder, say) is left to the kernel.
    """
    import importlib

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401

    from .. import check, data, diagnose, expect, isolate, plots, protocol, reference, wire  # noqa: F401

    preload = preload or {}
    for name in preload.get("modules", ()):
        try:
            importlib.import_module(name)
        except Exception:      # noqa: BLE001  (not importable before the submission's folder is there)
            pass
    data.preload([n for n in preload.get("data", ()) if n in data.PRELOADS])


def _error_of(result, hidden: bool):
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return None
    notes = "".join(f"\n{n}" for n in getattr(err, "__notes__", ()) if isinstance(n, str))
    return {"ename": type(err).__name__, "evalue": (str(err) + notes)[:20000], "hidden": hidden}


def bound_names(source: str) -> set[str]:
    """Top-level names a piece of code binds (assignments, imports, defs, loop and with targets)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                names.add(node.name)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _forget_instructor_code(shell) -> None:
    """Drop cell sources from linecache and IPython's compiler cache (tracebacks then show no lines)."""
    for key in [k for k in linecache.cache if str(k).startswith("<ipython-input-")]:
        linecache.cache.pop(key, None)
    getattr(shell.compile, "_filename_map", {}).clear()


def _copy_submission() -> None:
    """Copy the submission (regular files only) from its read-only mount into the working folder."""
    src = os.environ.get("COURSE_SUBMISSION")
    if not src or not os.path.isdir(src):
        return
    for folder, dirs, files in os.walk(src):
        rel = os.path.relpath(folder, src)
        os.makedirs(os.path.join(".", rel), exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                shutil.copyfile(path, os.path.join(".", rel, name))


def _run_hidden(shell, source: str):
    """A hidden part: compiled and executed directly, so it enters no history, no linecache and no
    IPython machinery a student's cell may have patched (input and AST transformers, run_cell)."""
    try:
        code = compile(source, "<hidden test>", "exec")
        exec(code, shell.user_ns)
    except BaseException as exc:      # whatever the student's code raised, or an interrupt: this cell failed
        return {"ename": type(exc).__name__, "evalue": str(exc)[:20000], "hidden": True}
    return None


def run_test_cell(shell, cell: dict):
    """Run a test cell's parts in order, then undo what its hidden parts bound.

    The first error is the cell's (it scores nothing then); after a failing visible part the later
    hidden parts still run, so that the grader can diagnose the values they hand over.
    """
    from .. import isolate

    ns = shell.user_ns
    hidden_names = set().union(*(bound_names(s["source"]) for s in cell["segments"] if s["hidden"]))
    before = {n: ns.get(n, _MISSING) for n in hidden_names}
    error = None
    try:
        for seg in cell["segments"]:
            if error is not None and not seg["hidden"]:
                continue     # after a failure, only the hidden parts still run: the grader's diagnosis
            failed = _run_hidden(shell, seg["source"]) if seg["hidden"] else \
                _error_of(shell.run_cell(seg["source"], store_history=False), False)
            if failed is not None and error is None:
                error = failed
            if failed is not None and seg["hidden"]:
                break
    finally:
        isolate.restore()
        for name, old in before.items():
            if old is _MISSING:
                ns.pop(name, None)
            else:
                ns[name] = old
        _forget_instructor_code(shell)
    return error


def _run_cell(shell, cell: dict, kind, pristine) -> dict | None:
    if kind == "test":
        for name, value in pristine.items():
            getattr(shell, name)[:] = value
        sys.settrace(None)
        sys.setprofile(None)
        return run_test_cell(shell, cell)
    result = shell.run_cell("".join(s["source"] for s in cell["segments"]), store_history=False)
    if kind == "code":
        _forget_instructor_code(shell)
    return _error_of(result, False)


def _receive_submission(channel) -> None:
    """A warm kernel's submission: the grader's first message holds its files (relative paths, bytes)."""
    from .. import wire

    msg = channel.receive()
    if msg.get("type") != "files":
        raise SystemExit("the grader did not send the submission's files first")
    for rel, data in zip(wire.value(msg, "paths"), wire.value(msg, "data")):
        parts = [p for p in str(rel).split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            continue
        target = os.path.join(".", *parts)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with open(target, "wb") as f:
            f.write(bytes(data))


def main(warm: bool = False) -> int:
    """Run cells until the grader closes the channel. warm: forked by helpers.grader.zygote, which
    imported everything already; the submission's files then come over the channel."""
    control = os.fdopen(int(sys.argv[1]) if len(sys.argv) > 1 else 3, "wb", buffering=0)
    if not warm:
        _warm_imports()
    from .. import protocol, wire

    shell = _shell()
    channel = Channel(control, sys.stdin.buffer)
    wire.channel = channel
    if warm:
        _receive_submission(channel)
    else:
        _copy_submission()
    sys.path.append(os.getcwd())        # the student's own modules, after every module of ours
    # What a student's cell may change to skip or rewrite the tests that follow it.
    pristine = {name: list(getattr(shell, name)) for name in
                ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")}
    # An interrupt that arrives between cells (the grader gave up on a cell just as it ended) is ignored.
    signal.signal(signal.SIGINT, _on_interrupt)
    channel.send({"event": "ready"})
    while True:
        cell = channel.receive()
        if cell.get("type") != "cell":
            continue
        kind = cell.get("kind")
        protocol.current_cell = cell.get("grade_id")
        channel.send({"event": "begin", "index": cell["index"]})
        _in_cell[0] = True
        try:
            error = _run_cell(shell, cell, kind, pristine)
        except KeyboardInterrupt:
            error = {"ename": "KeyboardInterrupt", "evalue": "interrupted by the grader", "hidden": False}
        finally:
            _in_cell[0] = False
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        channel.send({"event": "end", "index": cell["index"], "error": error})


def start() -> None:
    """Entry point of ``python -I -c``: the course package's folder comes first on sys.path."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
