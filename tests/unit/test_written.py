"""Written answers (graded by hand) are counted and shown: check's table, the feedback page and the
class report list each with its points, and say whether it still holds the stub text."""
import csv
import re
from pathlib import Path

from helpers.grader import submissions
from helpers.grader import nb as nbs
from helpers.grader.grade import unanswered_written
from helpers.grader.results import Outcome, TestVerdict
from helpers.grader.feedback import _summary
from helpers.grader.report import write_csv, write_html
from helpers.grader.workspace import print_table

A = "03_layers"
REPO = Path(__file__).resolve().parents[2]


def _manual(nb):
    return {nbs.meta(c)["grade_id"]: float(nbs.meta(c)["points"]) for c in nb.cells
            if nbs.meta(c).get("grade") and nbs.is_solution(c)}


def test_stub_text_and_answers_are_told_apart():
    release = submissions.release_submission(A)
    manual = _manual(release)
    assert manual, f"{A} has written answers"
    assert unanswered_written(release, manual) == list(manual)
    answered = submissions.reference_submission(A)
    assert unanswered_written(answered, manual) == []
    first = next(iter(manual))
    for cell in answered.cells:                       # an emptied cell counts as not answered too
        if nbs.meta(cell).get("grade_id") == first:
            cell.source = "   \n"
    assert unanswered_written(answered, manual) == [first]


def _outcome():
    return Outcome("ada", A, tests=[TestVerdict("correct_linear", 2.0, 2.0, "passed")],
                   manual={"written_a": 2.0, "written_b": 4.0}, unanswered=["written_b"])


def test_check_table_lists_written_answers_and_says_which_are_blank():
    lines = []
    nb = submissions.release_submission(A)
    print_table(_outcome(), nb, REPO / "notebooks" / A / f"{A}.ipynb", out=lines.append)
    text = "\n".join(lines)
    assert re.search(r"total\s+2/2\s+\(autograded\)", text), text
    assert "written answers, graded by hand (6 more points)" in text
    assert [ln for ln in lines if "written_b" in ln and "NOT ANSWERED" in ln]
    assert [ln for ln in lines if "written_a" in ln and "answered (graded by your instructor)" in ln]


def test_feedback_and_report_count_written_answers(tmp_path):
    summary = _summary(_outcome())
    assert "written answers graded by hand: **6** points (1 not answered)" in summary
    assert "| `written_b` (written) | – / 4 | graded by hand | not answered: still YOUR ANSWER HERE |" in summary
    record = {"student": "ada", "assignment": A, "status": "graded", "detail": "", "seconds": 1.0,
              "tests": [{"grade_id": "correct_linear", "points": 2.0, "max_points": 2.0, "status": "passed",
                         "message": ""}],
              "manual": {"written_a": 2.0, "written_b": 4.0}, "unanswered": ["written_b"]}
    record = Outcome.from_dict(record)         # as `report` reads the state file
    write_csv([record], tmp_path / "r.csv")
    row = next(csv.DictReader(open(tmp_path / "r.csv")))
    assert row["written_points"] == "6" and row["written_unanswered"] == "written_b"
    write_html([record], tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "written answers to grade: written_a" in page
    assert "written answers NOT answered (still the stub): written_b" in page


def test_one_submission_holds_one_mistake_per_cell():
    """with_mistakes refuses two mistakes in one answer cell (the later would silently replace the earlier)."""
    import pytest

    mistakes = submissions.load_mistakes(A)
    cell = mistakes[0].cell
    same = [m for m in mistakes if m.cell == cell][:2]
    assert len(same) == 2, f"{A} catalogues two mistakes in {cell}"
    with pytest.raises(ValueError, match="one mistake per cell"):
        submissions.with_mistakes(A, same)


def test_the_demo_class_holds_the_mistakes_it_claims():
    from helpers.grader.demo import demo_class

    subs = demo_class(A)
    ref = {nbs.meta(c)["grade_id"]: c.source for c in submissions.reference_submission(A).cells if nbs.is_solution(c)}
    cells = {m.cell for m in submissions.load_mistakes(A)}
    for student in ("carl", "dora"):
        changed = {nbs.meta(c)["grade_id"] for c in subs[student].cells
                   if nbs.is_solution(c) and c.source != ref[nbs.meta(c)["grade_id"]]}
        assert changed and changed <= cells, (student, changed)
    carl = {nbs.meta(c)["grade_id"] for c in subs["carl"].cells
            if nbs.is_solution(c) and c.source != ref[nbs.meta(c)["grade_id"]]}
    assert carl == cells, "carl holds one mistake in every answer cell the catalogue covers"
