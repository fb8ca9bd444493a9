"""Executes a notebook's cells one at a time for the class grader (inside the sandbox).

Protocol, one JSON object per line:
- stdin (from the grader): {"index": i, "grade_id": "...", "kind": "test"|"answer"|"code", "source": "..."}
- the control fd (argv[1], to the grader):    {"event": "begin"|"end", "index": i, "error": null|{"ename", "evalue"}}
- stdout/stderr:           whatever the cell prints, streamed to the grader, which counts the bytes

The grader sends a cell only after the previous one ended, so code in one cell never sees the
source of a later (hidden) test cell. Nothing this process says is trusted for scores: a test
cell earns points only when the values its hidden checks recorded match the reference values,
which the grader compares outside the sandbox.
"""
from __future__ import annotations

import json
import os
import sys


def _shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    shell.display_formatter.active_types = ["text/plain"]
    return shell


def _error_of(result):
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return None
    return {"ename": type(err).__name__, "evalue": str(err)[:20000]}


def main() -> int:
    control = os.fdopen(int(sys.argv[1]) if len(sys.argv) > 1 else 3, "w", buffering=1)
    from . import reference

    shell = _shell()
    # What a student's cell may change to skip or rewrite the tests that follow it.
    pristine = {name: list(getattr(shell, name)) for name in
                ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")}
    for line in sys.stdin:
        cell = json.loads(line)
        if cell["kind"] == "test":
            for name, value in pristine.items():
                getattr(shell, name)[:] = value
            sys.settrace(None)
            sys.setprofile(None)
        reference.current_cell = cell.get("grade_id")
        control.write(json.dumps({"event": "begin", "index": cell["index"]}) + "\n")
        result = shell.run_cell(cell["source"], store_history=True)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        control.write(json.dumps({"event": "end", "index": cell["index"], "error": _error_of(result)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
