"""An instructor's term through nbgrader's own commands and its filesystem exchange, end to end.

release_assignment -> fetch_assignment (as each of two made-up students, in their own home folders)
-> the student edits and submits -> collect -> `python -m helpers grade` -> release_feedback ->
fetch_feedback (as each student). Each student ends holding a feedback page that shows their
diagnosis and no hidden test; a resubmission counts (the latest), and its late timestamp is kept in
the gradebook as nbgrader keeps it. Then `helpers collect` from the same exchange, and `export`.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tiny import A, GOOD, answer_notebook, sandboxed_course

COURSE = "nn-from-scratch"
WRONG = "def double(x):\n    return x * x"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    with sandboxed_course(tmp_path_factory, "exchange") as root:
        yield root


def _run(args, cwd, env, timeout=180):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def _text(page: str) -> str:
    """A feedback page's words, tags and styles taken out."""
    import re

    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


class Term:
    """A course folder, an exchange and two students' homes, each command run as nbgrader users run it."""

    def __init__(self, course: Path, tmp: Path):
        self.root = tmp / "course"
        shutil.copytree(course, self.root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback",
                                                                            "gradebook.db"))
        self.exchange = tmp / "exchange"
        self.exchange.mkdir()
        with open(self.root / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.Exchange.root = {str(self.exchange)!r}\n")
        bin_dir = str(Path(sys.executable).parent)
        self.env = dict(os.environ, COURSE_ROOT=str(self.root), COURSE_DB_URL=f"sqlite:///{self.root / 'gradebook.db'}",
                        PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        self.nbgrader = [str(Path(bin_dir) / "nbgrader")]
        self.tmp = tmp

    def instructor(self, *args, timeout=180):
        return _run([*self.nbgrader, *args], self.root, self.env, timeout)

    def helpers(self, *args, timeout=600):
        return _run([sys.executable, "-m", "helpers", *args], self.root, self.env, timeout)

    def student(self, name: str, *args):
        """An nbgrader command as student `name`: their home, no course config. They all are root's
        processes here, so the id is given as nbgrader allows for shared accounts (--student)."""
        home = self.tmp / "home" / name
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in self.env.items() if k not in ("COURSE_ROOT", "COURSE_DB_URL", "JUPYTERHUB_USER")}
        env.update(HOME=str(home), USER=name, LOGNAME=name)
        return _run([*self.nbgrader, *args, "--course", COURSE, "--student", name,
                     f"--Exchange.root={self.exchange}"], home, env)

    def answer(self, name: str, code: str) -> None:
        """The student edits the fetched notebook in their home."""
        notebook = self.tmp / "home" / name / A / f"{A}.ipynb"
        assert notebook.is_file(), f"fetch_assignment left no {notebook}"
        notebook.write_text(answer_notebook(self.root, code))


def test_release_fetch_submit_collect_grade_feedback_round_trip(course, tmp_path):
    from helpers.grader.stock import gradebook

    term = Term(course, tmp_path)
    term.instructor("db", "assignment", "add", A, "--duedate=2030-01-01 00:00:00 UTC")
    term.instructor("release_assignment", A)
    for name in ("ada", "bob"):
        term.student(name, "fetch_assignment", A)
    term.answer("ada", GOOD)
    term.student("ada", "submit", A)
    term.answer("bob", WRONG)
    term.student("bob", "submit", A)
    listed = term.student("bob", "list", "--inbound")
    assert "bob" in listed and A in listed
    time.sleep(1.1)                                       # nbgrader's timestamps: a later second
    due = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    time.sleep(1.1)
    term.answer("bob", GOOD)                               # bob fixes it and submits again, after the due date
    term.student("bob", "submit", A)
    term.instructor("db", "assignment", "add", A, f"--duedate={due}")

    term.instructor("collect", A)
    stamps = {s: (term.root / "submitted" / s / A / "timestamp.txt").read_text() for s in ("ada", "bob")}
    out = term.helpers("grade", A, "--workers", "1")
    assert "ada" in out and "bob" in out
    with gradebook(f"sqlite:///{term.root / 'gradebook.db'}") as gb:
        ada, bob = gb.find_submission(A, "ada"), gb.find_submission(A, "bob")
        assert ada.score == 2 and bob.score == 2, "the latest submission counts"
        assert ada.total_seconds_late == 0 and bob.total_seconds_late > 0, "bob's resubmission is late"
        assert bob.timestamp.strftime("%Y-%m-%d %H:%M:%S") == stamps["bob"][:19], "the timestamp is kept"

    # feedback: released by nbgrader, fetched by each student with their submission's secret
    term.answer("ada", WRONG)                              # (ada's home copy changes; her submission does not)
    term.instructor("release_feedback", A)
    for name in ("ada", "bob"):
        term.student(name, "fetch_feedback", A)
    for name in ("ada", "bob"):
        pages = list((tmp_path / "home" / name / A / "feedback").rglob(f"{A}.html"))
        assert pages, f"{name} fetched no feedback"
        # fetch_feedback files a page under each submission's timestamp it finds released for it:
        # bob's first submission (0 points) was never graded, so only the resubmission's is there
        assert len(pages) == 1, pages
        page = pages[0].read_text()
        text = _text(page)
        assert f"Student: {name}" in text and "autograded score 2 / 2" in text, text[:2000]
        assert "BEGIN HIDDEN TESTS" not in page and "double/range" not in page and "expect(" not in page


def test_a_wrong_answer_comes_back_with_its_diagnosis_and_helpers_collect_agrees(course, tmp_path):
    term = Term(course, tmp_path)
    term.instructor("release_assignment", A)
    term.student("cy", "fetch_assignment", A)
    term.answer("cy", WRONG)
    term.student("cy", "submit", A)
    term.helpers("collect", A)                             # this grader's collect, from the same exchange
    assert json.loads((term.root / "submitted" / "cy" / A / f"{A}.ipynb").read_text())["cells"]
    term.helpers("grade", A, "--workers", "1")
    term.instructor("release_feedback", A)
    term.student("cy", "fetch_feedback", A)
    page = next((tmp_path / "home" / "cy" / A / "feedback").rglob(f"{A}.html")).read_text()
    assert "double on a hidden range" in page, "the failed check is named"
    assert "BEGIN HIDDEN TESTS" not in page and "expect(" not in page
    csv_text = term.helpers("export", "--format", "canvas", "--out", str(tmp_path / "canvas.csv"))
    assert "wrote" in csv_text and (tmp_path / "canvas.csv").read_text().splitlines()[2].split(",")[3] == "cy"
