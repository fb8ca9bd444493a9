"""Reading, inspecting and executing notebooks (shared by the build, the grader and the tests)."""
from __future__ import annotations

import ast
import contextlib
import json
import os
import stat
import sys
import threading
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
    return reads(text, path)


def reads(text: str, where) -> nbformat.NotebookNode:
    """A notebook from its JSON text; `where` names it in errors. Checks the nbgrader metadata's types."""
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, RecursionError):
            raise NotebookError(f"{where}: nested too deeply to be a notebook") from None
        raise NotebookError(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    nb = nbformat.reads(text, as_version=4)
    for i, cell in enumerate(nb.cells):
        m = cell.get("metadata", {}).get("nbgrader")
        if m is None:
            continue
        if not isinstance(m, dict) or not all(isinstance(m.get(k), (str, type(None))) for k in ("grade_id",)) \
                or not isinstance(cell.get("source", ""), str):
            raise NotebookError(f"{where}, cell {i}: malformed nbgrader metadata (a grade_id must be a string)")
    return nb


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


def read_regular(path: Path, limit: int) -> bytes:
    """A file's bytes, refusing links, FIFOs and devices (O_NOFOLLOW, fstat) and files over `limit`."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if st.st_size > limit:
            raise OSError(f"{path.name} is larger than {limit // 2**20} MiB")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:
                raise OSError(f"{path.name} is larger than {limit // 2**20} MiB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def answers_of(student_nb, source_nb) -> tuple[dict[str, str], str]:
    """{answer grade_id: student's code} and a warning ('' if none).

    Cells are matched by grade id. When every nbgrader mark was stripped but the notebook still
    has the source's number of code cells, answers are matched by position (and the warning says so).
    """
    answers = {meta(c).get("grade_id"): c.source for c in student_nb.cells
               if is_solution(c) and c.cell_type == "code" and meta(c).get("grade_id")}
    if answers or any(meta(c) for c in student_nb.cells):
        return answers, ""
    src_code = [c for c in source_nb.cells if c.cell_type == "code"]
    stu_code = [c for c in student_nb.cells if c.cell_type == "code"]
    if len(src_code) != len(stu_code):
        return {}, "the notebook lost its nbgrader marks and its cells no longer line up with the assignment"
    return ({meta(s).get("grade_id"): t.source for s, t in zip(src_code, stu_code) if is_solution(s)},
            "the notebook lost its nbgrader marks; answers were matched by position")


def segments(cell: dict) -> list[dict]:
    """A test cell's source split into visible and hidden parts (markers removed)."""
    if cell["kind"] != "test":
        return [{"hidden": False, "source": cell["source"]}]
    parts, current, hidden = [], [], False
    for line in cell["source"].splitlines():
        s = line.strip()
        if s in HIDDEN_MARKERS:
            if current:
                parts.append({"hidden": hidden, "source": "\n".join(current)})
            current, hidden = [], s == HIDDEN_MARKERS[0]
            continue
        current.append(line)
    if current:
        parts.append({"hidden": hidden, "source": "\n".join(current)})
    return [p for p in parts if p["source"].strip()] or [{"hidden": False, "source": "pass"}]


# CPython 3.11's ast.parse is not safe in concurrent threads ("SystemError: AST constructor recursion
# depth mismatch": the AST-to-object conversion keeps its depth in per-interpreter state, so one
# thread's parse can see another's). Seen when two notebooks were graded at once, and again on a Dask
# worker's two threads with the grader's own parses already locked: the other parse was a library's
# (numpy's np.load reads .npy headers with ast.literal_eval; traitlets and dask's config use it too).
# So the grader serializes every parse of its process: guard_ast() wraps ast.parse, which
# ast.literal_eval calls, in one lock (3.12 fixed the race; nothing is wrapped there).
_AST_LOCK = threading.RLock()
_AST_PARSE = ast.parse


def _locked_parse(*args, **kwargs):
    with _AST_LOCK:
        return _AST_PARSE(*args, **kwargs)


def guard_ast() -> None:
    """From now on, this process parses Python one thread at a time (CPython < 3.12; idempotent)."""
    if sys.version_info < (3, 12) and ast.parse is not _locked_parse:
        ast.parse = _locked_parse


def parse_python(source: str) -> ast.Module:
    """ast.parse, one thread at a time (raises SyntaxError as ast.parse does)."""
    with _AST_LOCK:
        return _AST_PARSE(source)
