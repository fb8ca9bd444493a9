"""Stock nbgrader: running its commands, and grading or validating notebooks with it unchanged.

The notebook harness grades with stock nbgrader here, to prove that every notebook works with
plain nbgrader too (the course's own, sandboxed path is helpers.grader.grade); :func:`validate`
runs a release notebook top to bottom as a student's Validate button does.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import nb as nbs
from ..paths import course_root, release_folder, source_dir
from .results import Outcome, Status, TestVerdict
from .submissions import release_submission, submit


def gradebook(url: str):
    """nbgrader's Gradebook at `url`.

    Creating a new gradebook, nbgrader stamps it with its schema's alembic head, which it learns by
    running `alembic heads` in a new Python: about 4 s, most of it importing nbformat's jsonschema
    there. Here the head is read in this process from nbgrader's own migration scripts (the same
    value; tests/unit/test_stock.py compares them), and the scripts folder is still put on PATH
    for nbgrader's other `alembic` calls.
    """
    ensure_scripts_on_path()
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head
    return nbgrader.api.Gradebook(url)


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """The head revision of nbgrader's gradebook schema, from its alembic scripts (no subprocess)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    heads = ScriptDirectory.from_config(config).get_heads()
    if len(heads) != 1:
        raise NbgraderError(f"nbgrader's gradebook schema has {len(heads)} alembic heads ({heads}); expected one")
    return heads[0]


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the end of its output."""


def ensure_scripts_on_path() -> None:
    """Put this interpreter's scripts folder on PATH (called by the commands that run nbgrader).

    nbgrader runs the `alembic` command by name when it opens a gradebook, so running
    `.venv/bin/python -m helpers ...` without activating the venv would otherwise fail.
    """
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")


def scratch_course(root: Path, assignments) -> Path:
    """A throwaway course folder (config + the assignments' sources) for nbgrader to work in."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course_root() / "nbgrader_config.py", root / "nbgrader_config.py")
    for a in assignments:
        shutil.copytree(source_dir() / a, root / "source" / a,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


def nbgrader(root: Path, *args: str, check: bool = True, own_db: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in a course folder.

    own_db: use the folder's own gradebook.db, ignoring $COURSE_DB_URL (scratch folders).
    """
    env = {k: v for k, v in os.environ.items() if not (own_db and k == "COURSE_DB_URL")}
    env["MPLBACKEND"] = "Agg"
    scripts = str(Path(sys.executable).parent)          # nbgrader runs `alembic` by name
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise NbgraderError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc


def generate_assignment(root: Path, assignment: str, db_url: str, release_dir: Path) -> None:
    """`nbgrader generate_assignment ASSIGNMENT --force` run in this process: the same converter and
    preprocessors, with the course folder's nbgrader_config.py, into `release_dir` and the gradebook
    at `db_url`. Saves starting a Python and importing nbgrader (about 3 s a call). Raises
    NbgraderError with nbgrader's log when the conversion fails."""
    import logging

    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    ensure_scripts_on_path()
    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = db_url
    config.CourseDirectory.release_directory = str(release_dir)
    config.CourseDirectory.assignment_id = assignment
    config.GenerateAssignment.force = True
    config.GenerateAssignment.create_assignment = True
    log = logging.getLogger(f"helpers.grader.stock.generate_assignment.{assignment}")
    log.propagate, records = False, []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    try:
        GenerateAssignment(coursedir=CourseDirectory(config=config), config=config, log=log).start()
    except Exception as exc:   # noqa: BLE001  (nbgrader raises its own and nbconvert's kinds)
        raise NbgraderError(f"`nbgrader generate_assignment {assignment}` failed: {exc}\n"
                            + "\n".join(records[-20:])) from exc


def autograde(assignment: str, submissions: dict, workdir: Path, timeout: int = 300) -> dict[str, Outcome]:
    """Grade {student: notebook node | Path | bytes | None} with stock nbgrader in `workdir`.

    bytes are written as-is (to test broken files), None means 'submitted nothing'.
    Returns an Outcome per student, with the message each failed test printed.
    """
    workdir = Path(workdir)
    root = scratch_course(workdir, [assignment])
    nbgrader(root, "generate_assignment", assignment, "--force")
    results = {}
    for student, sub in submissions.items():
        submit(root, student, assignment, sub)
        results[student] = Outcome(student, assignment)
    nbgrader(root, "autograde", assignment, "--force", f"--ExecutePreprocessor.timeout={timeout}", check=False)
    _collect(root, assignment, results)
    return results


def as_release(assignment: str, submission):
    """The release notebook with a submission's answer cells: what the student's Validate runs
    (the visible parts of the tests only)."""
    answers = {nbs.meta(c).get("grade_id"): c.source for c in submission.cells if nbs.is_solution(c)}
    nb = release_submission(assignment)
    for cell in nb.cells:
        if nbs.is_solution(cell) and nbs.meta(cell).get("grade_id") in answers:
            cell.source = answers[nbs.meta(cell)["grade_id"]]
    return nb


def validate(assignment: str, submissions: dict, workdir: Path, timeout: int = 300) -> dict[str, dict[str, str]]:
    """Run each submission's release notebook top to bottom, as nbgrader's Validate does.

    Returns {name: {test grade_id: what the failing test cell printed}}: only the visible tests
    that failed (an error, or output on stderr) appear.
    """
    results = {}
    for name, sub in submissions.items():
        work = Path(workdir) / name
        shutil.copytree(release_folder(assignment), work)
        nb = nbs.execute(as_release(assignment, sub), work, timeout=timeout, allow_errors=True)
        results[name] = {nbs.meta(c)["grade_id"]: text for c in nb.cells
                         if nbs.is_test(c) and (text := _failure_text(c))}
    return results


def _collect(root: Path, assignment: str, results: dict[str, Outcome]) -> None:
    from nbgrader.api import MissingEntry

    with gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, res in results.items():
            autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            submitted = root / "submitted" / student / assignment / f"{assignment}.ipynb"
            if not submitted.exists():
                res.status, res.detail = Status.MISSING, "no notebook submitted"
                continue
            try:
                nbs.read(submitted)
            except nbs.NotebookError as exc:
                res.status, res.detail = Status.INVALID_NOTEBOOK, str(exc)
                continue
            try:
                sub = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                res.status, res.detail = Status.GRADER_ERROR, "nbgrader did not grade this notebook"
                continue
            outputs = {}
            if autograded.exists():
                outputs = {nbs.meta(c).get("grade_id"): c for c in nbs.read(autograded).cells if nbs.is_test(c)}
            for grade in sub.grades:
                if grade.cell_type != "code" or grade.auto_score is None:
                    continue
                cell = outputs.get(grade.name)
                score, top = float(grade.score), float(grade.max_score)
                res.tests.append(TestVerdict(grade.name, score, top, Status.PASSED if score >= top else Status.FAILED,
                                             _failure_text(cell) if cell is not None else ""))


def _failure_text(cell) -> str:
    """What a failing test cell printed: its exception, message and notes (no traceback), or stderr."""


    for out in cell.get("outputs", []):
        if out.output_type == "error":
            lines = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.get("traceback", []))).splitlines()
            head = f"{out.ename}: "
            last = max((i for i, ln in enumerate(lines) if ln.startswith(head)), default=None)
            notes = [ln for ln in lines[last + 1:] if ln.strip()] if last is not None else []
            return "\n".join([f"{out.ename}: {out.evalue}", *notes])
        if out.output_type == "stream" and out.name == "stderr":
            return "stderr: " + out.text.strip()
    return ""
