"""Lint a source notebook before it is built: what nbgrader itself does not check.

Grade ids that describe (``correct_relu_backward``, not nbgrader's ``cell-1a2b``), points on every
graded cell, a test after every answer cell, no outputs, hidden parts that import only the course's
package and numpy and read no name the visible part did not bind, and no test cell that judges
inside the kernel where the class grader could not (helpers.expect must hand values out).
"""
from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

from . import nb as nbs

GRADE_ID = re.compile(r"^[a-z][a-z0-9_]{2,}$")
AUTO_ID = re.compile(r"^cell-[0-9a-f]{8,}$")     # what nbgrader's toolbar makes up: not descriptive


def _where(path, index, cell) -> str:
    gid = nbs.meta(cell).get("grade_id")
    return f"{path.name}, cell {index}" + (f" ({gid})" if gid else "")


def kernel_judged_tests(nb) -> list[str]:
    """Test cells without a hidden `expect(...)`: the class grader can only take their kernel's word.

    Every other test cell is judged outside the sandbox on the values its hidden checks hand over,
    which a submission cannot forge. These still grade, but they are worth a hidden `expect`.
    """
    return [nbs.meta(c)["grade_id"] for c in nb.cells if nbs.is_test(c)
            and not any("expect(" in ln for ln in nbs.region_lines(c.source, *nbs.HIDDEN_MARKERS))]


HIDDEN_IMPORTS = ("helpers", "numpy")
IPYTHON_NAMES = {"get_ipython", "display", "In", "Out", "exit", "quit"}


def _names(tree) -> tuple[set[str], set[str]]:
    """(names read, names bound anywhere: assignments, imports, defs, parameters, loop targets)."""
    reads, binds = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else binds).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(node.name)
        elif isinstance(node, ast.arg):
            binds.add(node.arg)
        elif isinstance(node, ast.alias):
            binds.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            binds.add(node.name)
    return reads, binds


def _hidden_segment_problems(where: str, source: str) -> list[str]:
    """Rules for one hidden part: it runs where the student's code runs, so it holds no code to find."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"{where}: a hidden part must be complete statements on its own (it runs as one unit): {exc.msg}, "
                f"line {exc.lineno}"]
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            what = "lambda" if isinstance(node, ast.Lambda) else f"{type(node).__name__} {node.name}"
            problems.append(f"{where}: a hidden part defines {what}: reference code must live in hidden/solution.py "
                            f"(isolate.use_reference / variants), where the student's code cannot reach it")
        elif isinstance(node, ast.Assert):
            problems.append(f"{where}: a hidden part judges with `assert` inside the kernel: hand the value to expect()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr.startswith("assert_"):
            problems.append(f"{where}: a hidden part judges with {node.func.attr}() inside the kernel: hand the value "
                            f"to expect(), which the grader judges outside")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if bad := [m for m in mods if m.split(".")[0] not in HIDDEN_IMPORTS]:
                problems.append(f"{where}: a hidden part imports {', '.join(bad)}: only helpers and numpy "
                                f"(a library could compute a graded quantity for the student's code to find)")
    return problems


def test_cell_problems(path: Path, nb) -> list[str]:
    """Hidden parts hold no reference code and judge nothing in the kernel; every test cell stands alone."""
    problems, defined, by_tests = [], set(), {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = _where(path, i, cell)
        source = nbs.strip_solution_markers(cell.source) if nbs.is_solution(cell) else cell.source
        try:
            reads, binds = _names(ast.parse(source))
        except SyntaxError:
            continue           # the source notebook's execution reports it
        if not nbs.is_test(cell):
            defined |= binds
            continue
        for seg in nbs.segments({"kind": "test", "source": cell.source}):
            if seg["hidden"]:
                problems += _hidden_segment_problems(where, seg["source"])
        free = reads - binds - defined - set(dir(builtins)) - IPYTHON_NAMES
        for name in sorted(free):
            origin = by_tests.get(name)
            problems.append(f"{where}: uses {name!r}, which " + (
                f"only the earlier test cell {origin} defines: test cells must stand alone (define it here, "
                f"or in a setup cell)" if origin else "no earlier setup or answer cell defines"))
        for name in binds:
            by_tests.setdefault(name, nbs.meta(cell).get("grade_id"))
    return problems


def lint(path: Path) -> list[str]:
    """Problems of a source notebook, each naming the notebook and the cell; [] when clean."""
    nb = nbs.read(path)
    problems, seen, open_answer = [], {}, None
    for i, cell in enumerate(nb.cells):
        where, m, text = _where(path, i, cell), nbs.meta(cell), cell.source
        if cell.cell_type == "code" and cell.get("outputs"):
            problems.append(f"{where}: has stored outputs; clear them "
                            f"(jupyter nbconvert --clear-output --inplace {path})")
        if any(mk in text for mk in nbs.SOLUTION_MARKERS) and not m.get("solution"):
            problems.append(f"{where}: has a solution region but is not an nbgrader solution cell")
        if any(mk in text for mk in nbs.HIDDEN_MARKERS) and not nbs.is_test(cell):
            problems.append(f"{where}: has hidden tests but is not an autograder test cell")
        for begin, end in (nbs.SOLUTION_MARKERS, nbs.HIDDEN_MARKERS):
            if text.count(begin) != text.count(end):
                problems.append(f"{where}: unbalanced {begin!r} / {end!r}")
        if not m or not (m.get("solution") or m.get("grade") or m.get("task")):
            continue
        gid = m.get("grade_id")
        if not gid:
            problems.append(f"{where}: nbgrader cell without a grade_id")
        elif AUTO_ID.match(gid) or not GRADE_ID.match(gid):
            problems.append(f"{where}: grade_id {gid!r} is not descriptive; use lower_snake_case "
                            f"such as 'correct_relu_backward'")
        elif gid in seen:
            problems.append(f"{where}: duplicate grade_id {gid!r} (also cell {seen[gid]})")
        else:
            seen[gid] = i
        if m.get("grade") and not (isinstance(m.get("points"), (int, float)) and m["points"] > 0):
            problems.append(f"{where}: graded cell without positive points")
        if m.get("solution") and cell.cell_type == "code":
            if open_answer is not None:
                problems.append(f"{_where(path, *open_answer)}: answer cell without a test cell after it")
            if nbs.SOLUTION_MARKERS[0] not in text:
                problems.append(f"{where}: solution cell without '### BEGIN SOLUTION'")
            open_answer = (i, cell)
        elif nbs.is_test(cell):
            open_answer = None
    if open_answer is not None:
        problems.append(f"{_where(path, *open_answer)}: answer cell without a test cell after it")
    return problems + test_cell_problems(path, nb)
