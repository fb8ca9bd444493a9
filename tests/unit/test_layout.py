"""The package's two rooms, proved on its source: what notebooks import never imports the grader, the
arrows between modules run one way (no cycles, counting imports inside functions), importing changes
nothing, and functions stay short.

Kernel side: ``helpers/*.py`` and ``helpers/checks/`` (what a notebook, and so a student's kernel,
imports). Grader side: ``helpers/grader/`` (never imported by a notebook). ``helpers/__main__.py`` is the
command line's door into the grader and belongs to neither room.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "helpers"
DOOR = "helpers.__main__"
MAX_LINES = 60       # lines of code, the docstring not counted
# Functions allowed over MAX_LINES, each with its reason. Keep this short: split a function rather than list it.
LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The course modules `name` imports anywhere in its source (top level and inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                base = ".".join(up[: len(up) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:          # `from helpers import check` names the module helpers.check
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):   # a package's own __init__ is not an arrow
                found.add(t)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {n: imports_of(n, p, set(mods)) for n, p in mods.items()}


def is_grader(name: str) -> bool:
    return name == "helpers.grader" or name.startswith("helpers.grader.")


def test_the_graph_sees_the_imports_it_must_see():
    g = graph()
    assert "helpers.grader.grade" in g["helpers.grader.cli"]          # inside a function
    assert "helpers.check" in g["helpers.grader.judge"]               # from .. import check
    assert "helpers.wire" in g["helpers.protocol"]                    # from . import wire
    assert DOOR in g and "helpers.grader.cli" in g[DOOR]


def test_the_kernel_side_never_imports_the_grader():
    g = graph()
    kernel = [n for n in g if not is_grader(n) and n != DOOR]
    assert {"helpers", "helpers.check", "helpers.expect", "helpers.isolate", "helpers.checks"} <= set(kernel)
    bad = {n: sorted(d for d in g[n] if is_grader(d) or d == DOOR) for n in kernel}
    assert not {n: d for n, d in bad.items() if d}, bad


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(g.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)):
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    assert find_cycle(graph()) is None, " -> ".join(find_cycle(graph()))


def test_importing_any_module_changes_nothing():
    """No import with side effects: the environment, sys.path and the working folder stay as they were."""
    names = sorted(n for n in modules() if n != DOOR)
    code = (
        "import json, os, sys, importlib\n"
        "before = (dict(os.environ), list(sys.path), os.getcwd())\n"
        f"for n in {names!r}:\n"
        "    importlib.import_module(n)\n"
        "after = (dict(os.environ), list(sys.path), os.getcwd())\n"
        "changed = [k for k in set(before[0]) | set(after[0]) if before[0].get(k) != after[0].get(k)]\n"
        "print(json.dumps({'env': changed, 'path': before[1] != after[1], 'cwd': before[2] != after[2]}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == {"env": [], "path": False, "cwd": False}


def long_functions() -> dict[str, int]:
    out = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                        isinstance(first.value.value, str):          # a docstring is not code
                    lines -= first.end_lineno - first.lineno + 1
                if lines > MAX_LINES:
                    out[f"{name}.{node.name}"] = lines
    return out


def test_no_function_over_60_lines_without_a_reason():
    found = long_functions()
    unlisted = {k: v for k, v in found.items() if k not in LONG_FUNCTIONS}
    assert not unlisted, f"functions over {MAX_LINES} lines (split them, or give a reason in LONG_FUNCTIONS): {unlisted}"
    stale = sorted(set(LONG_FUNCTIONS) - set(found))
    assert not stale, f"LONG_FUNCTIONS lists functions that are short now (remove them): {stale}"


@pytest.mark.parametrize("name", ["helpers.check", "helpers.data", "helpers.plots", "helpers.isolate",
                                  "helpers.reference", "helpers.expect"])
def test_public_names_notebooks_use_are_kept(name):
    import importlib

    module = importlib.import_module(name)
    wanted = {"helpers.check": ["assert_close", "call", "rel_error", "numerical_gradient", "diagnose", "CheckFailure"],
              "helpers.reference": ["expect", "variants"], "helpers.expect": ["expect", "variants"],
              "helpers.isolate": ["use_reference", "reference", "standing_in", "skip"],
              "helpers.data": [], "helpers.plots": []}[name]
    assert all(hasattr(module, w) for w in wanted), [w for w in wanted if not hasattr(module, w)]
    import helpers

    assert callable(helpers.grading) and callable(helpers.progress)


def test_every_test_file_has_its_own_basename():
    """pytest names test modules by basename here (no __init__.py): two alike stop collection in CI."""
    from collections import Counter

    tests = Path(__file__).resolve().parents[1]
    names = Counter(p.name for p in tests.rglob("test_*.py") if "__pycache__" not in p.parts)
    assert not [n for n, k in names.items() if k > 1], [n for n, k in names.items() if k > 1]
