"""Write nbgrader source notebooks from Python, for authors who prefer a script to the
Create Assignment toolbar. The .ipynb in source/ stays the single source of truth.

    from helpers.grader.authoring import md, code, solution, test, written, save
    save([md("# Title"), solution("sigmoid", "def sigmoid(x):\\n    ### BEGIN SOLUTION\\n ..."),
          test("correct_sigmoid", 2, "'''Sigmoid matches the reference.'''\\n...")],
         "source/02_activations_and_gradients/02_activations_and_gradients.ipynb")
"""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _nbgrader(**fields) -> dict:
    base = {"grade": False, "locked": False, "solution": False, "task": False, "schema_version": 3}
    base.update(fields)
    return {"nbgrader": base}


def md(text: str):
    """A plain markdown cell."""
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    """A plain (ungraded, editable) code cell."""
    return new_code_cell(text.strip("\n"))


def solution(grade_id: str, text: str):
    """An answer cell: the reference solution between ### BEGIN/END SOLUTION markers."""
    return new_code_cell(text.strip("\n"), metadata=_nbgrader(solution=True, grade_id=grade_id))


def test(grade_id: str, points: float, text: str):
    """A locked autograder test cell (visible part, then optional ### BEGIN HIDDEN TESTS)."""
    return new_code_cell(text.strip("\n"),
                         metadata=_nbgrader(grade=True, locked=True, points=points, grade_id=grade_id))


def written(grade_id: str, points: float, text: str = "YOUR ANSWER HERE"):
    """A manually graded written answer (markdown)."""
    return new_markdown_cell(text.strip("\n"),
                             metadata=_nbgrader(solution=True, grade=True, points=points, grade_id=grade_id))


def save(cells, path) -> None:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
