"""Reading, inspecting and executing notebooks (shared by the build, the grader and the tests)."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
ALL_MARKERS = SOLUTION_MARKERS + HIDDEN_MARKERS + ("BEGIN MARK SCHEME", "END MARK SCHEME")


class NotebookError(ValueError):
    """A notebook is not valid (bad JSON, bad metadata); the message names the file and the place."""


def read(path) -> nbformat.NotebookNode:
    """Read a notebook, turning JSON errors into a message with the line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path}: not UTF-8 text ({exc})") from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    return nbformat.reads(text, as_version=4)


def write(nb, path) -> None:
    """Write a notebook atomically (a crash never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, str(tmp))
    os.replace(tmp, path)


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograder test cell: graded code that is not an answer."""
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def plan(nb) -> list[dict]:
    """The code cells of a notebook as the runner takes them: index, grade_id, kind, source."""
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kind = "test" if is_test(cell) else "answer" if is_solution(cell) else "code"
        cells.append({"index": i, "grade_id": meta(cell).get("grade_id"), "kind": kind, "source": cell.source})
    return cells


def strip_solution_markers(source: str) -> str:
    """The reference answer as a student who got it right would submit it (markers removed)."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def region_lines(source: str, begin: str, end: str) -> list[str]:
    """Lines strictly inside begin/end marker pairs."""
    inside, out = False, []
    for line in source.splitlines():
        s = line.strip()
        if s == begin:
            inside = True
        elif s == end:
            inside = False
        elif inside:
            out.append(line)
    return out


@contextlib.contextmanager
def environ(**values):
    """Temporarily set (or with None, unset) environment variables, for a kernel started inside."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(nb, cwd, timeout=300, env=None, allow_errors=False):
    """Execute a notebook in a fresh python3 kernel with `cwd` as working directory.

    Returns the executed notebook. Raises nbclient's CellExecutionError (with the cell's
    traceback) on the first error unless allow_errors.
    """
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd)}})
    with environ(MPLBACKEND="Agg", **(env or {})):
        client.execute()
    return nb
