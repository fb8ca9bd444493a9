"""`python -m helpers export --format canvas|moodle|csv [--out FILE]`: the gradebook, for the LMS.

Everything comes from nbgrader's gradebook (so manual grades a TA entered in formgrader are in):
per student and assignment the autograded points, the manual points (written answers, and any
autograded cell a human overrode), the score nbgrader computes (late penalty and extra credit
included) and the maximum; and each student's total.

Formats:

``canvas``
    Canvas's gradebook import (Grades > Import): the columns ``Student``, ``ID``, ``SIS User ID``,
    ``SIS Login ID``, ``Section``, then one column per assignment, and a first row ``Points
    Possible``. The student is matched on ``SIS Login ID`` (the nbgrader student id) or, when
    the gradebook holds it, ``ID`` (nbgrader's ``lms_user_id``). Canvas computes totals itself
    (its total columns are read-only), so none is written.
``moodle``
    Moodle's grade import from a CSV file: ``First name``, ``Last name``, ``ID number`` (the
    nbgrader student id: map it to the user's ``idnumber`` or ``username``), ``Email address``,
    then one ``Assignment: <name> (Real)`` column per assignment, mapped to its grade item.
    Moodle computes the course total, so none is written.
``csv``
    Everything: per assignment ``<a> auto``, ``<a> manual``, ``<a> score`` and ``<a> max``, then
    ``total`` and ``max``.

A student without a submission of an assignment gets an empty cell (an LMS then leaves its grade
alone), not a zero, unless ``missing_as_zero``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("canvas", "moodle", "csv")


@dataclass
class Mark:
    """One student's points on one assignment, as the gradebook holds them."""
    auto: float
    manual: float
    score: float
    max: float


@dataclass
class StudentRow:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    marks: dict = field(default_factory=dict)      # assignment -> Mark (absent: no submission)

    @property
    def display_name(self) -> str:
        """Canvas's "Last, First" (the id when the gradebook has no name)."""
        if self.last_name or self.first_name:
            return ", ".join(p for p in (self.last_name, self.first_name) if p)
        return self.id


def _mark(submission) -> Mark:
    auto = manual = 0.0
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.manual_score is not None:
                manual += grade.manual_score
            elif grade.auto_score is not None:
                auto += grade.auto_score
    return Mark(auto, manual, float(submission.score), float(submission.max_score))


def gather(db_url: str, assignments=None) -> tuple[list[tuple[str, float]], list[StudentRow]]:
    """[(assignment, max points)] in due-date then name order, and one row per student of the gradebook."""
    from nbgrader.api import MissingEntry

    from .stock import gradebook

    with gradebook(db_url) as gb:
        known = sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate or 0, a.name))
        names = [a.name for a in known]
        if assignments:
            unknown = [a for a in assignments if a not in names]
            if unknown:
                raise ValueError(f"not in the gradebook: {', '.join(unknown)} (it has: {', '.join(names) or 'none'})")
            known = [a for a in known if a.name in assignments]
        columns = [(a.name, float(a.max_score)) for a in known]
        rows = []
        for s in sorted(gb.students, key=lambda s: s.id):
            row = StudentRow(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
            for name, _ in columns:
                try:
                    row.marks[name] = _mark(gb.find_submission(name, s.id))
                except MissingEntry:
                    pass
            rows.append(row)
    return columns, rows


def _text(value: str) -> str:
    """A name or address as a spreadsheet will not run it: a leading = + - @ (a formula) gets a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _cell(row: StudentRow, assignment: str, part: str, missing_as_zero: bool) -> str:
    mark = row.marks.get(assignment)
    if mark is None:
        return "0" if missing_as_zero and part != "max" else ""
    return _points(getattr(mark, part))


def render(fmt: str, columns, rows, missing_as_zero: bool = False) -> str:
    """The file's text in format `fmt` (see the module's docstring)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = [a for a, _ in columns]
    if fmt == "canvas":
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
        w.writerow(["Points Possible", "", "", "", "", *(_points(m) for _, m in columns)])
        for r in rows:
            w.writerow([_text(r.display_name), _text(r.lms_user_id), "", r.id, "",
                        *(_cell(r, a, "score", missing_as_zero) for a in names)])
    elif fmt == "moodle":
        w.writerow(["First name", "Last name", "ID number", "Email address",
                    *(f"Assignment: {a} (Real)" for a in names)])
        for r in rows:
            w.writerow([_text(r.first_name), _text(r.last_name), r.id, _text(r.email),
                        *(_cell(r, a, "score", missing_as_zero) for a in names)])
    else:
        w.writerow(["student_id", "first_name", "last_name", "email",
                    *(f"{a} {part}" for a in names for part in ("auto", "manual", "score", "max")), "total", "max"])
        for r in rows:
            total = sum(m.score for m in r.marks.values())
            w.writerow([r.id, _text(r.first_name), _text(r.last_name), _text(r.email),
                        *(_cell(r, a, part, missing_as_zero) for a in names for part in ("auto", "manual", "score", "max")),
                        _points(total), _points(sum(m for _, m in columns))])
    return buf.getvalue()


def export(fmt: str, out_file: Path | None = None, assignments=None, missing_as_zero: bool = False,
           db_url: str | None = None, out=print) -> Path:
    """Write the gradebook as `fmt` to out_file (default autograded/grades-<fmt>.csv); its path."""
    from ..paths import course_root
    from .grade import db_url as course_db_url

    root = course_root()
    url = db_url or course_db_url(root)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        raise ValueError(f"no gradebook at {url[len('sqlite:///'):]}: run `python -m helpers grade` first")
    columns, rows = gather(url, assignments)
    if not rows:
        raise ValueError("the gradebook has no students yet: run `python -m helpers grade` first")
    path = Path(out_file) if out_file else root / "autograded" / f"grades-{fmt}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(fmt, columns, rows, missing_as_zero), encoding="utf-8")
    tmp.replace(path)
    missing = sum(1 for r in rows for a, _ in columns if a not in r.marks)
    out(f"wrote {path}: {len(rows)} students x {len(columns)} assignments ({fmt}; {missing} missing "
        f"submission(s) {'as 0' if missing_as_zero else 'left empty'})")
    return path
