"""Where things live in the course repository.

Every other module asks here instead of building paths itself, so that a notebook
executed from ``source/``, ``release/``, ``autograded/<student>/`` or ``notebooks/``
finds the same data and reference values.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
MNIST_DIR = DATA_DIR / "mnist"

# The course assignments, in teaching order. Later issues add their notebooks to
# source/<name>/; the build and the test harness pick up whichever exist.
ASSIGNMENTS = (
    "01_gradient_descent",
    "02_activations_and_gradients",
    "03_layers",
    "04_binary_mnist",
    "05_multiclass_line_search",
    "06_deep_mlp",
)

# Files that only hidden tests need (reference values, realistic mistakes) live in
# source/<assignment>/hidden/ and are never copied into release/ (see nbgrader_config.py).
HIDDEN_DIRNAME = "hidden"


def course_root() -> Path:
    """The repository root: ``$COURSE_ROOT`` if set, else the folder above this package.

    The package is installed in editable mode (``pip install -e .``), so the folder
    above it is the checkout, wherever the notebook runs from.
    """
    env = os.environ.get("COURSE_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def source_dir() -> Path:
    return course_root() / "source"


def release_dir() -> Path:
    return course_root() / "release"


def present_assignments() -> list[str]:
    """Assignments that have a source folder with a notebook, in course order."""
    return [a for a in ASSIGNMENTS if (source_dir() / a / f"{a}.ipynb").is_file()]


def unknown_assignment_error(name: str) -> ValueError:
    known = ", ".join(present_assignments()) or "(none yet)"
    return ValueError(f"unknown assignment {name!r}; known assignments: {known}")


def ensure_scripts_on_path() -> None:
    """Put this interpreter's scripts folder on PATH.

    nbgrader runs the `alembic` command by name when it opens a gradebook, so running
    `.venv/bin/python -m helpers ...` without activating the venv would otherwise fail.
    """
    import sys

    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")
