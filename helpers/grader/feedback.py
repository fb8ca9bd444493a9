"""Per-student feedback for the class grader, in nbgrader's layout:
``autograded/<student>/<a>/<a>.ipynb`` (for the instructor) and
``feedback/<student>/<a>/<a>.html`` (for the student).

The feedback shows the assignment's text, the student's answers, each test's visible part and
its result with the diagnosis. Hidden test code and reference values are never in it: test
cells come from the release, and messages were redacted by the grader.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from nbformat.v4 import new_markdown_cell, new_notebook, new_output

from . import nb as nbs

from ..paths import release_notebook, source_notebook


def headline(message: str) -> str:
    """The line of a failure message a student should read first: its diagnosis, else its first line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    return next((ln for ln in lines if ln.startswith("Diagnosis")), lines[0] if lines else "")


def text(value) -> str:
    """Any text a student may control, for markdown: shown as written, never as a link, image or markup."""
    escaped = html.escape(str(value).replace("\r", " ").replace("\n", " "), quote=True)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~:])", r"\\\1", escaped)


def _summary(outcome) -> str:
    rows = "\n".join(
        f"| `{t.grade_id}` | {t.points:g} / {t.max_points:g} | {t.status} | {text(headline(t.message))} |"
        for t in outcome.tests)
    manual = "".join(f"\n| `{g}` (written) | – / {p:g} | graded by hand | "
                     f"{'not answered: still YOUR ANSWER HERE' if g in outcome.unanswered else 'answered'} |"
                     for g, p in outcome.manual.items())
    detail = f"\n\n**Note:** {text(outcome.detail)}" if outcome.detail else ""
    return (f"# Feedback — {outcome.assignment}\n\nStudent: **{text(outcome.student)}** · autograded score "
            f"**{outcome.score:g} / {outcome.max_score:g}** · written answers graded by hand: "
            f"**{sum(outcome.manual.values()):g}** points ({len(outcome.unanswered)} not answered) · "
            f"status: **{outcome.status}**{detail}\n\n"
            f"| test | points | result | what went wrong (details below, under the test) |\n|---|---|---|---|\n{rows}{manual}")


def feedback_notebook(outcome, root: Path):
    """The student's notebook as graded: answers, visible tests and verdicts."""
    release_nb = nbs.read(release_notebook(outcome.assignment))
    source_nb = nbs.read(source_notebook(outcome.assignment))
    submitted = root / "submitted" / outcome.student / outcome.assignment / f"{outcome.assignment}.ipynb"
    answers = {}
    try:
        raw = nbs.read_regular(submitted, 16 * 2**20).decode("utf-8")
        answers, _ = nbs.answers_of(nbs.reads(raw, submitted.name), source_nb)
    except Exception:       # an unreadable notebook (or a link): the summary says why; show the assignment only
        answers = {}
    verdict = {t.grade_id: t for t in outcome.tests}
    cells = [new_markdown_cell(_summary(outcome))]
    for cell in release_nb.cells:
        cell = nbs.nbformat.from_dict(dict(cell))
        gid = nbs.meta(cell).get("grade_id")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if nbs.is_solution(cell) and gid in answers:
                cell.source = answers[gid]
            if gid in verdict:
                t = verdict[gid]
                text = (f"✔ passed ({t.points:g}/{t.max_points:g} points)\n" if t.passed else
                        f"✘ {t.status} (0/{t.max_points:g} points)\n{t.message}\n")
                cell.outputs = [new_output("stream", name="stdout", text=text)]
        cells.append(cell)
    return new_notebook(cells=cells, metadata=release_nb.metadata)


def write_feedback(outcome, root: Path) -> None:
    from nbconvert import HTMLExporter

    nb = feedback_notebook(outcome, root)
    graded = root / "autograded" / outcome.student / outcome.assignment
    graded.mkdir(parents=True, exist_ok=True)
    nbs.write(nb, graded / f"{outcome.assignment}.ipynb")
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target = root / "feedback" / outcome.student / outcome.assignment
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{outcome.assignment}.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target / f"{outcome.assignment}.html")
