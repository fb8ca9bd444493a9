"""A one-function course for the grader's own tests (test_trust, test_warm): `double`, one hidden check."""
import contextlib
import os
from pathlib import Path

from helpers.grader import authoring as au
from helpers.grader import nb as nbs

REPO = Path(__file__).resolve().parents[1]
A = "01_gradient_descent"
SOURCE = [
    au.md("# Tiny"),
    au.code("import numpy as np"),
    au.solution("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2.0 * x\n    ### END SOLUTION"),
    au.test("correct_double", 2, '"""double doubles."""\n'
            "### BEGIN HIDDEN TESTS\nfrom helpers.reference import expect\n"
            "expect('double/range', double(np.arange(5.0)), name='double on a hidden range')\n### END HIDDEN TESTS"),
]
GOOD = "def double(x):\n    return 2.0 * x"


@contextlib.contextmanager
def tiny_course(tmp_path_factory, name: str):
    """A scratch course with the tiny assignment built; COURSE_ROOT points at it while it is used."""
    from helpers.grader import build

    root = tmp_path_factory.mktemp(name)
    (root / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    (root / "source" / A).mkdir(parents=True)
    au.save(SOURCE, root / "source" / A / f"{A}.ipynb")
    old = os.environ.get("COURSE_ROOT")
    os.environ["COURSE_ROOT"] = str(root)
    try:
        build.build([A], out=lambda *_: None)
        yield root
    finally:
        if old is None:
            os.environ.pop("COURSE_ROOT", None)
        else:
            os.environ["COURSE_ROOT"] = old


def answer_notebook(root: Path, code: str) -> str:
    """The release notebook's JSON with `code` in its answer cell."""
    import nbformat

    release = nbs.read(root / "release" / A / f"{A}.ipynb")
    for cell in release.cells:
        if nbs.is_solution(cell):
            cell.source = code
    return nbformat.writes(release)


def hand_in(root: Path, student: str, code: str) -> None:
    """submitted/<student>/<A>/ holding the release with `code` in its answer cell."""
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{A}.ipynb.tmp"           # whole or not at all, as a copy that settles
    tmp.write_text(answer_notebook(root, code))
    os.replace(tmp, folder / f"{A}.ipynb")


@contextlib.contextmanager
def sandboxed_course(tmp_path_factory, name: str):
    """tiny_course, failing first (not skipping) where the grading sandbox cannot start."""
    import pytest

    from helpers.grader.sandbox import sandbox_available

    ok, why = sandbox_available()
    if not ok:
        pytest.fail(f"the grading sandbox does not start on this machine: {why}")
    with tiny_course(tmp_path_factory, name) as root:
        yield root
