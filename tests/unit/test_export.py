"""`python -m helpers export`: the gradebook to Canvas, Moodle and plain CSV, read back and compared.

The gradebook is built with nbgrader's own API: three students, two assignments; one student has no
submission of the second; one written answer graded by hand, one autograded cell a TA overrode."""
import csv
import io

import pytest

from helpers.grader import export


@pytest.fixture
def db(tmp_path):
    import warnings

    from sqlalchemy.exc import SAWarning

    from helpers.grader.stock import gradebook

    warnings.simplefilter("ignore", SAWarning)        # nbgrader's add_submission is noisy, not wrong
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with gradebook(url) as gb:
        for a, cells in (("a1", {"q1": 2.0, "w1": 3.0}), ("a2", {"q2": 4.0})):
            gb.update_or_create_assignment(a)
            gb.add_notebook(a, a)
            for g, pts in cells.items():
                gb.add_grade_cell(g, a, a, max_score=pts, cell_type="markdown" if g.startswith("w") else "code")
        gb.add_student("ada", first_name="Ada", last_name="Lovelace", email="ada@uni.example", lms_user_id="1001")
        gb.add_student("bob")
        gb.add_student("cy", first_name="Cy", last_name="Young, Jr.")      # a comma in a name: quoted
        gb.add_student("dee", first_name="=HYPERLINK(\"http://x\")")       # a formula: never run by a spreadsheet
        points = {("ada", "a1"): {"q1": (2.0, None), "w1": (None, 2.5)}, ("ada", "a2"): {"q2": (4.0, None)},
                  ("bob", "a1"): {"q1": (0.0, 1.0), "w1": (None, 0.0)}, ("bob", "a2"): {"q2": (1.5, None)},
                  ("cy", "a1"): {"q1": (1.0, None), "w1": (None, None)}}
        for (s, a), grades in points.items():
            gb.add_submission(a, s)
            for g, (auto, manual) in grades.items():
                grade = gb.find_grade(g, a, a, s)
                grade.auto_score, grade.manual_score = auto, manual
        gb.db.commit()
    return url


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_plain_csv_holds_auto_manual_score_and_totals(db):
    columns, rows = export.gather(db)
    assert columns == [("a1", 5.0), ("a2", 4.0)]
    table = {r[0]: r for r in _rows(export.render("csv", columns, rows))[1:]}
    header = _rows(export.render("csv", columns, rows))[0]
    got = {s: dict(zip(header, r)) for s, r in table.items()}
    assert got["ada"]["a1 auto"] == "2" and got["ada"]["a1 manual"] == "2.5" and got["ada"]["a1 score"] == "4.5"
    assert got["bob"]["a1 auto"] == "0" and got["bob"]["a1 manual"] == "1" and got["bob"]["a1 score"] == "1"
    assert got["bob"]["a2 score"] == "1.5" and got["bob"]["total"] == "2.5" and got["bob"]["max"] == "9"
    assert got["cy"]["a2 score"] == "" and got["cy"]["a2 max"] == "" and got["cy"]["total"] == "1"
    assert got["cy"]["last_name"] == "Young, Jr."


def test_canvas_file_has_its_columns_points_possible_and_empty_cells_for_missing(db):
    columns, rows = export.gather(db)
    table = _rows(export.render("canvas", columns, rows))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1", "a2"]
    assert table[1] == ["Points Possible", "", "", "", "", "5", "4"]
    assert table[2] == ["Lovelace, Ada", "1001", "", "ada", "", "4.5", "4"]
    assert table[3] == ["bob", "", "", "bob", "", "1", "1.5"]
    assert table[4] == ["Young, Jr., Cy", "", "", "cy", "", "1", ""]
    assert table[5] == ["'=HYPERLINK(\"http://x\")", "", "", "dee", "", "", ""]
    zero = _rows(export.render("canvas", columns, rows, missing_as_zero=True))
    assert zero[4][-1] == "0" and zero[5][-2:] == ["0", "0"]


def test_moodle_file_maps_by_id_number_with_one_real_column_per_assignment(db):
    columns, rows = export.gather(db)
    table = _rows(export.render("moodle", columns, rows))
    assert table[0] == ["First name", "Last name", "ID number", "Email address",
                        "Assignment: a1 (Real)", "Assignment: a2 (Real)"]
    assert table[1] == ["Ada", "Lovelace", "ada", "ada@uni.example", "4.5", "4"]
    assert table[3] == ["Cy", "Young, Jr.", "cy", "", "1", ""]


def test_every_format_round_trips_the_gradebook(db, tmp_path, monkeypatch):
    """Each file, parsed back, gives every score the gradebook gives (nbgrader's own submission.score)."""
    from nbgrader.api import MissingEntry

    from helpers.grader.stock import gradebook

    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))
    with gradebook(db) as gb:
        truth = {}
        for s in ("ada", "bob", "cy", "dee"):
            for a in ("a1", "a2"):
                try:
                    truth[(s, a)] = gb.find_submission(a, s).score
                except MissingEntry:
                    truth[(s, a)] = None
    for fmt, id_col, col in (("canvas", "SIS Login ID", "{}"), ("moodle", "ID number", "Assignment: {} (Real)"),
                             ("csv", "student_id", "{} score")):
        path = export.export(fmt, tmp_path / f"{fmt}.csv", db_url=db, out=lambda *_: None)
        back = list(csv.DictReader(path.open()))
        back = [r for r in back if r[id_col]]                    # Canvas's Points Possible row
        parsed = {(r[id_col], a): (float(r[col.format(a)]) if r[col.format(a)] else None)
                  for r in back for a in ("a1", "a2")}
        assert parsed == truth, fmt


def test_bad_requests_say_what_is_wrong(db, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))
    with pytest.raises(ValueError, match="unknown format 'blackboard'"):
        export.render("blackboard", [], [])
    with pytest.raises(ValueError, match="not in the gradebook: a9 .*it has: a1, a2"):
        export.gather(db, ["a9"])
    with pytest.raises(ValueError, match="no gradebook at .*run `python -m helpers grade` first"):
        export.export("csv", db_url=f"sqlite:///{tmp_path / 'none.db'}", out=lambda *_: None)
