"""Attacks shared by the red-team tests: answers written by a student who knows the public sources."""
import ast

from helpers.grader import submissions as autograde
from helpers.grader import nb as nbs


def scanner(name):
    """An answer that calls every function it can find outside the answer cells: globals, its callers'
    frames, gc, sys.modules, and a reference stand-in asked for by name."""
    return f"""def {name}(*args, **kwargs):
    import gc, sys, types
    from helpers import isolate
    found, seen = [], set()
    def add(obj):
        if isinstance(obj, types.FunctionType) and id(obj) not in seen and not getattr(obj, "_scanner", False):
            seen.add(id(obj))
            found.append(obj)
    for value in list(globals().values()):
        add(value)
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            add(value)
        frame = frame.f_back
    for obj in gc.get_objects():
        add(obj)
    for module in list(sys.modules.values()):
        if "solution" in getattr(module, "__name__", ""):
            for value in vars(module).values():
                add(value)
    mine = [f for f in found if f.__module__ in ("__main__", "helpers.isolate", "helpers.reference")
            or "solution" in str(f.__module__)]
    try:
        mine.append(isolate.reference("{name}"))
    except BaseException:
        pass
    import signal, time
    if getattr(sys, "_scanning", False):     # a scanner called by a scanner: one level is enough
        return None
    sys._scanning = True
    def _late(*_):
        raise TimeoutError
    previous = signal.signal(signal.SIGALRM, _late)
    give_up = time.monotonic() + 3          # a patient attacker would only be slower, not luckier
    try:
        for fn in mine:
            if time.monotonic() > give_up:
                break
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.5)
                out = fn(*args, **kwargs)
            except BaseException:
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if out is not None:
                return out
    finally:
        signal.signal(signal.SIGALRM, previous)
        sys._scanning = False
    return None
{name}._scanner = True"""


def scanner_class(name, methods):
    """A class whose every method is a scanner (for answer cells that define layer classes)."""
    body = [f"class {name}:", "    def __init__(self, *args, **kwargs):", "        pass"]
    for m in methods:
        if m == "__init__":
            continue
        body += ["    " + line for line in scanner(m).splitlines()[:-1]]
    return "\n".join(body)


PATCHER = """import numpy as np, helpers.check, helpers.reference, helpers.isolate
for _module in (helpers.check, helpers.reference, helpers.isolate):
    for _attr in dir(_module):
        if not _attr.startswith("_") and _attr[0].islower() and callable(getattr(_module, _attr)):
            setattr(_module, _attr, lambda *a, **k: None)
np.testing.assert_allclose = lambda *a, **k: None
"""


def _answer_names(source):
    """Top-level functions and classes (with their methods) an answer cell defines."""
    tree = ast.parse(nbs.strip_solution_markers(source))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, None))
        elif isinstance(node, ast.ClassDef):
            out.append((node.name, [n.name for n in node.body if isinstance(n, ast.FunctionDef)]))
    return out


def scanning_submission(assignment):
    """Every answer cell replaced by scanners with the reference's names: it must earn nothing."""
    nb = autograde.reference_submission(assignment)
    for cell in nb.cells:
        if nbs.is_solution(cell) and cell.cell_type == "code":
            parts = [scanner(n) if methods is None else scanner_class(n, methods)
                     for n, methods in _answer_names(cell.source)]
            cell.source = "\n\n".join(parts) or "pass"
    return nb


def crashing_submission(assignment, answer_id):
    """The reference solution with os._exit(1) at the end of one answer cell."""
    nb = autograde.reference_submission(assignment)
    for cell in nb.cells:
        if nbs.is_solution(cell) and nbs.meta(cell).get("grade_id") == answer_id:
            cell.source += "\nimport os\nos._exit(1)"
    return nb


def patching(nb):
    """A submission whose first answer cell first no-ops every public function of helpers.check,
    helpers.reference and helpers.isolate (and numpy's assert_allclose)."""
    for cell in nb.cells:
        if nbs.is_solution(cell) and cell.cell_type == "code":
            cell.source = PATCHER + cell.source
            break
    return nb
