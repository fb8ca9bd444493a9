"""One result model for every grader: a cell's run, a test's verdict, a notebook's outcome.

The class grader (helpers.grader.grade), a learner's ``check`` (helpers.grader.workspace) and stock
nbgrader (helpers.grader.stock) all answer with an :class:`Outcome` holding one :class:`TestVerdict`
per test cell; the feedback page, the console tables and the report read only these. Every status
is a :class:`Status`, a ``str`` enum, so it compares equal to its text and is written to JSON as it.

Three levels use the one enum:

- a cell's run in the kernel (:class:`CellRun`): OK, ERROR, TIMED_OUT, CRASHED, OUTPUT_LIMIT,
  INVALID_RESULTS, NOT_RUN;
- a test's verdict: PASSED, FAILED, or the run's status when it did not finish;
- a notebook's outcome: GRADED, TIMED_OUT, CRASHED, INVALID_NOTEBOOK, INVALID_RESULTS, MISSING
  (the student's outcome, scored), or GRADER_ERROR, INTERRUPTED (no score is written).
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields


class Status(str, enum.Enum):
    OK = "ok"
    ERROR = "error"
    PASSED = "passed"
    FAILED = "failed"
    GRADED = "graded"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    OUTPUT_LIMIT = "output limit"
    INVALID_RESULTS = "invalid results"
    INVALID_NOTEBOOK = "invalid notebook"
    MISSING = "missing"
    NOT_RUN = "not run"
    GRADER_ERROR = "grader error"
    INTERRUPTED = "interrupted"

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:      # as its text: "graded" in {Status.GRADED} holds, as == does
        return hash(self.value)

    @classmethod
    def _missing_(cls, value):
        return cls.TIMED_OUT if value == "timeout" else None     # the name of a cell timeout before 2026-12

    @property
    def text(self) -> str:
        """What the status means, for a student or an instructor."""
        return _TEXT[self]


_TEXT = {
    Status.OK: "the cell ran without error",
    Status.ERROR: "the cell raised an error",
    Status.PASSED: "the test passed",
    Status.FAILED: "the test failed",
    Status.GRADED: "every cell ran (some tests may have failed)",
    Status.TIMED_OUT: "a cell or the notebook ran out of time; the cells it hit score nothing",
    Status.CRASHED: "the kernel died (a limit, os._exit, a segfault) or printed too much; the rest was re-run",
    Status.OUTPUT_LIMIT: "the notebook printed too much; the cell was stopped",
    Status.INVALID_RESULTS: "the kernel sent malformed or oversized data; nothing it sent was used",
    Status.INVALID_NOTEBOOK: "the notebook could not be read (not JSON, not a notebook, a link, too big)",
    Status.MISSING: "no notebook in the submission folder",
    Status.NOT_RUN: "the cell did not run",
    Status.GRADER_ERROR: "the grader failed on this submission; no score was written (run again)",
    Status.INTERRUPTED: "grading was stopped (Ctrl-C, SIGTERM) before this notebook finished; no score was written",
}

# A notebook's outcomes: the student's (scored, written to the gradebook), then the grader's own failures.
NOTEBOOK_STATUSES = (Status.GRADED, Status.TIMED_OUT, Status.CRASHED, Status.INVALID_NOTEBOOK,
                     Status.INVALID_RESULTS, Status.MISSING, Status.GRADER_ERROR, Status.INTERRUPTED)
SCORED = frozenset(NOTEBOOK_STATUSES[:6])
NEEDS_HUMAN = frozenset(NOTEBOOK_STATUSES) - {Status.GRADED}


@dataclass
class CellRun:
    """One cell executed in the kernel (helpers.grader.sandbox)."""
    index: int
    grade_id: str | None
    kind: str                        # test | answer | code
    status: Status = Status.NOT_RUN
    error: dict | None = None        # {"ename", "evalue", "hidden"} from the kernel (untrusted text)
    output: str = ""
    seconds: float = 0.0


@dataclass
class TestVerdict:
    """One test cell's points, and what the student reads about it."""
    __test__ = False       # not a pytest test class
    grade_id: str
    points: float
    max_points: float
    status: Status         # PASSED | FAILED | TIMED_OUT | CRASHED | OUTPUT_LIMIT | INVALID_RESULTS | NOT_RUN
    message: str = ""      # what the student reads ('' when passed): made by the grader, never kernel text
    detail: str = ""       # the kernel's own error text: untrusted, shown only to a learner's `check`
    visible_failed: bool = False   # the visible part raised (what Validate, run by the student, shows)

    def __post_init__(self):
        self.status = Status(self.status)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


@dataclass
class Outcome:
    """One notebook of one student, graded."""
    student: str
    assignment: str
    status: Status = Status.GRADED
    detail: str = ""
    tests: list[TestVerdict] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)   # written answers: grade_id -> max points
    unanswered: list[str] = field(default_factory=list)      # written answers still holding the stub text
    seconds: float = 0.0
    digest: str = ""
    skipped_files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: prepare, start, cells, judge, save

    def __post_init__(self):
        self.status = Status(self.status)

    @property
    def scored(self) -> bool:
        return self.status in SCORED

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)

    @property
    def by_id(self) -> dict[str, TestVerdict]:
        return {t.grade_id: t for t in self.tests}

    def to_dict(self) -> dict:
        """Plain JSON data (statuses as their text)."""
        data = asdict(self)
        data["status"] = str(self.status)
        for t in data["tests"]:
            t["status"] = str(t["status"])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Outcome":
        """The outcome :meth:`to_dict` wrote (unknown keys, such as a state file's ``last_run``, ignored)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        test_fields = {f.name for f in fields(TestVerdict)}
        kwargs["tests"] = [TestVerdict(**{k: v for k, v in t.items() if k in test_fields})
                           for t in data.get("tests", [])]
        return cls(**kwargs)
