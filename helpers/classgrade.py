"""`python -m helpers grade`: grade every submission of a class, in parallel, each in a sandbox.

Built on nbgrader's layout and gradebook: submissions are read from
``submitted/<student>/<assignment>/``, graded notebooks written to ``autograded/``, feedback to
``feedback/<student>/<assignment>/<assignment>.html``, scores to the gradebook (``db_url``).

How a notebook is graded:
1. Its cells come from the trusted source notebook, except the answer cells, which are the
   student's (matched by grade id). Test cells, hidden tests included, are the instructor's.
2. helpers.runner executes them in a sandbox (helpers.sandbox) with limits; a crash or timeout
   costs only the cells it hits, the rest run in a fresh kernel.
3. Hidden checks hand their values out as data; the grader compares them with the reference
   values here, outside the sandbox. A test cell earns its points when it ran without error
   AND every value it handed over matches. Reference values never enter the sandbox.
4. Only this (parent) process writes the gradebook, one transaction per notebook.
Re-running grades only new or changed submissions (content hash), unless --force.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import notebooks as nbs
from . import reference
from .build import nbgrader, source_notebook
from .paths import course_root, ensure_scripts_on_path, present_assignments, unknown_assignment_error
from .sandbox import Limits, kill_all, run_cells, sandbox_available

STATE_NAME = ".grading-state.json"


@dataclass
class TestVerdict:
    grade_id: str
    points: float
    max_points: float
    status: str            # passed | failed | error | timeout | crashed | output limit | not run
    message: str = ""      # the diagnosis a student reads ('' when passed)


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str = "graded"     # graded | timed out | crashed | invalid notebook | missing
    detail: str = ""
    tests: list[TestVerdict] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)   # written answers: grade_id -> max points
    seconds: float = 0.0
    digest: str = ""

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)


# ---------------------------------------------------------------- submissions

def submission_digest(folder: Path, assignment: str) -> str:
    """Hash of a submission's files and of the reference it is judged against."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and ".ipynb_checkpoints" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\0")
    ref = reference.reference_path(assignment)
    h.update(ref.read_bytes() if ref.exists() else b"no reference")
    return h.hexdigest()[:20]


def discover(root: Path, assignments) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) for every submission folder under submitted/."""
    jobs = []
    sub = root / "submitted"
    if not sub.is_dir():
        return jobs
    for student_dir in sorted(p for p in sub.iterdir() if p.is_dir()):
        for a in assignments:
            folder = student_dir / a
            if folder.is_dir():
                jobs.append((student_dir.name, a, folder))
    return jobs


def answers_of(student_nb, source_nb) -> tuple[dict[str, str], str]:
    """{answer grade_id: student's code} and a warning ('' if none).

    Cells are matched by grade id. When every nbgrader mark was stripped but the notebook still
    has the source's number of code cells, answers are matched by position (and the warning says so).
    """
    answers = {nbs.meta(c).get("grade_id"): c.source for c in student_nb.cells
               if nbs.is_solution(c) and c.cell_type == "code" and nbs.meta(c).get("grade_id")}
    if answers or any(nbs.meta(c) for c in student_nb.cells):
        return answers, ""
    src_code = [c for c in source_nb.cells if c.cell_type == "code"]
    stu_code = [c for c in student_nb.cells if c.cell_type == "code"]
    if len(src_code) != len(stu_code):
        return {}, "the notebook lost its nbgrader marks and its cells no longer line up with the assignment"
    return ({nbs.meta(s).get("grade_id"): t.source for s, t in zip(src_code, stu_code) if nbs.is_solution(s)},
            "the notebook lost its nbgrader marks; answers were matched by position")


def build_plan(source_nb, answers: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Cells to execute: the instructor's cells, with the student's answers in the answer cells."""
    plan, missing = [], []
    for cell in nbs.plan(source_nb):
        if cell["kind"] == "answer":
            if cell["grade_id"] in answers:
                cell = dict(cell, source=answers[cell["grade_id"]])
            else:
                missing.append(cell["grade_id"])
                cell = dict(cell, source="raise NotImplementedError('this answer cell was deleted')")
        plan.append(cell)
    return plan, missing


def hidden_lines(source_nb) -> set[str]:
    """Lines of hidden tests, to be removed from any text a student will read."""
    lines = set()
    for cell in source_nb.cells:
        for ln in nbs.region_lines(cell.source, *nbs.HIDDEN_MARKERS):
            if len(ln.strip()) >= 6:
                lines.add(ln.strip())
    return lines


def redact(text: str, secret: set[str], limit: int = 4000) -> str:
    kept = [ln for ln in text.splitlines() if ln.strip() not in secret]
    out = "\n".join(kept)
    return out if len(out) <= limit else out[:limit] + "\n[... truncated]"


# -------------------------------------------------------------------- grading

def grade_one(student: str, assignment: str, folder: Path, limits: Limits, sandbox: bool) -> Outcome:
    """Grade one submission folder (runs in a worker thread; touches no shared state)."""
    start = time.monotonic()
    out = Outcome(student, assignment, digest=submission_digest(folder, assignment))
    source_nb = nbs.read(source_notebook(assignment))
    out.manual = {nbs.meta(c)["grade_id"]: float(nbs.meta(c)["points"]) for c in source_nb.cells
                  if nbs.meta(c).get("grade") and nbs.is_solution(c)}
    tests = [c for c in source_nb.cells if nbs.is_test(c)]
    notebook = folder / f"{assignment}.ipynb"

    def fail_all(status, detail):
        out.status, out.detail = status, detail
        out.tests = [TestVerdict(nbs.meta(c)["grade_id"], 0.0, float(nbs.meta(c)["points"]), "not run", detail)
                     for c in tests]
        out.seconds = time.monotonic() - start
        return out

    if not notebook.is_file():
        return fail_all("missing", f"no {notebook.name} in the submission")
    try:
        student_nb = nbs.read(notebook)
    except (nbs.NotebookError, Exception) as exc:   # nbformat raises several kinds on bad structure
        return fail_all("invalid notebook", str(exc)[:500])
    answers, warning = answers_of(student_nb, source_nb)
    if not answers and warning:
        return fail_all("invalid notebook", warning)
    plan, missing = build_plan(source_nb, answers)
    notes = [warning] if warning else []
    if missing:
        notes.append(f"answer cells missing from the notebook: {', '.join(missing)}")

    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-") as tmp:
        work = Path(tmp) / assignment
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        release = course_root() / "release" / assignment
        for f in release.rglob("*"):            # the course's own files, never the student's copies
            if f.is_file() and f.suffix != ".ipynb":
                (work / f.relative_to(release)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, work / f.relative_to(release))
        results = Path(tmp) / "results"
        results.mkdir()
        os.chmod(tmp, 0o755)
        for p in (work, results):
            os.chmod(p, 0o777)
        runs = {r.index: r for r in run_cells(plan, work, results, assignment, limits, sandbox=sandbox)}
        verdicts = reference.judge(assignment, reference.load_records(results))

    secret = hidden_lines(source_nb)
    index_of = {c["grade_id"]: c["index"] for c in plan}
    for cell in tests:
        gid, pts = nbs.meta(cell)["grade_id"], float(nbs.meta(cell)["points"])
        run = runs[index_of[gid]]
        checks = verdicts.get(gid, [])
        if run.status != "ok":
            err = run.error or {}
            msg = redact(f"{err.get('ename', '')}: {err.get('evalue', '')}", secret)
            status = "failed" if run.status == "error" else run.status
            out.tests.append(TestVerdict(gid, 0.0, pts, status, msg))
        elif failed := [m for _, ok, m in checks if not ok]:
            out.tests.append(TestVerdict(gid, 0.0, pts, "failed", failed[0]))
        else:
            out.tests.append(TestVerdict(gid, pts, pts, "passed"))
    statuses = {r.status for r in runs.values()}
    out.status = "crashed" if statuses & {"crashed", "output limit"} else "timed out" if "timeout" in statuses \
        else "graded"
    out.detail = "; ".join(notes)
    out.seconds = time.monotonic() - start
    return out


# --------------------------------------------------------------- the class run

def register(assignments, root: Path) -> None:
    """Make sure the gradebook knows each assignment's cells (nbgrader generate_assignment)."""
    with tempfile.TemporaryDirectory(prefix="course-register-") as tmp:
        for a in assignments:
            nbgrader(root, "generate_assignment", a, "--force",
                     f"--CourseDirectory.release_directory={tmp}", own_db=False)


def db_url(root: Path) -> str:
    return os.environ.get("COURSE_DB_URL") or f"sqlite:///{root / 'gradebook.db'}"


def save_outcome(outcome: Outcome, root: Path, state: dict, gb) -> None:
    """Gradebook (one transaction), autograded notebook, feedback page, state file."""
    import warnings

    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)   # nbgrader's add_submission is noisy, not wrong
        gb.update_or_create_student(outcome.student)
        try:
            gb.find_submission(outcome.assignment, outcome.student)
        except MissingEntry:
            gb.add_submission(outcome.assignment, outcome.student)
        for t in outcome.tests:
            grade = gb.find_grade(t.grade_id, outcome.assignment, outcome.assignment, outcome.student)
            grade.auto_score = t.points
        gb.db.commit()
    from .feedback import write_feedback

    write_feedback(outcome, root)
    state[f"{outcome.student}/{outcome.assignment}"] = asdict(outcome)
    path = root / "autograded" / STATE_NAME
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, path)


def load_state(root: Path) -> dict:
    path = root / "autograded" / STATE_NAME
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def grade_class(assignments=None, workers: int | None = None, force: bool = False, sandbox: bool = True,
                limits: Limits | None = None, root: Path | None = None, out=print) -> list[Outcome]:
    """Grade every new or changed submission; returns the outcomes of this run."""
    ensure_scripts_on_path()
    root = Path(root or course_root())
    names = list(assignments or present_assignments())
    for a in names:
        if not source_notebook(a).is_file():
            raise unknown_assignment_error(a)
    if sandbox:
        ok, why = sandbox_available()
        if not ok:
            raise RuntimeError(f"cannot sandbox the students' code: {why}. Install bubblewrap, or pass "
                               f"--no-sandbox to run submissions with your own rights (not for real classes).")
    else:
        out("WARNING: --no-sandbox: submissions run as you, can read the course and the gradebook, "
            "and can reach the network. Use this only for your own trusted notebooks.")
    register(names, root)
    state = load_state(root)
    jobs = discover(root, names)
    todo = [(s, a, f) for s, a, f in jobs
            if force or state.get(f"{s}/{a}", {}).get("digest") != submission_digest(f, a)]
    out(f"{len(jobs)} submissions, {len(todo)} to grade ({len(jobs) - len(todo)} unchanged since last run)")
    workers = workers or os.cpu_count() or 1
    limits = limits or Limits()
    outcomes = []
    from . import progress

    from nbgrader.api import Gradebook

    with Gradebook(db_url(root)) as gb, cf.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(grade_one, s, a, f, limits, sandbox): (s, a) for s, a, f in todo}
        try:
            with progress(total=len(futures), desc="grading", unit="nb") as bar:
                for fut in cf.as_completed(futures):
                    s, a = futures[fut]
                    try:
                        outcome = fut.result()
                    except Exception as exc:   # a bug of ours must not stop the class: say who and why
                        outcome = Outcome(s, a, status="error", detail=f"{type(exc).__name__}: {exc}")
                    if outcome.status != "error":
                        save_outcome(outcome, root, state, gb)
                    outcomes.append(outcome)
                    bar.update(1)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            kill_all()
            out("\nInterrupted: the gradebook holds every notebook finished so far; run again to continue.")
            raise
    return outcomes


def print_outcomes(outcomes, out=print) -> None:
    if not outcomes:
        return
    out(f"\n{'student':<16}{'assignment':<30}{'score':>10}  {'status':<16}{'time':>6}")
    for o in sorted(outcomes, key=lambda o: (o.assignment, o.student)):
        out(f"{o.student:<16}{o.assignment:<30}{o.score:>5g}/{o.max_score:<4g}  {o.status:<16}{o.seconds:>5.1f}s")
