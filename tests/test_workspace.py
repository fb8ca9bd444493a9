"""The learner's path: `python -m helpers start | check | solutions`, on a scratch course.

Every test works in a temporary course folder (COURSE_ROOT) holding a copy of
source/01_gradient_descent and release/01_gradient_descent, so the real notebooks/ and
solutions/ folders are never touched.
"""
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from helpers.grader import nb as nbs
from helpers.grader import workspace as ws
from helpers.__main__ import main

REPO = Path(__file__).resolve().parents[1]
A = "01_gradient_descent"

pytestmark = pytest.mark.skipif(not (REPO / "release" / A / f"{A}.ipynb").is_file()
                                or not (REPO / "source" / A / "hidden" / "reference.npz").is_file(),
                                reason=f"{A} is not built (python -m helpers build {A})")

# A realistic mistake (from the assignment's catalogue): the derivative of cos(3x) with the wrong sign.
WRONG_GRAD_F = '''
def grad_f(x, y):
    df_dx = 2 * x + y + 2 + 3 * np.sin(3 * x)
    df_dy = 2 * y + x
    return df_dx, df_dy
'''.strip()


@pytest.fixture
def course(tmp_path, monkeypatch):
    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(REPO / part / A, root / part / A)
    (root / "notebooks").mkdir()
    monkeypatch.setenv("COURSE_ROOT", str(root))
    monkeypatch.chdir(tmp_path)
    return root


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def notebook(root):
    return root / "notebooks" / A / f"{A}.ipynb"


def reference_answers():
    src = nbs.read(REPO / "source" / A / f"{A}.ipynb")
    return {nbs.meta(c)["grade_id"]: nbs.strip_solution_markers(c.source) for c in src.cells if nbs.is_solution(c)}


def fill(path, answers):
    nb = nbs.read(path)
    for cell in nb.cells:
        gid = nbs.meta(cell).get("grade_id")
        if nbs.is_solution(cell) and gid in answers:
            cell.source = answers[gid]
    nbs.write(nb, path)


def test_every_path_is_under_the_course_root(course):
    assert ws.workspace_dir() == course / "notebooks"
    assert ws.solutions_dir() == course / "solutions"
    assert ws.released_assignments() == [A]


# ---------------------------------------------------------------------- start

def test_start_copies_the_release(course, capsys):
    code, out = run(["start"], capsys)
    assert code == 0
    assert notebook(course).read_bytes() == (course / "release" / A / f"{A}.ipynb").read_bytes()
    assert "ready" in out


def test_start_never_overwrites_work(course, capsys):
    run(["start", A], capsys)
    fill(notebook(course), {"grad_f": WRONG_GRAD_F})
    mine = notebook(course).read_bytes()
    code, out = run(["start", A], capsys)
    assert notebook(course).read_bytes() == mine
    assert "exists already" in out and f"python -m helpers start {A} --force" in out
    assert not list(notebook(course).parent.glob("*.bak-*"))


def test_start_force_backs_up_first(course, capsys):
    run(["start", A], capsys)
    fill(notebook(course), {"grad_f": WRONG_GRAD_F})
    mine = notebook(course).read_bytes()
    code, out = run(["start", A, "--force"], capsys)
    assert code == 0
    backups = list(notebook(course).parent.glob(f"{A}.ipynb.bak-*"))
    assert len(backups) == 1 and re.fullmatch(rf"{A}\.ipynb\.bak-\d{{8}}-\d{{6}}", backups[0].name)
    assert backups[0].read_bytes() == mine
    assert notebook(course).read_bytes() == (course / "release" / A / f"{A}.ipynb").read_bytes()
    assert backups[0].name in out
    run(["start", A, "--force"], capsys)            # a second --force in the same second keeps both
    assert len(list(notebook(course).parent.glob(f"{A}.ipynb.bak-*"))) == 2


def test_start_unknown_assignment_lists_the_known_ones(course, capsys):
    code, out = run(["start", "07_transformers"], capsys)
    assert code == 1
    assert "unknown assignment '07_transformers'" in out and A in out
    assert not (course / "notebooks" / "07_transformers").exists()


# ---------------------------------------------------------------------- check

def test_check_reference_gets_full_marks(course, capsys):
    run(["start", A], capsys)
    fill(notebook(course), reference_answers())
    code, out = run(["check", A], capsys)
    assert code == 0, out
    assert re.search(r"total\s+9/9", out), out
    assert "failed" not in out
    assert "Hidden tests count here" in out


def test_check_stub_lists_every_failure(course, capsys):
    run(["start", A], capsys)
    code, out = run(["check"], capsys)
    assert code == 1
    assert re.search(r"total\s+0/9", out), out
    src = nbs.read(course / "source" / A / f"{A}.ipynb")
    tests = [nbs.meta(c)["grade_id"] for c in src.cells if nbs.is_test(c)]
    for gid in tests:
        assert re.search(rf"{gid}\s+\d+/\d+\s+0/\d\s+failed", out), (gid, out)
    assert "not answered yet" in out
    # the pointer: the test cell's number in the learner's notebook and the answer above it
    assert "test cell 7 (correct_grad_f), answer cell above it: cell 6 (grad_f)" in out


def test_check_shows_the_diagnosis_of_a_mistake(course, capsys):
    run(["start", A], capsys)
    fill(notebook(course), dict(reference_answers(), grad_f=WRONG_GRAD_F))
    code, out = run(["check", str(notebook(course))], capsys)     # a path to the .ipynb works too
    assert code == 1
    assert re.search(r"correct_grad_f\s+7/26\s+0/2\s+failed", out), out
    assert "sign of the cosine's derivative is flipped" in out
    assert re.search(r"total\s+7/9", out), out                   # only grad_f's points are lost


def test_check_hides_hidden_test_code(course, capsys):
    """A failing hidden test shows its diagnosis, never its code or expected values."""
    run(["start", A], capsys)
    fill(notebook(course), dict(reference_answers(), grad_f=WRONG_GRAD_F))
    code, out = run(["check", str(notebook(course).parent)], capsys)    # a folder works too
    src = nbs.read(course / "source" / A / f"{A}.ipynb")
    hidden = [ln.strip() for c in src.cells for ln in nbs.region_lines(c.source, *nbs.HIDDEN_MARKERS)
              if len(ln.strip()) >= 12]
    assert hidden
    assert not [ln for ln in hidden if ln in out]


def test_check_invalid_json_says_where(course, capsys):
    run(["start", A], capsys)
    text = notebook(course).read_text()
    notebook(course).write_text(text[:400])
    code, out = run(["check", A], capsys)
    assert code == 1
    assert "not valid JSON" in out and re.search(r"line \d+, column \d+", out), out
    assert "--force" in out


def test_check_older_release_names_the_cells_that_differ(course, capsys):
    run(["start", A], capsys)
    fill(notebook(course), reference_answers())
    nb = json.loads((course / "release" / A / f"{A}.ipynb").read_text())
    for cell in nb["cells"]:        # the course moved on: a test changed after the learner started
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "correct_grad_f":
            cell["source"] = "".join(cell["source"]) + "\nprint('a new check')"
    (course / "release" / A / f"{A}.ipynb").write_text(json.dumps(nb))
    code, out = run(["check", A], capsys)
    assert (f"cell correct_grad_f differs from the current release: run `python -m helpers start {A} --force` "
            f"to update (your answers are kept in the backup)") in out
    assert "correct_optimize_f differs" not in out


def test_check_unknown_assignment_and_empty_workspace(course, capsys):
    code, out = run(["check", "nope"], capsys)
    assert code == 1 and "unknown assignment 'nope'" in out and A in out
    code, out = run(["check"], capsys)
    assert code == 1 and "python -m helpers start" in out
    code, out = run(["check", A], capsys)
    assert code == 1 and f"python -m helpers start {A}" in out


def test_check_without_sandbox_says_so(course, capsys, monkeypatch):
    import helpers.grader.sandbox

    monkeypatch.setattr(helpers.grader.sandbox, "sandbox_available", lambda: (False, "no bwrap in this test"))
    run(["start", A], capsys)
    fill(notebook(course), reference_answers())
    code, out = run(["check", A], capsys)
    assert code == 0, out
    assert "not sandboxed (no bwrap in this test)" in out


# ------------------------------------------------------------------ solutions

def test_solutions_yes_writes_them_without_markers_or_hidden_tests(course, capsys):
    code, out = run(["solutions", "--yes"], capsys)
    assert code == 0, out
    path = course / "solutions" / A / f"{A}.ipynb"
    nb = nbs.read(path)
    text = "\n".join(c.source for c in nb.cells)
    for marker in nbs.ALL_MARKERS:
        assert marker not in text
    assert "expect(" not in text and "helpers.reference" not in text
    assert "raise NotImplementedError" not in text
    # the reference answers are there, and the visible tests
    answers = reference_answers()
    for cell in nb.cells:
        if nbs.is_solution(cell):
            assert cell.source == answers[nbs.meta(cell)["grade_id"]]
    src = nbs.read(course / "source" / A / f"{A}.ipynb")
    assert [nbs.meta(c).get("grade_id") for c in nb.cells] == [nbs.meta(c).get("grade_id") for c in src.cells]


def test_solutions_refuse_without_a_terminal(course, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))          # piped input is not a terminal
    code, out = run(["solutions"], capsys)
    assert code == 1
    assert "--yes" in out
    assert not (course / "solutions").exists()


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("answer, written", [("y\n", True), ("n\n", False), ("\n", False)])
def test_solutions_ask_on_a_terminal(course, capsys, monkeypatch, answer, written):
    monkeypatch.setattr("sys.stdin", FakeTTY(answer))
    code, out = run(["solutions", A], capsys)
    assert (code == 0) == written
    assert (course / "solutions" / A / f"{A}.ipynb").exists() == written
    assert "[y/N]" in out
