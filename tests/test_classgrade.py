"""The class grader against a red-team corpus.

One scratch course with a tiny assignment (two functions, 2 + 3 points); a class of honest,
partly wrong, broken and malicious submissions graded in one run, in the sandbox. For every
attack: the attacker gets no points it did not earn, honest students get exactly their scores,
the config and sources are unchanged (hashed before and after), the gradebook holds exactly
the scores the grader computed, and every notebook ends with a status.
"""
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from helpers.grader import authoring as au
from helpers.grader import nb as nbs
from helpers.grader.sandbox import Limits, sandbox_available

import attacks
from attacks import scanner

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("classgrade")    # one worker grades the whole class once
A = "01_gradient_descent"          # the tiny assignment borrows the first assignment's name

SOURCE = [
    au.md("# Tiny assignment"),
    au.code("import numpy as np"),
    au.solution("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2.0 * x\n    ### END SOLUTION"),
    au.test("correct_double", 2, '"""double doubles arrays."""\n'
            "np.testing.assert_allclose(double(np.array([1.0, 2.0])), [2.0, 4.0])\n"
            "### BEGIN HIDDEN TESTS\nfrom helpers.reference import expect\n"
            "expect('double/range', double(np.arange(5.0)), name='double on a hidden range')\n"
            "### END HIDDEN TESTS"),
    au.solution("square", "def square(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION"),
    au.test("correct_square", 3, '"""square squares."""\n'
            "### BEGIN HIDDEN TESTS\nfrom helpers.reference import expect, variants\n"
            "x_h = np.linspace(-2, 2, 7)\n"
            "expect('square/grid', square(x_h), name='square on a hidden grid', "
            "mistakes=variants('square_mistakes', x_h))\n"
            "### END HIDDEN TESTS"),
    au.solution("quad", "def quad(x):\n    ### BEGIN SOLUTION\n    return double(double(x))\n    ### END SOLUTION"),
    au.test("correct_quad", 1, '"""quad doubles twice (judged with a correct double)."""\n'
            "### BEGIN HIDDEN TESTS\nfrom helpers import isolate\nisolate.use_reference('double')\n"
            "from helpers.reference import expect\n"
            "expect('quad/grid', quad(np.linspace(0.5, 1.5, 4)), name='quad on a hidden grid')\n"
            "### END HIDDEN TESTS"),
    au.written("why_square", 1, "Because."),
]
SOLUTION_PY = """import numpy as np


def double(x):
    return 2.0 * x


def square_mistakes(x):
    return {"cubed instead of squared: x ** 3": x ** 3}
"""
HIDDEN_LINES = ("double(np.arange(5.0))", "linspace(-2, 2, 7)", "linspace(0.5, 1.5, 4)", "isolate.use_reference",
                "square_mistakes")

GOOD_DOUBLE = "def double(x):\n    return 2.0 * x"
GOOD_SQUARE = "def square(x):\n    return x ** 2"
GOOD_QUAD = "def quad(x):\n    return double(double(x))"
BAD_SQUARE = "def square(x):\n    return x ** 3"
HONEST = {"double": GOOD_DOUBLE, "square": GOOD_SQUARE, "quad": GOOD_QUAD}


HISTORY_READER = """import base64, linecache
def quad(x):
    ip = get_ipython()
    seen = [repr(ip.user_ns.get(k)) for k in ("In", "_ih", "Out", "_oh", "_i", "_ii")]
    seen += [repr(v) for v in linecache.cache.values()]
    seen += [repr(ip.history_manager.input_hist_raw), repr(ip.history_manager.input_hist_parsed)]
    text = "\\n".join(seen)
    found = [m[::-1] for m in %r if m[::-1] in text]   # reversed: not in this cell's own text
    raise ValueError(f"LEAK-MARK found={found} " + base64.b64encode(text.encode()).decode() + "\\n"
                     + "\\n".join("> " + line for line in text.splitlines()))""" % (tuple(m[::-1] for m in HIDDEN_LINES),)

PATCHER = attacks.PATCHER + "def double(x):\n    return x"

FORGER = """import numpy as np, helpers.reference
from helpers import wire
np.testing.assert_allclose = lambda *a, **k: None
for key, n in (("double/range", 5), ("square/grid", 7), ("quad/grid", 4)):
    for guess in (np.zeros(n), np.ones(n), np.arange(n) * 2.0):      # arange * 2 is double's right answer
        wire.channel.send({"event": "record", "key": key, "value": wire.encode(guess)})
wire.channel.send({"event": "end", "index": 10**6, "error": None})
helpers.reference.expect = lambda *a, **k: None
def double(x):
    return x"""

HANDOFF = """import os
for folder in (".", "/tmp"):
    try:
        os.symlink("/nonexistent/hidden/reference.npz", os.path.join(folder, "rec-99999.npz"))
    except OSError:
        pass
ip = get_ipython()
_real_run_cell = ip.run_cell
def _quiet(raw, *a, **k):
    result = _real_run_cell(raw, *a, **k)
    result.error_in_exec = result.error_before_exec = None
    return result
ip.run_cell = _quiet
def double(x):
    raise NotImplementedError"""

HUGE_RECORD = """from helpers import wire
def double(x):
    wire.channel.send({"event": "record", "key": "double/range",
                       "value": {"__nd__": "float64", "shape": [10**6, 10**6], "b64": "AAAAAAAAAAA="}})
    return 2.0 * x"""

FLOOD = """import os
from helpers import wire
os.write(wire.channel.control.fileno(), b'{"event": "record", "__blobs__": [1000000000]}\\n')
os.write(wire.channel.control.fileno(), b"x" * (3 * 2**20))
def double(x):
    return 2.0 * x"""

ROOT_PROBE = """import os
refused = []
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_uses_pid", "/proc/sysrq-trigger",
             "/usr/bin/env", "/etc/ld.so.cache", os.__file__):
    try:
        open(path, "w").close()
    except OSError:
        refused.append(path)
open("/tmp/suid", "w").close()
try:
    os.chmod("/tmp/suid", 0o4755)
except OSError:
    refused.append("chmod")
assert len(refused) == 7, refused
assert not os.stat("/tmp/suid").st_mode & 0o6000
""" + GOOD_DOUBLE

DISK_HOG = """import os
def fill(folder, limit_mb):
    total = 0
    try:
        for i in range(64):
            with open(os.path.join(folder, f"hog{i}.bin"), "wb") as f:
                for _ in range(16):
                    total += f.write(b"x" * 2**20)
    except OSError:
        pass
    for i in range(64):
        try:
            os.remove(os.path.join(folder, f"hog{i}.bin"))
        except OSError:
            pass
    assert total <= (limit_mb + 1) * 2**20, (folder, total)
fill(".", 48)
fill("/tmp", 32)
fill("/dev/shm", 16)
""" + GOOD_DOUBLE

CRASH_IN_FIRST = GOOD_DOUBLE + "\nimport os\nos._exit(1)"
MARKDOWN_ERROR = ("def double(x):\n    raise ValueError('[click me](javascript:alert(1)) "
                  "![x](http://evil.example/x.png) <script>alert(2)</script>')")

# name: (answers {grade_id: code}, expected score, expected status)
CLASS = {
    "honest": (HONEST, 6, "graded"),
    "partial": ({**HONEST, "square": BAD_SQUARE}, 3, "graded"),
    "wrong_double_good_quad": ({**HONEST, "double": "def double(x):\n    return 3.0 * x"}, 4, "graded"),
    "untouched": ({}, 0, "graded"),
    "gradebook_writer": ({"double": GOOD_DOUBLE, "square": BAD_SQUARE + "\nimport glob, os\n"
                          "for p in [q for top in ('/home', '/work', '/tmp', '/root', '/opt') for q in "
                          "glob.glob(top + '/**/gradebook.db', recursive=True)] + ['../../../gradebook.db']:\n"
                          "    try:\n        open(p, 'w').write('pwned')\n    except OSError:\n        pass"},
                         2, "graded"),
    "config_editor": ({"double": GOOD_DOUBLE + "\nfor p in ['../../../nbgrader_config.py', '/work/main/nbgrader_config.py']:\n"
                       "    try:\n        open(p, 'a').write('\\nc.X = 1')\n    except OSError:\n        pass"}, 2, "graded"),
    "source_reader": ({"double": "import os, glob\nleak = [p for p in ('../../../source', '../../source', "
                       "'/work/main/source', '/work/main/nbgrader_config.py') if os.path.exists(p)]\n"
                       "leak += [q for top in ('/home', '/work', '/tmp', '/root', '/opt') "
                       "for q in glob.glob(top + '/**/reference.npz', recursive=True) + "
                       "glob.glob(top + '/**/solution.py', recursive=True)]\n"
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
    "daemon": ({"double": GOOD_DOUBLE + "\nimport subprocess, sys\nfrom helpers import wire\n"
                "fd = wire.channel.control.fileno()\n"
                "subprocess.Popen([sys.executable, '-c', 'import os, sys, time\\ntime.sleep(3)\\n"
                "os.write(int(sys.argv[1]), b\"{}\\\\n\" * 1000)', str(fd)], start_new_session=True, pass_fds=(fd,))"},
               2, "graded"),
    "loop_in_function": ({"double": "def double(x):\n    while True:\n        pass", "square": GOOD_SQUARE}, 3, "timed out"),
    "loop_at_top": ({"double": GOOD_DOUBLE + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                     "while True:\n    pass", "square": GOOD_SQUARE}, 3, "timed out"),
    "sys_exit": ({"double": "import sys\nsys.exit(0)", "square": GOOD_SQUARE}, 3, "graded"),
    "os_exit": ({"double": GOOD_DOUBLE, "square": "import os\nos._exit(0)"}, 2, "crashed"),
    "crash_first_answer": ({**HONEST, "double": CRASH_IN_FIRST}, 4, "crashed"),
    "memory_hog": ({"double": GOOD_DOUBLE, "square": "hog = bytearray(64 * 2**30)\n" + GOOD_SQUARE}, 2, "graded"),
    "fork_bomb": ({"double": GOOD_DOUBLE, "square": "import os, time\nkids = 0\nfor _ in range(2000):\n"
                   "    pid = os.fork()\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    kids += 1\n"
                   + GOOD_SQUARE}, 2, "graded"),
    "huge_print": ({"double": GOOD_DOUBLE, "square": "print('x' * (200 * 2**20))\n" + GOOD_SQUARE}, 2, "crashed"),
    # nothing secret in the kernel, nothing decided there
    "reference_scanner": ({g: scanner(g) for g in ("double", "square", "quad")}, 0, "graded"),
    "history_reader": ({**HONEST, "quad": HISTORY_READER}, 5, "graded"),
    "helpers_patcher": ({"double": PATCHER, "square": BAD_SQUARE}, 0, "graded"),
    "forger": ({"double": FORGER}, 0, "graded"),
    "markdown_error": ({"double": MARKDOWN_ERROR}, 0, "graded"),
    # the sandbox as root, the hand-off, bounded everything
    "handoff_links": ({"double": HANDOFF}, 0, "graded"),
    "huge_record": ({"double": HUGE_RECORD, "square": GOOD_SQUARE}, 0, "invalid results"),
    "control_flood": ({"double": FLOOD, "square": GOOD_SQUARE}, 0, "invalid results"),
    "root_probe": ({"double": ROOT_PROBE, "square": GOOD_SQUARE}, 5, "graded"),
    "disk_hog": ({"double": DISK_HOG, "square": GOOD_SQUARE}, 5, "graded"),
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


def _list_metadata(nb):
    for c in nb.cells:
        if nbs.meta(c).get("grade_id") == "double":
            c.metadata["nbgrader"] = ["not", "a", "dict"]


EDITED = {   # name: (answers, edit, expected score, expected status)
    "deleted_test": ({"double": GOOD_DOUBLE, "square": GOOD_SQUARE}, _delete_test, 5, "graded"),
    "list_metadata": (HONEST, _list_metadata, 0, "invalid notebook"),
    "renamed_test": ({"double": "def double(x):\n    return x", "square": GOOD_SQUARE}, _rename_test, 3, "graded"),
    "stripped_meta": ({"double": GOOD_DOUBLE, "square": BAD_SQUARE}, _strip_metadata, 2, "graded"),
}


LIMITS = Limits(cell_seconds=4, notebook_seconds=40, memory_mb=2048, disk_mb=48, tmp_mb=32, shm_mb=16,
                message_bytes=2**20)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    ok, why = sandbox_available()
    if not ok:
        pytest.skip(f"no sandbox on this machine: {why}")
    import os

    from helpers.grader import build
    from helpers.grader import grade as grader

    root = tmp_path_factory.mktemp("course")
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "source" / A).mkdir(parents=True)
    au.save(SOURCE, root / "source" / A / f"{A}.ipynb")
    (root / "source" / A / "hidden").mkdir()
    (root / "source" / A / "hidden" / "solution.py").write_text(SOLUTION_PY)
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
        # Submissions are data: links, FIFOs and devices inside them are never followed.
        links = root / "submitted" / "linked_files" / A
        links.mkdir(parents=True)
        nbs.write(_submission(release_nb, {}), links / f"{A}.ipynb")
        os.symlink(root / "source" / A / "hidden" / "reference.npz", links / "rec-99999.npz")
        os.symlink("/etc/shadow", links / "notes.txt")
        os.symlink("/dev/zero", links / "zeros.bin")
        os.symlink(root / "source", links / "course")
        os.mkfifo(links / "pipe.npz")
        expected["linked_files"] = (None, 0, "graded")
        stolen = root / "submitted" / "linked_notebook" / A
        stolen.mkdir(parents=True)
        os.symlink(root / "submitted" / "honest" / A / f"{A}.ipynb", stolen / f"{A}.ipynb")
        expected["linked_notebook"] = (None, 0, "invalid notebook")
        shadow = root / "submitted" / "module_shadow" / A
        shadow.mkdir(parents=True)
        nbs.write(_submission(release_nb, HONEST), shadow / f"{A}.ipynb")
        for mod in ("json", "numpy", "helpers"):
            (shadow / f"{mod}.py").write_text("raise SystemExit('the runner imported the student folder')\n")
        expected["module_shadow"] = (None, 6, "graded")
        for bad in ("bad id\nwith newline", "[x](javascript:alert(1))"):
            (root / "submitted" / bad / A).mkdir(parents=True)
            nbs.write(_submission(release_nb, HONEST), root / "submitted" / bad / A / f"{A}.ipynb")
        said = []

        protected = [root / "nbgrader_config.py", *sorted((root / "source").rglob("*.*"))]
        before = _sha(protected)
        outcomes = grader.grade_class([A], workers=2, root=root, out=said.append, limits=LIMITS)
        yield root, expected, {o.student: o for o in outcomes}, before, _sha(protected), said
    finally:
        os.environ.pop("COURSE_TEST_SECRET", None)
        if old is None:
            os.environ.pop("COURSE_ROOT", None)
        else:
            os.environ["COURSE_ROOT"] = old


def test_every_submission_gets_a_status(graded_class):
    _, expected, outcomes, *_ = graded_class
    assert set(outcomes) == set(expected)


@pytest.mark.parametrize("student", list(CLASS) + list(EDITED) + ["truncated", "empty_folder", "linked_files",
                                                                 "linked_notebook", "module_shadow"])
def test_score_and_status(graded_class, student):
    _, expected, outcomes, *_ = graded_class
    o = outcomes[student]
    _, score, status = expected[student]
    assert (o.score, o.status) == (score, status), \
        f"{student}: got {o.score} ({o.status}), expected {score} ({status}): " + \
        "; ".join(f"{t.grade_id}={t.points} {t.status} {t.message[:120]} {t.detail[:400]}" for t in o.tests)


def test_sources_and_config_unchanged(graded_class):
    _, _, _, before, after, _ = graded_class
    assert before == after


def test_gradebook_holds_exactly_the_computed_scores(graded_class):
    from helpers.grader.stock import gradebook

    root, _, outcomes, *_ = graded_class
    with gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for name, o in outcomes.items():
            sub = gb.find_submission_notebook(A, A, name)
            auto = {g.name: g.auto_score for g in sub.grades if g.name.startswith("correct_")}
            assert auto == {t.grade_id: t.points for t in o.tests}, name
            assert o.scored, name


def test_feedback_never_shows_hidden_tests_reference_or_environment(graded_class):
    """No hidden line, reference value, kernel text, shadow file or live link reaches a student."""
    root, _, outcomes, *_ = graded_class
    pages = list((root / "feedback").rglob("*.html")) + list((root / "autograded").rglob("*.ipynb"))
    assert len(pages) >= 2 * (len(outcomes) - 1)
    shadow = [ln for ln in Path("/etc/shadow").read_text().splitlines()[:3] if len(ln) > 8] \
        if os.access("/etc/shadow", os.R_OK) else []
    for page in pages:
        text = page.read_text()
        live = ('href="javascript', "href='javascript", 'src="http://evil', "<script>alert") \
            if page.suffix == ".html" else ()      # the .ipynb holds the student's own code as JSON text
        for line in HIDDEN_LINES + ("LEAK-MARK found=[", "s3cr3t-grader-token") + live:
            assert line not in text, (page, line)
        for line in shadow:
            assert line not in text, page


def test_history_reader_gets_no_instructor_line(graded_class):
    """Instructor cells leave nothing in In/_ih/Out, IPython's history or linecache for student code."""
    _, _, outcomes, *_ = graded_class
    t = {t.grade_id: t for t in outcomes["history_reader"].tests}["correct_quad"]
    assert "LEAK-MARK found=[]" in t.detail, t.detail[:300]   # the attack ran and found no hidden line
    assert "LEAK-MARK" not in t.message


def test_stand_ins_and_variants_work_in_the_sandbox(graded_class):
    """quad is judged with the reference double (served outside); square's named mistake comes from
    solution.py at build time and is diagnosed though no reference code ran in the kernel."""
    _, _, outcomes, *_ = graded_class
    wrong = {t.grade_id: t for t in outcomes["wrong_double_good_quad"].tests}
    assert wrong["correct_double"].points == 0 and wrong["correct_quad"].points == 1
    msg = {t.grade_id: t.message for t in outcomes["partial"].tests}["correct_square"]
    assert "cubed instead of squared" in msg


def test_skipped_files_and_invalid_ids_are_reported(graded_class):
    root, _, outcomes, _, _, said = graded_class
    detail = outcomes["linked_files"].detail
    for name in ("rec-99999.npz", "notes.txt", "zeros.bin", "course", "pipe.npz"):
        assert name in detail, (name, detail)
    assert not (root / "feedback" / "bad id\nwith newline").exists()
    assert any("not valid student ids" in str(line) and "javascript" in str(line) for line in said), said
    assert not any("\n" in o.student or "[" in o.student for o in outcomes.values())


def test_every_status_is_recorded_in_gradebook_state_and_report(graded_class):
    from helpers.grader import grade as grader, report, results

    root, _, outcomes, *_ = graded_class
    state = grader.load_state(root)
    for name, o in outcomes.items():
        assert state[f"{name}/{A}"]["status"] == o.status, name
        assert o.status in results.NOTEBOOK_STATUSES
    csv_path, _ = report.make_report(root, out=lambda *_: None)
    rows = csv_path.read_text()
    for name in ("huge_record", "list_metadata", "linked_notebook"):
        assert any(r.startswith(f"{name},") and outcomes[name].status in r for r in rows.splitlines()), name


def test_diagnosis_reaches_the_student(graded_class):
    root, _, outcomes, *_ = graded_class
    msg = {t.grade_id: t.message for t in outcomes["partial"].tests}["correct_square"]
    assert "square on a hidden grid" in msg and "relative error" in msg and "cubed instead of squared" in msg
    page = (root / "feedback" / "partial" / A / f"{A}.html").read_text()
    assert "square on a hidden grid" in page and "cubed instead of squared" in page


def test_rerun_grades_only_changed_submissions(graded_class):
    from helpers.grader import grade as grader

    root, *_ = graded_class
    nb_path = root / "submitted" / "partial" / A / f"{A}.ipynb"
    nb = nbs.read(nb_path)
    for cell in nb.cells:
        if nbs.meta(cell).get("grade_id") == "square":
            cell.source = GOOD_SQUARE
    nbs.write(nb, nb_path)
    import os
    os.environ["COURSE_ROOT"] = str(root)
    try:
        again = grader.grade_class([A], workers=2, root=root, out=lambda *_: None, limits=LIMITS)
    finally:
        os.environ.pop("COURSE_ROOT", None)
    assert [(o.student, o.score) for o in again] == [("partial", 6)]


def test_report_lists_diagnoses_and_people_to_look_at(graded_class):
    from helpers.grader import report

    root, *_ = graded_class
    csv_path, html_path = report.make_report(root, out=lambda *_: None)
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("student,assignment,status,score")
    assert any(r.startswith("honest,") and ",6," in r for r in rows)
    page = html_path.read_text()
    assert "data:image/png;base64" in page and "need a human" in page
    assert "truncated" in page and "written answers to grade: why_square" in page
