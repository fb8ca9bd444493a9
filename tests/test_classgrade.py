"""The class grader against a red-team corpus.

One scratch course with a tiny assignment (two functions, 2 + 3 points); a class of honest,
partly wrong, broken and malicious submissions graded in one run, in the sandbox. For every
attack: the attacker gets no points it did not earn, honest students get exactly their scores,
the config and sources are unchanged (hashed before and after), the gradebook holds exactly
the scores the grader computed, and every notebook ends with a status.
"""
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from helpers import authoring as au
from helpers import notebooks as nbs
from helpers.sandbox import Limits, sandbox_available

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("classgrade")    # one worker grades the whole class once
A = "01_gradient_descent"          # the tiny assignment borrows the first assignment's name

SOURCE = [
    au.md("# Tiny assignment"),
    au.code("import numpy as np\nfrom helpers.reference import expect"),
    au.solution("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2.0 * x\n    ### END SOLUTION"),
    au.test("correct_double", 2, "'''double doubles arrays.'''\n"
            "np.testing.assert_allclose(double(np.array([1.0, 2.0])), [2.0, 4.0])\n"
            "### BEGIN HIDDEN TESTS\nexpect('double/range', double(np.arange(5.0)), name='double(range)')\n"
            "### END HIDDEN TESTS"),
    au.solution("square", "def square(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION"),
    au.test("correct_square", 3, "'''square squares.'''\n"
            "### BEGIN HIDDEN TESTS\nexpect('square/grid', square(np.linspace(-2, 2, 7)), name='square(grid)')\n"
            "### END HIDDEN TESTS"),
    au.written("why_square", 1, "Because."),
]

GOOD_DOUBLE = "def double(x):\n    return 2.0 * x"
GOOD_SQUARE = "def square(x):\n    return x ** 2"
BAD_SQUARE = "def square(x):\n    return x ** 3"

# name: (answers {grade_id: code}, expected score, expected status)
CLASS = {
    "honest": ({"double": GOOD_DOUBLE, "square": GOOD_SQUARE}, 5, "graded"),
    "partial": ({"double": GOOD_DOUBLE, "square": BAD_SQUARE}, 2, "graded"),
    "untouched": ({}, 0, "graded"),
    "gradebook_writer": ({"double": GOOD_DOUBLE, "square": BAD_SQUARE + "\nimport glob, os\n"
                          "for p in [q for top in ('/home', '/work', '/tmp', '/results', '/root') for q in glob.glob(top + '/**/gradebook.db', recursive=True)] + ['../../../gradebook.db']:\n"
                          "    try:\n        open(p, 'w').write('pwned')\n    except OSError:\n        pass"}, 2, "graded"),
    "config_editor": ({"double": GOOD_DOUBLE + "\nfor p in ['../../../nbgrader_config.py', '/work/main/nbgrader_config.py']:\n"
                       "    try:\n        open(p, 'a').write('\\nc.X = 1')\n    except OSError:\n        pass"}, 2, "graded"),
    "source_reader": ({"double": "import os, glob\nleak = [p for p in ('../../../source', '../../source', "
                       "'/work/main/source', '/work/main/nbgrader_config.py') if os.path.exists(p)]\n"
                       "leak += [q for top in ('/home', '/work', '/tmp', '/root') "
                       "for q in glob.glob(top + '/**/reference.npz', recursive=True)]\n"
                       "print('LEAK', leak, dict(os.environ))\nassert not leak, leak\n" + GOOD_DOUBLE}, 2, "graded"),
    "always_equal": ({"double": "class Yes:\n    def __eq__(self, other):\n        return True\n"
                      "    __array_priority__ = 1000\ndef double(x):\n    return Yes()",
                      "square": "def square(x):\n    return [v * v for v in x]"}, 0, "graded"),
    "assert_noop": ({"double": "import numpy as np, helpers.check, helpers.reference\n"
                     "np.testing.assert_allclose = lambda *a, **k: None\n"
                     "helpers.reference.expect = lambda *a, **k: None\n"
                     "def double(x):\n    return x", "square": "def square(x):\n    return x"}, 0, "graded"),
    "transformer": ({"double": "def double(x):\n    return x\n"
                     "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
                     "get_ipython().ast_transformers.clear()",
                     "square": "def square(x):\n    return x"}, 0, "graded"),
    "daemon": ({"double": GOOD_DOUBLE + "\nimport subprocess, sys\n"
                "subprocess.Popen([sys.executable, '-c', 'import time, glob\\ntime.sleep(4)\\n"
                "[open(p, \"w\").write(\"x\") for p in glob.glob(\"/results/*.npz\")]'],"
                " start_new_session=True)"}, 2, "graded"),
    "loop_in_function": ({"double": "def double(x):\n    while True:\n        pass", "square": GOOD_SQUARE}, 3, "timed out"),
    "loop_at_top": ({"double": GOOD_DOUBLE + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                     "while True:\n    pass", "square": GOOD_SQUARE}, 3, "timed out"),
    "sys_exit": ({"double": "import sys\nsys.exit(0)", "square": GOOD_SQUARE}, 3, "graded"),
    "os_exit": ({"double": GOOD_DOUBLE, "square": "import os\nos._exit(0)"}, 2, "crashed"),
    "memory_hog": ({"double": GOOD_DOUBLE, "square": "hog = bytearray(64 * 2**30)\n" + GOOD_SQUARE}, 2, "graded"),
    "fork_bomb": ({"double": GOOD_DOUBLE, "square": "import os, time\nkids = 0\nfor _ in range(2000):\n"
                   "    pid = os.fork()\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    kids += 1\n"
                   + GOOD_SQUARE}, 2, "graded"),
    "huge_print": ({"double": GOOD_DOUBLE, "square": "print('x' * (200 * 2**20))\n" + GOOD_SQUARE}, 2, "crashed"),
}


def _sha(paths):
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.read_bytes())
    return h.hexdigest()


def _submission(release_nb, answers, edit=None):
    nb = nbs.nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in nb.cells:
        gid = nbs.meta(cell).get("grade_id")
        if nbs.is_solution(cell) and gid in answers:
            cell.source = answers[gid]
    if edit:
        edit(nb)
    return nb


def _delete_test(nb):
    nb.cells = [c for c in nb.cells if nbs.meta(c).get("grade_id") != "correct_double"]


def _rename_test(nb):
    for c in nb.cells:
        if nbs.meta(c).get("grade_id") == "correct_double":
            c.metadata["nbgrader"]["grade_id"] = "correct_double_renamed"
            c.source = "pass"


def _strip_metadata(nb):
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)


EDITED = {   # name: (answers, edit, expected score, expected status)
    "deleted_test": ({"double": GOOD_DOUBLE, "square": GOOD_SQUARE}, _delete_test, 5, "graded"),
    "renamed_test": ({"double": "def double(x):\n    return x", "square": GOOD_SQUARE}, _rename_test, 3, "graded"),
    "stripped_meta": ({"double": GOOD_DOUBLE, "square": BAD_SQUARE}, _strip_metadata, 2, "graded"),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    ok, why = sandbox_available()
    if not ok:
        pytest.skip(f"no sandbox on this machine: {why}")
    import os

    from helpers import build, classgrade

    root = tmp_path_factory.mktemp("course")
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "source" / A).mkdir(parents=True)
    au.save(SOURCE, root / "source" / A / f"{A}.ipynb")
    old = os.environ.get("COURSE_ROOT")
    os.environ["COURSE_ROOT"] = str(root)
    os.environ["COURSE_TEST_SECRET"] = "s3cr3t-grader-token"
    try:
        build.build([A], out=lambda *_: None)
        release_nb = nbs.read(root / "release" / A / f"{A}.ipynb")
        expected = {}
        for name, (answers, score, status) in CLASS.items():
            expected[name] = (_submission(release_nb, answers), score, status)
        for name, (answers, edit, score, status) in EDITED.items():
            expected[name] = (_submission(release_nb, answers, edit), score, status)
        for name, (nb, _, _) in expected.items():
            folder = root / "submitted" / name / A
            folder.mkdir(parents=True)
            nbs.write(nb, folder / f"{A}.ipynb")
        broken = root / "submitted" / "truncated" / A
        broken.mkdir(parents=True)
        text = (root / "release" / A / f"{A}.ipynb").read_text()
        (broken / f"{A}.ipynb").write_text(text[: len(text) // 2])
        expected["truncated"] = (None, 0, "invalid notebook")
        (root / "submitted" / "empty_folder" / A).mkdir(parents=True)
        expected["empty_folder"] = (None, 0, "missing")

        protected = [root / "nbgrader_config.py", *sorted((root / "source").rglob("*.*"))]
        before = _sha(protected)
        outcomes = classgrade.grade_class([A], workers=2, root=root, out=lambda *_: None,
                                          limits=Limits(cell_seconds=4, notebook_seconds=40, memory_mb=2048))
        yield root, expected, {o.student: o for o in outcomes}, before, _sha(protected)
    finally:
        os.environ.pop("COURSE_TEST_SECRET", None)
        if old is None:
            os.environ.pop("COURSE_ROOT", None)
        else:
            os.environ["COURSE_ROOT"] = old


def test_every_submission_gets_a_status(graded_class):
    _, expected, outcomes, _, _ = graded_class
    assert set(outcomes) == set(expected)


@pytest.mark.parametrize("student", list(CLASS) + list(EDITED) + ["truncated", "empty_folder"])
def test_score_and_status(graded_class, student):
    _, expected, outcomes, _, _ = graded_class
    o = outcomes[student]
    _, score, status = expected[student]
    assert (o.score, o.status) == (score, status), \
        f"{student}: got {o.score} ({o.status}), expected {score} ({status}): " + \
        "; ".join(f"{t.grade_id}={t.points} {t.status} {t.message[:120]}" for t in o.tests)


def test_sources_and_config_unchanged(graded_class):
    _, _, _, before, after = graded_class
    assert before == after


def test_gradebook_holds_exactly_the_computed_scores(graded_class):
    from nbgrader.api import Gradebook

    root, _, outcomes, _, _ = graded_class
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for name, o in outcomes.items():
            sub = gb.find_submission_notebook(A, A, name)
            auto = {g.name: g.auto_score for g in sub.grades if g.name.startswith("correct_")}
            assert auto == {t.grade_id: t.points for t in o.tests}, name


def test_feedback_never_shows_hidden_tests_reference_or_environment(graded_class):
    root, _, outcomes, _, _ = graded_class
    pages = list((root / "feedback").rglob("*.html")) + list((root / "autograded").rglob("*.ipynb"))
    assert len(pages) >= 2 * (len(outcomes) - 1)
    for page in pages:
        text = page.read_text()
        assert "double(np.arange(5.0))" not in text and "linspace(-2, 2, 7)" not in text, page
        assert "s3cr3t-grader-token" not in text, page


def test_diagnosis_reaches_the_student(graded_class):
    root, _, outcomes, _, _ = graded_class
    msg = {t.grade_id: t.message for t in outcomes["partial"].tests}["correct_square"]
    assert "square(grid)" in msg and "relative error" in msg
    page = (root / "feedback" / "partial" / A / f"{A}.html").read_text()
    assert "square(grid)" in page


def test_rerun_grades_only_changed_submissions(graded_class):
    from helpers import classgrade

    root, _, _, _, _ = graded_class
    nb_path = root / "submitted" / "partial" / A / f"{A}.ipynb"
    nb = nbs.read(nb_path)
    for cell in nb.cells:
        if nbs.meta(cell).get("grade_id") == "square":
            cell.source = GOOD_SQUARE
    nbs.write(nb, nb_path)
    import os
    os.environ["COURSE_ROOT"] = str(root)
    try:
        again = classgrade.grade_class([A], workers=2, root=root, out=lambda *_: None,
                                       limits=Limits(cell_seconds=4, notebook_seconds=40))
    finally:
        os.environ.pop("COURSE_ROOT", None)
    assert [(o.student, o.score) for o in again] == [("partial", 5)]


def test_report_lists_diagnoses_and_people_to_look_at(graded_class):
    from helpers import report

    root, _, _, _, _ = graded_class
    csv_path, html_path = report.make_report(root, out=lambda *_: None)
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("student,assignment,status,score")
    assert any(r.startswith("honest,") and ",5," in r for r in rows)
    page = html_path.read_text()
    assert "data:image/png;base64" in page and "need a human" in page
    assert "truncated" in page and "written answers to grade: why_square" in page
