"""Judge one function alone: stand-ins for the functions it depends on, with no reference code in the kernel.

A hidden test of ``compute_grad_loss`` should not fail because the student's earlier
``softmax_cross_entropy`` is wrong: that mistake already costs its own test. The test therefore
rebinds the dependency, for the rest of its cell, to a *stand-in* that gives the reference
answer::

    ### BEGIN HIDDEN TESTS
    from helpers import isolate
    isolate.use_reference("softmax_cross_entropy")
    ### END HIDDEN TESTS

The reference functions live in ``source/<assignment>/hidden/solution.py``, which never enters a
release or a sandbox. Where the stand-in runs depends on who executes the notebook:

- the build (recording reference values) and stock nbgrader (the instructor's own kernel):
  the function from ``solution.py`` is called directly;
- the class grader (helpers.grader.runner in a sandbox): the stand-in is a proxy that sends its
  arguments to the grader, which runs the reference function *outside* the sandbox and sends
  back the result (callable arguments, such as a loss function given to a line search, are
  called back in the kernel). The grader answers only for the names that the test cell being
  executed declares, so a stand-in kept for later earns nothing.

:func:`reference` gives the same kind of stand-in without rebinding a name, for hidden inputs
that are functions (the objective given to a student's numerical gradient, say).
Every rebinding is undone when the test cell ends (by helpers.grader.runner, or by an IPython hook).
"""
from __future__ import annotations

import importlib.util
import sys

from . import protocol, wire
from .paths import hidden_dir
from .protocol import Mode, ReferenceValuesError

SOLUTION_FILE = "solution.py"

_saved: list[tuple[dict, str, object]] = []     # (namespace, name, previous value or _MISSING)
_MISSING = object()
_modules: dict[str, object] = {}
_hooked = False


def _solution_module():
    """source/<assignment>/hidden/solution.py, imported once (record and compare modes only)."""
    assignment = protocol.current_assignment()
    if assignment not in _modules:
        path = hidden_dir(assignment) / SOLUTION_FILE
        if not path.is_file():
            raise ReferenceValuesError(f"no reference stand-ins for {assignment!r} at {path}: hidden tests that "
                                       f"isolate a function need it (only the instructor's source/ has it).")
        spec = importlib.util.spec_from_file_location(f"_course_solution_{assignment}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[assignment] = module
    return _modules[assignment]


def reference(name: str):
    """A stand-in callable for the reference function `name` (see the module docstring)."""
    if protocol.mode() is Mode.SUBMIT:
        def stand_in(*args, **kwargs):
            return wire.channel.call(name, args, kwargs)
        stand_in.__name__ = stand_in.__qualname__ = name
        return stand_in
    module = _solution_module()
    if not hasattr(module, name):
        raise ReferenceValuesError(f"{SOLUTION_FILE} of {module.__name__} has no function {name!r}")
    return getattr(module, name)


def use_reference(*names: str) -> None:
    """Rebind the notebook's functions `names` to reference stand-ins until this test cell ends."""
    namespace = sys._getframe(1).f_globals
    for name in names:
        _saved.append((namespace, name, namespace.get(name, _MISSING)))
        namespace[name] = reference(name)
    if wire.channel is None:     # helpers.grader.runner restores after every test cell itself
        _restore_after_cell()


def restore() -> None:
    """Undo every rebinding of :func:`use_reference`, latest first."""
    while _saved:
        namespace, name, old = _saved.pop()
        if old is _MISSING:
            namespace.pop(name, None)
        else:
            namespace[name] = old


def _restore_after_cell() -> None:
    """Outside the class grader (ipykernel, nbgrader): an IPython hook restores after the cell."""
    global _hooked
    from IPython import get_ipython

    ip = get_ipython()
    if ip is not None and not _hooked:
        ip.events.register("post_run_cell", lambda *_: restore())
        _hooked = True


# ------------------------------------------------------------------ visible tests

class _StandingIn:
    """Rebinds names in one namespace for the span of a ``with`` block (see :func:`standing_in`)."""

    def __init__(self, namespace: dict, replacements: dict):
        self.namespace, self.replacements = namespace, replacements
        self.saved: list[tuple[str, object]] = []

    def __enter__(self):
        for name, value in self.replacements.items():
            self.saved.append((name, self.namespace.get(name, _MISSING)))
            self.namespace[name] = value
        return self

    def __exit__(self, *exc) -> bool:
        while self.saved:
            name, old = self.saved.pop()
            if old is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = old
        return False


def _namespace_of(within) -> dict:
    """The globals a function looks its dependencies up in (through methods, functools and np.vectorize)."""
    if isinstance(within, dict):
        return within
    for attr in ("__wrapped__", "__func__", "pyfunc", "func"):      # the function inside a wrapper
        if (inner := getattr(within, attr, None)) is not None:
            return _namespace_of(inner)
    if isinstance(getattr(within, "__globals__", None), dict):
        return within.__globals__
    raise TypeError(f"cannot stand in for the functions {type(within).__name__} calls: write it as a plain "
                    f"function (def), as the stub does")


def standing_in(*objects, within=None, **replacements) -> _StandingIn:
    """Rebind the notebook's functions to stand-ins for a ``with`` block, then give them back.

    The one way a *visible* test judges a function alone: the functions it calls are replaced by
    simple, known-correct stand-ins (your other functions have tests of their own), and restored
    when the block ends, even when the test fails::

        with isolate.standing_in(softmax=scipy.special.softmax):
            check.assert_close(softmax_cross_entropy(Z, y)[0], 2.30, "loss")

    An object given positionally contributes its attributes named in its ``NAMES`` tuple (a class
    of stand-ins that share state, e.g. a log of the minibatches a training loop used).

    The names are rebound where the caller looks them up: in the caller's globals (a test cell), or,
    from a check in ``helpers.checks``, in ``within``: the student's function (its notebook's globals)
    or a namespace dict.
    """
    namespace = sys._getframe(1).f_globals if within is None else _namespace_of(within)
    for obj in objects:
        for name in getattr(obj, "NAMES", ()):
            replacements.setdefault(name, getattr(obj, name))
    return _StandingIn(namespace, replacements)


class Skipped(AssertionError):
    """A visible test that could not judge yet; it fails (no points) and says what to do first."""


def skip(reason: str) -> None:
    """Stop this test with a visible "skipped" result: it fails, and says why and what to do first.

    A test that cannot judge (say, its function still raises NotImplementedError) must not pass: a
    passing visible test promises the points that grading then takes away.
    """
    raise Skipped(f"Skipped: {reason}")
