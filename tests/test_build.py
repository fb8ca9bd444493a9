"""The build pipeline: linting source notebooks, verifying releases, all-or-nothing writes."""
import shutil
from pathlib import Path

import pytest

from helpers.grader import authoring as au
from helpers.grader import build as b
from helpers.grader import nb as nbs
from helpers.paths import present_assignments

REPO = Path(__file__).resolve().parents[1]

GOOD = [
    au.md("# Tiny"),
    au.code("import numpy as np"),
    au.solution("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    au.test("correct_double", 1, "'''double doubles.'''\nassert double(2) == 4\n"
            "### BEGIN HIDDEN TESTS\nfrom helpers.reference import expect\n"
            "expect('double/neg', double(-3.5), name='double of a hidden number')\n### END HIDDEN TESTS"),
]


def _hidden(code):
    """A mutation: the test cell's hidden part replaced by `code`."""
    def mutate(cells):
        cells[3].source = f'"""double doubles."""\nx0 = 1.0\n### BEGIN HIDDEN TESTS\n{code}\n### END HIDDEN TESTS'
    return mutate


def _second_test(code):
    """A mutation: a second answer and test cell whose test runs `code`."""
    def mutate(cells):
        cells.append(au.solution("triple", "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n"
                                 "    ### END SOLUTION"))
        cells.append(au.test("correct_triple", 1, code))
    return mutate


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A scratch course with one tiny assignment, used as COURSE_ROOT."""
    shutil.copy2(REPO / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    (tmp_path / "source" / "01_gradient_descent").mkdir(parents=True)
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))
    return tmp_path


def write(course, cells):
    path = course / "source" / "01_gradient_descent" / "01_gradient_descent.ipynb"
    au.save(cells, path)
    return path


def test_clean_notebook_lints_clean(course):
    assert b.lint(write(course, GOOD)) == []


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c[3].metadata["nbgrader"].pop("grade_id"), "without a grade_id"),
    (lambda c: c[3].metadata["nbgrader"].update(grade_id="double"), "duplicate grade_id 'double'"),
    (lambda c: c[3].metadata["nbgrader"].update(grade_id="cell-8f3a9b2c1d4e5f60"), "not descriptive"),
    (lambda c: c[3].metadata["nbgrader"].update(points=0), "without positive points"),
    (lambda c: c.pop(3), "cell 2 (double): answer cell without a test cell"),
    (lambda c: c[1].outputs.append(nbs.nbformat.v4.new_output("stream", name="stdout", text="x")), "stored outputs"),
    (lambda c: c[1].update(source="### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "not an nbgrader solution cell"),
    (lambda c: c[2].update(source="def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x"), "unbalanced"),
    # hidden parts hold no reference code and judge nothing in the kernel; test cells stand alone
    (_hidden("def _ok(x):\n    return 2 * x"), "hidden part defines FunctionDef _ok"),
    (_hidden("_ok = lambda x: 2 * x"), "hidden part defines lambda"),
    (_hidden("class _Ref:\n    pass"), "hidden part defines ClassDef _Ref"),
    (_hidden("from helpers import check\ncheck.assert_true(double(1) == 2, 'no')"), "assert_true() inside the kernel"),
    (_hidden("assert double(1) == 2"), "with `assert` inside the kernel"),
    (_hidden("from scipy.special import expit"), "imports scipy.special"),
    (lambda c: c[3].update(source='"""d"""\nfor v in (1.0, 2.0):\n    ### BEGIN HIDDEN TESTS\n    v = v + 1\n'
                                   '    ### END HIDDEN TESTS'), "must be complete statements"),
    (lambda c: (_hidden("pass")(c), _second_test('"""t"""\nassert triple(x0) == 3')(c)),
     "uses 'x0', which only the earlier test cell correct_double"),
    (_second_test('"""t"""\nassert triple(undefined_thing) == 3'), "uses 'undefined_thing', which no earlier"),
])
def test_lint_names_notebook_cell_and_problem(course, mutate, message):
    cells = [nbs.nbformat.from_dict(dict(c)) for c in GOOD]
    mutate(cells)
    problems = b.lint(write(course, cells))
    assert any(message in p and "01_gradient_descent.ipynb" in p for p in problems), problems


def test_invalid_json_is_reported_with_position(course):
    path = write(course, GOOD)
    path.write_text(path.read_text()[:200])
    with pytest.raises(nbs.NotebookError, match="not valid JSON \\(line"):
        b.lint(path)


def test_build_writes_release_and_a_failed_build_keeps_it(course):
    write(course, GOOD)
    b.build(out=lambda *_: None)
    release = course / "release" / "01_gradient_descent" / "01_gradient_descent.ipynb"
    text = release.read_text()
    assert "raise NotImplementedError" in text and "return 2 * x" not in text
    assert "double(-3.5)" not in text
    assert not (course / "release" / "01_gradient_descent" / "hidden").exists()

    bad = [nbs.nbformat.from_dict(dict(c)) for c in GOOD]
    bad[3].metadata["nbgrader"]["grade_id"] = "double"
    write(course, bad)
    with pytest.raises(b.BuildError, match="duplicate grade_id"):
        b.build(out=lambda *_: None)
    assert release.read_text() == text


def test_check_mode_detects_a_stale_release(course):
    write(course, GOOD)
    b.build(out=lambda *_: None)
    b.build(check_only=True, out=lambda *_: None)
    changed = [nbs.nbformat.from_dict(dict(c)) for c in GOOD]
    changed[0].source = "# Tiny, now with a better title"
    write(course, changed)
    with pytest.raises(b.BuildError, match="out of date"):
        b.build(check_only=True, out=lambda *_: None)


def test_verify_release_catches_leaks_and_stray_files(course, tmp_path_factory):
    write(course, GOOD)
    (course / "source" / "01_gradient_descent" / "hidden").mkdir()
    (course / "source" / "01_gradient_descent" / "hidden" / "reference.npz").write_bytes(b"x")
    fake = tmp_path_factory.mktemp("release")
    leaky = [nbs.nbformat.from_dict(dict(c)) for c in GOOD]   # solution text left in
    au.save(leaky, fake / "01_gradient_descent.ipynb")
    (fake / "hidden").mkdir()
    (fake / "hidden" / "reference.npz").write_bytes(b"x")
    problems = "\n".join(b.verify_release("01_gradient_descent", fake))
    assert "not meant for students" in problems and "hidden/reference.npz" in problems
    assert "nbgrader markers left" in problems
    assert "solution or hidden-test text" in problems and "return 2 * x" in problems


def test_unknown_assignment_lists_known_ones(course):
    write(course, GOOD)
    with pytest.raises(ValueError, match="unknown assignment '07_gans'.*01_gradient_descent"):
        b.build(["07_gans"], out=lambda *_: None)


def test_committed_release_is_up_to_date_with_source():
    """release/ must be regenerated (`python -m helpers build`) whenever source/ changes."""
    assert present_assignments(), "no assignment in source/"
    b.build(check_only=True, out=lambda *_: None)
