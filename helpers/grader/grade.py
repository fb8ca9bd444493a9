"""`python -m helpers grade`: grade every submission of a class, in parallel, each in a sandbox.

Built on nbgrader's layout and gradebook: submissions are read from
``submitted/<student>/<assignment>/``, graded notebooks written to ``autograded/``, feedback to
``feedback/<student>/<assignment>/<assignment>.html``, scores to the gradebook (``db_url``).

How a notebook is graded:
1. Its cells come from the trusted source notebook, except the answer cells, which are the
   student's (matched by grade id). Test cells, hidden tests included, are the instructor's.
2. The submission is data: only its regular files are copied (links, FIFOs and devices are
   skipped and reported), within a size and file-count cap; the notebook is opened without
   following links.
3. helpers.grader.runner executes the cells in a sandbox (helpers.grader.sandbox) with limits; a crash or
   timeout costs only the cells it hits, the rest run in a fresh kernel after the instructor's
   and the student's earlier cells are replayed.
4. Hidden checks hand their values out over the runner's channel; the grader compares them with
   the reference values here, outside the sandbox. A test cell earns its points when it ran
   without error AND every value it handed over matches. Reference values never enter the
   sandbox; reference stand-ins (helpers.isolate) run here, on the kernel's arguments.
5. What the student reads is built here from verdicts: no text the kernel printed or raised.
6. Only this (parent) process writes the gradebook, one transaction per notebook, and only for
   a notebook it actually graded: a grader-side failure writes no score (see helpers.grader.results.Status).
Before a class run, a pre-flight grades each assignment's reference solution in the same sandbox
and refuses to go on unless it gets full marks. Re-running grades only new or changed
submissions (content hash), unless --force.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import progress, protocol
from ..paths import course_root, hidden_dir, present_assignments, release_folder, source_notebook, unknown_assignment_error
from . import cluster, judge
from . import nb as nbs
from .nb import answers_of, read_regular
from .stock import ensure_scripts_on_path, generate_assignment, gradebook
from .feedback import write_feedback
from .lock import Busy, run_lock
from .submissions import reference_submission
from .results import SCORED, Outcome, Status, TestVerdict
from .sandbox import SANDBOX_GID, SANDBOX_UID, Limits, kill_all, run_cells, sandbox_available
from .warm import ZygotePool

STATE_NAME = ".grading-state.json"
PREFLIGHT_NAME = ".preflight.json"
REGISTERED_NAME = ".registered.json"

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MAX_SUBMISSION_BYTES = 64 * 2**20
MAX_SUBMISSION_FILES = 500
MAX_NOTEBOOK_BYTES = 16 * 2**20
SAFE_EXCEPTIONS = {
    "AssertionError", "AttributeError", "CheckFailure", "FloatingPointError", "ImportError", "IndexError",
    "KeyError", "LinAlgError", "ModuleNotFoundError", "NameError", "NotImplementedError", "OverflowError",
    "RecursionError", "RuntimeError", "StandInError", "StopIteration", "SyntaxError", "TypeError",
    "UnboundLocalError", "ValueError", "ZeroDivisionError", "IndentationError", "MemoryError",
    "AxisError", "UFuncTypeError", "ReferenceValuesError", "Skipped", "UnicodeDecodeError", "OSError", "FileNotFoundError"}


class GraderError(RuntimeError):
    """The grader cannot grade (pre-flight failed, a reference is missing): nothing was scored."""


# ---------------------------------------------------------------- submissions

def _regular_files(folder: Path):
    """(relative path, absolute path) of the regular files under folder, links never followed;
    and the relative paths of everything else (links, FIFOs, devices, sockets)."""
    files, other = [], []
    for top, dirs, names in os.walk(folder, followlinks=False):
        for d in list(dirs):
            if os.path.islink(os.path.join(top, d)) or d == ".ipynb_checkpoints":
                if d != ".ipynb_checkpoints":
                    other.append(os.path.relpath(os.path.join(top, d), folder))
                dirs.remove(d)
        for n in names:
            p = os.path.join(top, n)
            rel = os.path.relpath(p, folder)
            if stat.S_ISREG(os.lstat(p).st_mode):
                files.append((rel, p))
            else:
                other.append(rel)
    return sorted(files), sorted(other)


@dataclass(frozen=True)
class CoursePlan:
    """What every submission of one assignment shares: read, parsed and hashed once per source and reference."""
    source_nb: object
    manual: dict          # written answers: grade id -> points
    tests: list           # the source's test cells
    cells: list           # nbs.plan(source_nb), test cells with the stand-ins they may ask for
    wanted: dict          # test cell grade id -> the value keys it may hand over
    reference_sha: bytes  # of source/<a>/hidden/reference.npz (b"" when missing)


_PLANS: dict = {}
_PLANS_LOCK = threading.Lock()


def course_plan(assignment: str) -> CoursePlan:
    """The assignment's :class:`CoursePlan`, cached by the source notebook's and the reference's file stamps."""
    src, ref = source_notebook(assignment), protocol.reference_path(assignment)
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None for p in (src, ref))
    key = (str(src), stamp)
    with _PLANS_LOCK:
        if key in _PLANS:
            return _PLANS[key]
    source_nb = nbs.read(src)
    cells = []
    for cell in nbs.plan(source_nb):
        if cell["kind"] == "test":
            hidden = "\n".join(nbs.region_lines(cell["source"], *nbs.HIDDEN_MARKERS))
            cell = dict(cell, stand_ins=sorted(stand_in_names(hidden)))
        cells.append(cell)
    wanted: dict[str, set] = {}
    if ref.is_file():
        for k, info in protocol.reference_meta(assignment).items():
            wanted.setdefault(info.get("cell") or "", set()).add(k)
    plan = CoursePlan(source_nb,
                      {nbs.meta(c)["grade_id"]: float(nbs.meta(c)["points"]) for c in source_nb.cells
                       if nbs.meta(c).get("grade") and nbs.is_solution(c)},
                      [c for c in source_nb.cells if nbs.is_test(c)], cells, wanted,
                      hashlib.sha256(ref.read_bytes()).digest() if ref.is_file() else b"")
    with _PLANS_LOCK:
        if len(_PLANS) > 64:          # old stamps of edited sources
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def submission_digest(folder: Path, assignment: str) -> str:
    """Hash of a submission's regular files and of the reference it is judged against."""
    h = hashlib.sha256()
    files, other = _regular_files(folder)
    for rel, path in files[:MAX_SUBMISSION_FILES]:
        try:
            data = read_regular(Path(path), MAX_SUBMISSION_BYTES)
        except OSError:
            data = b"unreadable"
        h.update(rel.encode() + b"\0" + data + b"\0")
    h.update(json.dumps(other).encode())
    h.update(course_plan(assignment).reference_sha or b"no reference")
    return h.hexdigest()[:20]


def copy_submission(folder: Path, target: Path, notebooks: bool = False) -> list[str]:
    """Copy the submission's regular files (its notebooks too with `notebooks`) into target, links,
    FIFOs and devices never followed, within the grader's size limits; returns what was skipped."""
    files, skipped = _regular_files(folder)
    total = 0
    for n, (rel, path) in enumerate(files):
        if rel.endswith(".ipynb") and not notebooks:
            continue
        if n >= MAX_SUBMISSION_FILES:
            skipped.append(f"{rel} (more than {MAX_SUBMISSION_FILES} files)")
            continue
        try:
            data = read_regular(Path(path), MAX_SUBMISSION_BYTES - total)
        except OSError as exc:
            skipped.append(f"{rel} ({exc})")
            continue
        total += len(data)
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return skipped


def discover(root: Path, assignments) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) for every submission folder under submitted/."""
    jobs = []
    sub = root / "submitted"
    if not sub.is_dir():
        return jobs
    for student_dir in sorted(p for p in sub.iterdir() if p.is_dir() and not p.is_symlink()):
        if not STUDENT_ID.match(student_dir.name):
            continue        # reported by invalid_ids()
        for a in assignments:
            folder = student_dir / a
            if folder.is_dir() and not folder.is_symlink():
                jobs.append((student_dir.name, a, folder))
    return jobs


def invalid_ids(root: Path) -> list[str]:
    """Folders under submitted/ whose names cannot be student ids (shown escaped)."""
    sub = root / "submitted"
    if not sub.is_dir():
        return []
    return sorted(repr(p.name) for p in sub.iterdir() if not STUDENT_ID.match(p.name) or p.is_symlink())


def stand_in_names(source: str) -> set[str]:
    """Names a test cell asks reference stand-ins for: isolate.use_reference("a", ...) / reference("b")."""
    names = set()
    try:
        tree = nbs.parse_python(source)
    except SyntaxError:
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if called in ("use_reference", "reference"):
                names.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return names


class StandIns:
    """Serves the reference stand-ins of one assignment (source/<a>/hidden/solution.py), outside the sandbox.

    Only the names that the test cell being executed declares are served.
    """
    _modules: dict = {}
    _lock = threading.Lock()

    def __init__(self, assignment: str):
        self.assignment = assignment

    def module(self):
        path = hidden_dir(self.assignment) / "solution.py"
        key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
        with self._lock:
            if key not in self._modules:
                spec = importlib.util.spec_from_file_location(f"_grader_solution_{self.assignment}", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._modules[key] = module
            return self._modules[key]

    def __call__(self, cell: dict, name: str, args: list, kwargs: dict):
        if cell.get("kind") != "test" or name not in cell.get("stand_ins", ()):
            raise LookupError(f"{name} is not a stand-in of this cell")
        return getattr(self.module(), name)(*args, **kwargs)


STUB_TEXTS = ("YOUR ANSWER HERE",)


def unanswered_written(student_nb, manual: dict[str, float]) -> list[str]:
    """The written (hand-graded) answers that are missing, empty or still hold the release's stub text."""
    text = {nbs.meta(c).get("grade_id"): c.source for c in student_nb.cells if nbs.is_solution(c)}
    return [g for g in manual if not (t := str(text.get(g, "")).strip()) or any(stub in t for stub in STUB_TEXTS)]


def build_plan(cells: list[dict], answers: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Cells to execute: the instructor's cells (:attr:`CoursePlan.cells`), with the student's answers in
    the answer cells."""
    plan, missing = [], []
    for cell in cells:
        if cell["kind"] == "answer":
            if cell["grade_id"] in answers:
                cell = dict(cell, source=answers[cell["grade_id"]])
            else:
                missing.append(cell["grade_id"])
                cell = dict(cell, source="raise NotImplementedError('this answer cell was deleted')")
        plan.append(cell)
    return plan, missing


def _error_message(error: dict | None) -> str:
    """What a student reads when a test cell raised: the kind of error, never the kernel's text."""
    error = error or {}
    ename = str(error.get("ename", ""))
    kind = ename if ename in SAFE_EXCEPTIONS else "an error"
    if error.get("hidden"):
        return (f"the hidden part of this test raised {kind} while running your code on hidden inputs "
                f"(its message is not shown). Your function fails on inputs the visible test does not try: "
                f"check shapes, dtypes and edge values against the docstring.")
    return (f"the visible part of this test failed ({kind}): run this test cell in your notebook to see "
            f"its message and diagnosis.")


_STATUS_TEXT = {
    Status.TIMED_OUT: "this test did not finish in time (an endless loop, or far too slow?)",
    Status.CRASHED: "the kernel died during this test (a limit, os._exit or a segmentation fault)",
    Status.OUTPUT_LIMIT: "the notebook printed too much; this test was stopped",
    Status.INVALID_RESULTS: "the values this test handed over were malformed or too large; none was used",
    Status.NOT_RUN: "this test did not run (the notebook's time limit, or an earlier failure)",
}


def _untrusted(text: str, limit: int = 2000) -> str:
    """Kernel text for a learner's terminal: control characters removed, shortened."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", str(text))
    return text if len(text) <= limit else text[:limit] + " [...]"


def _verdict(cell, run, checks) -> TestVerdict:
    gid, pts = nbs.meta(cell)["grade_id"], float(nbs.meta(cell)["points"])
    failed = [m for _, ok, m in checks if not ok]
    if run.status is Status.OK and not failed:
        return TestVerdict(gid, pts, pts, Status.PASSED)
    detail = "" if run.error is None else _untrusted(f"{run.error.get('ename', '')}: {run.error.get('evalue', '')}", 6000)
    if run.status is Status.OK:
        return TestVerdict(gid, 0.0, pts, Status.FAILED, failed[0], detail)
    if run.status is Status.ERROR:
        # A hidden check's diagnosis, made here from the values, says more than the bare error.
        diagnosed = [m for m in failed if "no value was handed in" not in m]
        message = diagnosed[0] if diagnosed else _error_message(run.error)
        return TestVerdict(gid, 0.0, pts, Status.FAILED, message, detail, visible_failed=not run.error.get("hidden"))
    return TestVerdict(gid, 0.0, pts, run.status, _STATUS_TEXT.get(run.status, run.status), detail)


def _read_answers(notebook: Path, source_nb):
    """(the student's notebook, its answers, a warning) or raises _Unreadable with the status to give."""
    if not os.path.lexists(notebook):
        raise _Unreadable(Status.MISSING, f"no {notebook.name} in the submission")
    try:
        text = read_regular(notebook, MAX_NOTEBOOK_BYTES).decode("utf-8")
        student_nb = nbs.reads(text, str(notebook.name))
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unreadable(Status.INVALID_NOTEBOOK, f"{notebook.name}: {exc}"[:500]) from None
    except Exception as exc:   # nbformat raises several kinds on bad structure
        raise _Unreadable(Status.INVALID_NOTEBOOK, str(exc)[:500]) from None
    answers, warning = answers_of(student_nb, source_nb)
    return student_nb, answers, warning


def student_answers(folder: Path, assignment: str) -> dict[str, str]:
    """{answer grade id: code} of a submission's notebook, read as the grader reads it ({} if unreadable)."""
    try:
        return _read_answers(folder / f"{assignment}.ipynb", course_plan(assignment).source_nb)[1]
    except _Unreadable:
        return {}


class _Unreadable(Exception):
    """The submission has no gradable notebook: args are (status, detail)."""


def _workdir(folder: Path, work: Path, assignment: str, sandbox: bool) -> list[str]:
    """Fill the kernel's folder: the submission's regular files, then the course's own files over them
    (never the student's copies), owned by the sandbox's uid when root grades. Returns what was skipped."""
    skipped = copy_submission(folder, work)
    release = release_folder(assignment)
    for f in release.rglob("*"):
        if f.is_file() and f.suffix != ".ipynb":
            (work / f.relative_to(release)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, work / f.relative_to(release))
    if sandbox and os.geteuid() == 0:       # visible to the sandbox's uid only
        for p in [work, *work.rglob("*")]:
            os.chown(p, SANDBOX_UID, SANDBOX_GID, follow_symlinks=False)
    os.chmod(work, 0o700)
    return skipped


def _notebook_status(run_list) -> Status:
    """A notebook's status from its cells' runs: the worst thing that happened to any of them."""
    statuses = {r.status for r in run_list}
    return (Status.INVALID_RESULTS if Status.INVALID_RESULTS in statuses else
            Status.CRASHED if statuses & {Status.CRASHED, Status.OUTPUT_LIMIT} else
            Status.TIMED_OUT if Status.TIMED_OUT in statuses else Status.GRADED)


def _run(plan, folder: Path, assignment: str, limits: Limits, sandbox: bool, warm: ZygotePool | None = None,
         timing: dict | None = None):
    """Execute the plan in a fresh folder (sandboxed); returns (runs by index, records, skipped files)."""
    wanted = course_plan(assignment).wanted
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        os.chmod(tmp, 0o700)
        work = Path(tmp) / assignment
        work.mkdir()
        skipped = _workdir(folder, work, assignment, sandbox)
        began = time.monotonic()
        zygote = warm.acquire() if warm is not None and sandbox else None
        if timing is not None:        # a warm sandbox started for this worker counts as start-up
            timing["start"] = timing.get("start", 0.0) + time.monotonic() - began
        try:
            run_list, records = run_cells(plan, work, assignment, limits, sandbox=sandbox, zygote=zygote,
                                          submission=work if sandbox else None, serve=StandIns(assignment),
                                          wanted=wanted, timing=timing)
        finally:
            if warm is not None:
                warm.release(zygote)
    return run_list, records, skipped


def grade_one(student: str, assignment: str, folder: Path, limits: Limits, sandbox: bool,
              warm: ZygotePool | None = None) -> Outcome:
    """Grade one submission folder (runs in a worker thread; touches no shared state).

    warm: warm sandboxes to fork the kernel from (one per thread), else a new sandbox per kernel."""
    nbs.guard_ast()                       # the threads of this process parse one at a time
    start = time.monotonic()
    out = Outcome(student, assignment, digest=submission_digest(folder, assignment))
    course = course_plan(assignment)
    if not course.reference_sha:
        raise GraderError(f"no reference values for {assignment}: run `python -m helpers build {assignment}`")
    source_nb, tests, out.manual = course.source_nb, course.tests, dict(course.manual)
    try:
        student_nb, answers, warning = _read_answers(folder / f"{assignment}.ipynb", source_nb)
        out.unanswered = unanswered_written(student_nb, out.manual)
        if not answers and warning:
            raise _Unreadable(Status.INVALID_NOTEBOOK, warning)
    except _Unreadable as exc:
        out.status, out.detail = exc.args
        out.tests = [TestVerdict(nbs.meta(c)["grade_id"], 0.0, float(nbs.meta(c)["points"]), Status.NOT_RUN,
                                 out.detail) for c in tests]
        out.seconds = time.monotonic() - start
        return out
    plan, missing = build_plan(course.cells, answers)
    notes = [warning] if warning else []
    if missing:
        notes.append(f"answer cells missing from the notebook: {', '.join(missing)}")
    out.timings["prepare"] = time.monotonic() - start
    began = time.monotonic()
    timing: dict[str, float] = {}
    run_list, records, out.skipped_files = _run(plan, folder, assignment, limits, sandbox, warm, timing)
    out.timings.update(start=timing.get("start", 0.0), cells=timing.get("cells", 0.0))
    out.timings["files"] = time.monotonic() - began - out.timings["start"] - out.timings["cells"]
    began = time.monotonic()
    runs = {r.index: r for r in run_list}
    verdicts = judge.judge(assignment, records)
    index_of = {c["grade_id"]: c["index"] for c in plan}
    out.tests = [_verdict(c, runs[index_of[nbs.meta(c)["grade_id"]]], verdicts.get(nbs.meta(c)["grade_id"], []))
                 for c in tests]
    out.status = _notebook_status(run_list)
    if out.status is Status.INVALID_RESULTS:
        for t in out.tests:
            t.points = 0.0
    if out.skipped_files:
        notes.append(f"files not copied (links, FIFOs, devices, or over the caps): {', '.join(out.skipped_files[:10])}")
    out.detail = "; ".join(notes)
    out.timings["judge"] = time.monotonic() - began
    out.seconds = time.monotonic() - start
    return out


# --------------------------------------------------------------- the class run

def _graded_cells(assignment: str) -> dict[str, float]:
    """{grade id: points} of the source notebook's graded cells (tests and written answers)."""
    return {nbs.meta(c)["grade_id"]: float(nbs.meta(c)["points"]) for c in nbs.read(source_notebook(assignment)).cells
            if nbs.meta(c).get("grade")}


def _registered(gb, assignment: str) -> bool:
    """The gradebook holds the assignment's notebook with exactly the source's graded cells and points."""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_notebook(assignment, assignment)
    except MissingEntry:
        return False
    return {c.name: float(c.max_score) for c in notebook.grade_cells} == _graded_cells(assignment)


def register(assignments, root: Path) -> list[str]:
    """Make sure the gradebook knows each assignment's cells (nbgrader generate_assignment).

    Done once per source notebook: an assignment is registered again only when its source changed
    since the last registration into this gradebook (``autograded/.registered.json``, by content
    hash) or the gradebook lacks its cells. Returns the assignments registered now.
    """
    cache = root / "autograded" / REGISTERED_NAME
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    url = db_url(root)
    hashes = {a: protocol.source_hash(source_notebook(a)) for a in assignments}
    with gradebook(url) as gb:
        todo = [a for a in assignments if known.get(url, {}).get(a) != hashes[a] or not _registered(gb, a)]
    with tempfile.TemporaryDirectory(prefix="course-register-") as tmp:
        for a in todo:
            generate_assignment(root, a, url, Path(tmp) / "release")
            known.setdefault(url, {})[a] = hashes[a]
    if todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known, indent=1))
    return todo


def db_url(root: Path) -> str:
    return os.environ.get("COURSE_DB_URL") or f"sqlite:///{root / 'gradebook.db'}"


def submission_timestamp(folder: Path):
    """The submission's time from its timestamp.txt (written by nbgrader submit and collect), or None."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(read_regular(folder / "timestamp.txt", 4096).decode("utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError, TypeError, OverflowError):
        return None


def save_outcome(outcome: Outcome, root: Path, state: dict, gb) -> None:
    """Gradebook (one transaction), autograded notebook, feedback page, state file.

    A notebook the grader did not grade (grader error, interrupted) writes no score: its earlier
    gradebook entry, if any, stays; the state file records what happened.
    """
    key = f"{outcome.student}/{outcome.assignment}"
    if outcome.scored:
        import warnings

        from nbgrader.api import MissingEntry
        from sqlalchemy.exc import SAWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)   # nbgrader's add_submission is noisy, not wrong
            try:
                gb.update_or_create_student(outcome.student)
                try:
                    submission = gb.find_submission(outcome.assignment, outcome.student)
                except MissingEntry:
                    submission = gb.add_submission(outcome.assignment, outcome.student)
                if when := submission_timestamp(root / "submitted" / outcome.student / outcome.assignment):
                    submission.timestamp = when      # as nbgrader autograde keeps it: late is against the due date
                for t in outcome.tests:
                    grade = gb.find_grade(t.grade_id, outcome.assignment, outcome.assignment, outcome.student)
                    grade.auto_score = t.points
                gb.db.commit()
            except Exception:
                gb.db.rollback()
                raise
        write_feedback(outcome, root)
        state[key] = outcome.to_dict()
    else:
        previous = state.get(key)
        entry = dict(previous) if previous and previous.get("status") in SCORED else outcome.to_dict()
        entry["last_run"] = {"status": str(outcome.status), "detail": outcome.detail}
        if entry is not previous and previous is None:
            entry["digest"] = ""      # never counts as graded: the next run grades it
        state[key] = entry
    write_state(root, state)


def write_state(root: Path, state: dict) -> None:
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


# ------------------------------------------------------------------ pre-flight

def _preflight_key(assignment: str, limits: Limits, sandbox: bool, warm: bool) -> str:
    """Hash of everything a pre-flight's pass depends on."""
    return hashlib.sha256(json.dumps([
        assignment, protocol.source_hash(source_notebook(assignment)), sandbox, bool(warm), asdict(limits),
        hashlib.sha256(protocol.reference_path(assignment).read_bytes()).hexdigest()
        if protocol.reference_path(assignment).is_file() else "",
        _package_hash()]).encode()).hexdigest()


def _preflight_passed(cache: Path | None) -> list[str]:
    try:
        return list(json.loads(cache.read_text()).get("passed", [])) if cache is not None else []
    except (OSError, ValueError, AttributeError):
        return []


def _remember_preflight(cache: Path | None, key: str) -> None:
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"passed": (_preflight_passed(cache) + [key])[-50:]}))


def _reference_folder(tmp: Path, assignment: str) -> Path:
    """A submission folder holding the assignment's reference solution."""
    folder = Path(tmp) / assignment
    folder.mkdir(parents=True)
    nbs.write(reference_submission(assignment), folder / f"{assignment}.ipynb")
    return folder


def _judge_preflight(assignment: str, outcome: Outcome) -> None:
    """Raise GraderError unless the reference solution got full marks."""
    lost = [t for t in outcome.tests if not t.passed]
    if outcome.status is Status.GRADED and not lost and outcome.tests:
        return
    first = lost[0] if lost else None
    why = (first.detail or first.message) if first else outcome.detail
    hint = ""
    if "ModuleNotFoundError" in why or "ImportError" in why or outcome.status is Status.CRASHED:
        hint = (f"\n  The sandbox may not be able to import the course: it binds {Path(__file__).parent} and "
                f"the Python at {os.path.realpath(os.sys.prefix)}. Run `pip install -e .` in this course "
                f"folder with the Python you grade with, or run `.venv/bin/python -m helpers grade`.")
    raise GraderError(
        f"pre-flight failed for {assignment}: the reference solution got {outcome.score:g}/{outcome.max_score:g} "
        f"(status {outcome.status}) in the sandbox"
        + (f"; first failure: {first.grade_id}: {_untrusted(why, 600)}" if first else f": {why}")
        + hint + "\n  Nothing was graded and the gradebook was not touched.")


def preflight(assignment: str, limits: Limits, sandbox: bool, cache: Path | None = None,
              warm: ZygotePool | None = None) -> None:
    """Grade the reference solution in the same sandbox with the same limits; raise GraderError unless full marks.

    With `cache` (a JSON file), a pass is remembered by the hash of everything it depends on.
    (A class run does the same in its worker pool, beside the submissions: see :func:`_grade_all`.)
    """
    key = _preflight_key(assignment, limits, sandbox, warm is not None)
    if key in _preflight_passed(cache):
        return
    with tempfile.TemporaryDirectory(prefix="course-preflight-") as tmp:
        outcome = grade_one("reference-solution", assignment, _reference_folder(Path(tmp), assignment),
                            limits, sandbox, warm)
    _judge_preflight(assignment, outcome)
    _remember_preflight(cache, key)


def _package_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------- the class run

def _require_sandbox(sandbox: bool, out) -> None:
    """Refuse to grade (GraderError) when the sandbox cannot start; warn loudly without one."""
    if not sandbox:
        out("WARNING: --no-sandbox: submissions run as you, can read the course and the gradebook, "
            "and can reach the network. Use this only for your own trusted notebooks.")
        return
    ok, why = sandbox_available()
    if not ok:
        fix = ("run `pip install -e .` in this course folder with the Python you grade with" if "import" in why
               else "install bubblewrap (and allow unprivileged user namespaces)")
        raise GraderError(f"cannot sandbox the students' code: {why}\n  To fix: {fix}; or pass --no-sandbox "
                          f"to run submissions with your own rights (not for real classes). Nothing was graded.")


def _settling(folder: Path, settle: float) -> bool:
    """Something in the submission folder changed less than `settle` seconds ago (a copy still arriving)."""
    newest = max([os.lstat(folder).st_mtime] + [os.lstat(p).st_mtime for _, p in _regular_files(folder)[0]])
    return time.time() - newest < settle


def _to_grade(root: Path, names, state: dict, force: bool, out, settle: float = 0.0) -> list[tuple[str, str, Path]]:
    """The submissions that are new or changed since the last run (all of them with force); with
    `settle`, not those still being written (changed in the last `settle` seconds: the next run takes them)."""
    jobs = discover(root, names)
    if settle > 0:
        jobs = [(s, a, f) for s, a, f in jobs if not _settling(f, settle)]
    if bad := invalid_ids(root):
        out(f"skipped {len(bad)} folder(s) under submitted/ whose names are not valid student ids "
            f"(letters, digits, . _ @ + -; no spaces, newlines or path separators): {', '.join(bad[:10])}")
    todo = [(s, a, f) for s, a, f in jobs
            if force or state.get(f"{s}/{a}", {}).get("digest") != submission_digest(f, a)]
    out(f"{len(jobs)} submissions, {len(todo)} to grade ({len(jobs) - len(todo)} unchanged since last run)")
    return todo


class _Tasks:
    """Submissions to grade, through threads here or a Dask cluster (helpers.grader.cluster); each
    future's result comes back as an :class:`Outcome`."""

    def __init__(self, scheduler, workers: int, limits: Limits, sandbox: bool, warm: ZygotePool | None,
                 warm_remote: bool, root: Path, assignments):
        self.limits, self.sandbox, self.warm, self.root = limits, sandbox, warm, root
        # the course (sources, release, reference values) as this process sees it: the same path on the workers
        self.remote_args = (asdict(limits), sandbox, warm_remote, str(course_root()), sorted(assignments))
        self.ex = cluster.DaskExecutor(remote_grade, scheduler) if scheduler else cluster.LocalExecutor(grade_one, workers)
        self.remote = bool(scheduler)
        self.label = self.ex.label
        self.folders: dict = {}          # future -> its submission's folder

    def submit(self, student: str, assignment: str, folder: Path):
        if self.remote:
            future = self.ex.submit(student, assignment, str(folder), *self.remote_args, name=f"grade-{assignment}")
        else:
            future = self.ex.submit(student, assignment, folder, self.limits, self.sandbox, self.warm)
        self.folders[future] = Path(folder)
        return future

    def outcome(self, future, student: str, assignment: str) -> Outcome:
        folder = self.folders.pop(future, None)
        try:
            result = self.ex.result(future)
        except cluster.WorkersKilled:
            return crashed_workers(student, assignment, folder)
        return Outcome.from_dict(result) if isinstance(result, dict) else result


def crashed_workers(student: str, assignment: str, folder: Path | None = None) -> Outcome:
    """A submission whose task killed every Dask worker it ran on: crashed, no points, said why. With
    its folder, the outcome carries the submission's digest: it is not tried again until it changes."""
    why = ("the grading worker died every time it ran this notebook (the worker's own memory or process "
           "limit, or a crash the sandbox could not contain); it was not retried further")
    tests = [TestVerdict(nbs.meta(c)["grade_id"], 0.0, float(nbs.meta(c)["points"]), Status.CRASHED, why)
             for c in course_plan(assignment).tests]
    return Outcome(student, assignment, status=Status.CRASHED, detail=why, tests=tests,
                   manual=dict(course_plan(assignment).manual),
                   digest=submission_digest(folder, assignment) if folder is not None else "")


_WORKER_POOLS: dict = {}
_WORKER_LOCK = threading.Lock()


def remote_grade(student: str, assignment: str, folder: str, limits: dict, sandbox: bool, warm: bool,
                 root: str, assignments: list) -> dict:
    """A Dask task: grade one submission on this worker, in a sandbox of this worker; its Outcome as data.

    The worker keeps one pool of warm sandboxes per limits (and one BLAS thread, as the grader does).
    Whatever goes wrong on the worker (it cannot sandbox; a bug of ours) comes back as a grader error
    outcome, never as an exception: the grader writes no score for it, and an exception that does
    not survive the trip (one Dask cannot deserialize left the class run waiting forever) cannot."""
    try:
        if os.environ.get("COURSE_ROOT") != root:
            os.environ["COURSE_ROOT"] = root          # the course the task names (a shared filesystem)
        if sandbox and not (probe := sandbox_available())[0]:
            raise GraderError(f"the Dask worker on {os.uname().nodename} cannot sandbox: {probe[1]}")
        lim = Limits(**limits)
        pool = _worker_pool(lim, limits, assignments) if sandbox and warm else None
        return grade_one(student, assignment, Path(folder), lim, sandbox, pool).to_dict()
    except Exception as exc:                  # noqa: BLE001  (said in the outcome, with the worker's name)
        detail = f"on the Dask worker {os.uname().nodename}: {type(exc).__name__}: {exc}"
        return Outcome(student, assignment, status=Status.GRADER_ERROR, detail=detail[:500]).to_dict()


def _worker_pool(lim: Limits, limits: dict, assignments: list) -> ZygotePool:
    """This worker process's warm sandboxes for these limits (and one BLAS thread for its life)."""
    from threadpoolctl import threadpool_limits

    key = (json.dumps(limits, sort_keys=True), tuple(assignments))
    with _WORKER_LOCK:
        if not _WORKER_POOLS:
            _WORKER_POOLS["blas"] = threadpool_limits(limits=1)
            _reuse_heap()
        if key not in _WORKER_POOLS:
            _WORKER_POOLS[key] = ZygotePool(lim, lambda *_: None, assignments)
        return _WORKER_POOLS[key]


def _reuse_heap() -> None:
    """Undo, in this Dask worker, what its nanny's MALLOC_TRIM_THRESHOLD_=65536 does to numpy.

    Setting that variable also fixes glibc's mmap threshold at 128 KiB (it is otherwise raised as
    large blocks are freed), so every array over 128 KiB the stand-ins and the judge make is mapped,
    faulted in and unmapped again. Measured on the warm 42-notebook class, one worker process of
    two threads: 49.3 s with it, 41.4 s without (the thread pool: 35.8 s and 37.4 s in those runs).
    Here the thresholds are set high instead, so freed arrays are reused."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:                 # not glibc (musl): nothing to undo
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 2**20)
    libc.mallopt(m_trim_threshold, 64 * 2**20)


def _grade_all(todo, tasks: _Tasks, root: Path, state: dict, checks: dict | None = None) -> list[Outcome]:
    """Grade `todo` through `tasks`; this thread alone writes the gradebook, as each one finishes.

    checks: {assignment: pre-flight key} of the pre-flights still to pass. They are graded first, by
    the same workers, beside the submissions; no outcome is saved (and the gradebook is neither
    created nor registered) until every one of them passed, and the first that fails stops the run
    with a GraderError, nothing written.
    """
    from threadpoolctl import threadpool_limits

    outcomes, futures, held, checking = [], {}, [], {}
    # Stand-ins run in this process, several at once: one BLAS thread each. (Multi-threaded
    # OpenBLAS called from concurrent threads on a busy machine slowed one test cell from 0.6 s
    # to over 60 s, a timeout the student did not cause.)
    blas = threadpool_limits(limits=1)
    cache = root / "autograded" / PREFLIGHT_NAME
    # A cluster's workers read the reference submissions too: under the course folder, not this host's /tmp.
    scratch = root / "autograded" if tasks.remote else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".preflight-", dir=scratch) as tmp, contextlib.ExitStack() as stack:
            for a in checks or {}:
                checking[tasks.submit("reference-solution", a, _reference_folder(Path(tmp), a))] = a
            futures = {tasks.submit(s, a, f): (s, a) for s, a, f in todo}
            gb = None if checking else _open_gradebook(root, todo, stack)
            with progress(total=len(futures), desc=f"grading ({tasks.label})", unit="nb") as bar:
                for fut in tasks.ex.as_completed([*checking, *futures]):
                    if fut in checking:
                        a = checking.pop(fut)
                        _judge_preflight(a, tasks.outcome(fut, "reference-solution", a))
                        _remember_preflight(cache, checks[a])
                        if not checking:          # every pre-flight passed: now the gradebook
                            gb = _open_gradebook(root, todo, stack)
                            for outcome in held:
                                _save_timed(outcome, root, state, gb)
                        continue
                    s, a = futures.pop(fut)
                    try:
                        outcome = tasks.outcome(fut, s, a)
                    except cluster.ClusterLost:
                        raise
                    except Exception as exc:   # a bug of ours must not stop the class: say who and why
                        outcome = Outcome(s, a, status=Status.GRADER_ERROR, detail=f"{type(exc).__name__}: {exc}"[:500])
                    outcomes.append(outcome)
                    if checking:
                        held.append(outcome)
                    else:
                        _save_timed(outcome, root, state, gb)
                    bar.update(1)
    except KeyboardInterrupt:
        tasks.ex.shutdown()
        kill_all()
        raise _interrupted(outcomes, futures, held) from None
    except cluster.ClusterLost as exc:
        tasks.ex.shutdown()
        raise GraderError(f"{exc}. {len(outcomes) - len(held)} notebook(s) were graded and saved before; "
                          f"{len(futures) + len(held)} were not: run the same command again to grade them "
                          f"(unchanged submissions are not graded twice).") from None
    except GraderError:
        tasks.ex.shutdown()
        kill_all()
        raise
    finally:
        tasks.ex.shutdown()
        blas.restore_original_limits()
    return outcomes


def _interrupted(outcomes, futures, held) -> "_Interrupted":
    """The run stopped: what was saved, and the rest (running, queued or held unsaved) as interrupted."""
    stopped = [(s, a) for s, a in futures.values()] + [(o.student, o.assignment) for o in held]
    kept = [o for o in outcomes if not any(o is h for h in held)]
    return _Interrupted(kept + [Outcome(s, a, status=Status.INTERRUPTED, detail="grading was stopped")
                                for s, a in stopped])


def _expected_seconds(assignments, state: dict) -> dict[str, float]:
    """How long a notebook of each assignment takes: the median of the last run's, when every one was
    graded before; else the number of cells the grader runs (06's 39 against 01's 15)."""
    seconds: dict[str, list] = {}
    for key, entry in state.items():
        if isinstance(entry, dict) and isinstance(entry.get("seconds"), (int, float)):
            seconds.setdefault(key.rsplit("/", 1)[-1], []).append(float(entry["seconds"]))
    if all(seconds.get(a) for a in assignments):
        import statistics

        return {a: statistics.median(seconds[a]) for a in assignments}
    return {a: float(len(course_plan(a).cells)) for a in assignments}


def _open_gradebook(root: Path, todo, stack: contextlib.ExitStack):
    """Register the assignments being graded, then open the gradebook for the run (closed by `stack`)."""
    register(sorted({a for _, a, _ in todo}), root)
    return stack.enter_context(gradebook(db_url(root)))


def _save_timed(outcome: Outcome, root: Path, state: dict, gb) -> None:
    began = time.monotonic()
    save_outcome(outcome, root, state, gb)
    outcome.timings["save"] = time.monotonic() - began


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a class run; carries the outcomes so far."""


def grade_class(assignments=None, workers: int | None = None, force: bool = False, sandbox: bool = True,
                limits: Limits | None = None, root: Path | None = None, out=print,
                preflight_check: bool = True, warm: bool = True, scheduler=None, settle: float = 0.0) -> list[Outcome]:
    """Grade every new or changed submission; returns the outcomes of this run.

    warm: fork each notebook's kernel from a warm sandbox per worker (helpers.grader.zygote), else
    start a new sandbox for every kernel. scheduler: a Dask scheduler's address (or a distributed
    Client) to grade on, else $COURSE_DASK_SCHEDULER, else threads here (helpers.grader.cluster).
    Raises GraderError (nothing graded) when the pre-flight
    fails; KeyboardInterrupt on Ctrl-C or SIGTERM after stopping every sandbox (finished notebooks
    are saved; the rest get no score). settle: leave submissions changed in the last `settle` seconds
    for a later run (``watch``).
    """
    ensure_scripts_on_path()
    root = Path(root or course_root())
    names = list(assignments or present_assignments())
    for a in names:
        if not source_notebook(a).is_file():
            raise unknown_assignment_error(a)
    try:
        with run_lock(root, db_url(root)):          # one run at a time (helpers.grader.lock)
            return _grade_class(names, workers, force, sandbox, limits, root, out, preflight_check, warm, scheduler,
                                settle)
    except Busy as exc:
        raise GraderError(f"{exc}\n  Nothing was graded by this run.") from None


def _grade_class(names, workers, force, sandbox, limits, root: Path, out, preflight_check, warm, scheduler, settle):
    """grade_class, holding the run's lock."""
    scheduler = scheduler or os.environ.get(cluster.SCHEDULER_ENV) or None
    if scheduler is None:
        _require_sandbox(sandbox, out)          # a cluster's workers check their own
    limits = limits or Limits()
    state = load_state(root)
    todo = _to_grade(root, names, state, force, out, settle)
    if not todo:
        return []
    graded = sorted({a for _, a, _ in todo})
    cost = _expected_seconds(graded, state)
    todo.sort(key=lambda job: -cost[job[1]])        # longest first: no long notebook left for the end
    graded.sort(key=lambda a: -cost[a])
    pool = ZygotePool(limits, out, graded) if sandbox and warm and scheduler is None else None
    tasks = None
    try:
        tasks = _Tasks(scheduler, workers or os.cpu_count() or 1, limits, sandbox, pool, warm, root, graded)
        checks = {}
        if preflight_check:
            passed = _preflight_passed(root / "autograded" / PREFLIGHT_NAME)
            checks = {a: key for a in graded if (key := _preflight_key(a, limits, sandbox, warm)) not in passed}
        return _grade_all(todo, tasks, root, state, checks)
    except cluster.ClusterLost as exc:       # could not reach the scheduler: nothing was graded
        raise GraderError(f"{exc}\n  Nothing was graded. Start the scheduler and its workers (see the README, "
                          f"'Grading on a cluster'), or grade here without --scheduler.") from None
    except _Interrupted:
        out("\nInterrupted: the gradebook holds every notebook finished so far; run again to continue.")
        raise KeyboardInterrupt from None
    finally:
        if pool is not None:
            pool.close()


def _cell(text: str, width: int) -> str:
    """Student-controlled text for a console table: printable, one line, cut to width."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", str(text))
    return text if len(text) <= width else text[: width - 1] + "…"


def print_outcomes(outcomes, out=print) -> None:
    if not outcomes:
        return
    out(f"\n{'student':<16}{'assignment':<30}{'score':>10}  {'status':<16}{'time':>6}")
    for o in sorted(outcomes, key=lambda o: (o.assignment, o.student)):
        score = f"{o.score:>5g}/{o.max_score:<4g}" if o.scored else f"{'-':>5}/{'-':<4}"
        out(f"{_cell(o.student, 15):<16}{o.assignment:<30}{score}  {o.status:<16}{o.seconds:>5.1f}s")
    if failed := [o for o in outcomes if not o.scored]:
        out(f"\n{len(failed)} notebook(s) were NOT graded (no score written):")
        for o in failed:
            out(f"  {_cell(o.student, 40)}/{o.assignment}: {o.status}: {_cell(o.detail, 200)}")
