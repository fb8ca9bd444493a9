"""`python -m helpers report`: the class at a glance, from the grader's records.

Writes ``autograded/report.csv`` (one row per student and assignment, a column per test with
its points, and the status) and ``autograded/report.html``, a self-contained page with plots:
score distribution per question, the most-failed tests with their most common diagnoses,
runtime per notebook, and the submissions that need a human.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

from ..paths import course_root
from .feedback import headline
from .grade import load_state
from .results import NEEDS_HUMAN, Outcome, Status


def _diagnosis_kind(message: str) -> str:
    """A message reduced to what it says is wrong (numbers dropped), to count alike failures."""
    return re.sub(r"(?<![\w])[-+]?\d[\d.e+-]*", "#", headline(message))[:160]


def write_csv(records: list[Outcome], path: Path) -> None:
    tests = sorted({(r.assignment, t.grade_id) for r in records for t in r.tests})
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "assignment", "status", "score", "max_score", "seconds",
                    "written_points", "written_unanswered"] + [f"{a}:{g}" for a, g in tests])
        for r in sorted(records, key=lambda r: (r.student, r.assignment)):
            pts = {(r.assignment, t.grade_id): f"{t.points:g} ({t.status})" for t in r.tests}
            w.writerow([r.student, r.assignment, r.status, f"{r.score:g}", f"{r.max_score:g}",
                        f"{r.seconds:.1f}", f"{sum(r.manual.values()):g}",
                        " ".join(r.unanswered)] + [pts.get(k, "") for k in tests])


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _plots(records) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    per_test = defaultdict(list)
    for r in records:
        for t in r.tests:
            per_test[f"{r.assignment[:2]}:{t.grade_id}"].append(t.points / t.max_points)
    if per_test:
        names = sorted(per_test)
        fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(names)), 3.5))
        ax.bar(range(len(names)), [100 * sum(v) / len(v) for v in (per_test[n] for n in names)], color="tab:blue")
        ax.set_xticks(range(len(names)), names, rotation=75, ha="right", fontsize=8)
        ax.set_ylabel("% of students with full points")
        ax.set_ylim(0, 100)
        ax.set_title("Score per question")
        out.append(_png(fig))
    by_assignment = defaultdict(list)
    for r in records:
        if r.max_score:
            by_assignment[r.assignment].append(100 * r.score / r.max_score)
    if by_assignment:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.hist(list(by_assignment.values()), bins=10, range=(0, 100), label=list(by_assignment), stacked=True)
        ax.set_xlabel("score (% of autograded points)")
        ax.set_ylabel("notebooks")
        ax.legend(fontsize=7)
        ax.set_title("Score distribution")
        out.append(_png(fig))
        fig, ax = plt.subplots(figsize=(7, 3.5))
        times = defaultdict(list)
        for r in records:
            times[r.assignment].append(r.seconds)
        ax.boxplot(list(times.values()), tick_labels=[a[:2] for a in times])
        ax.set_ylabel("seconds to grade")
        ax.set_title("Runtime per notebook")
        out.append(_png(fig))
    return out


def write_html(records: list[Outcome], path: Path) -> None:
    failures = defaultdict(Counter)
    for r in records:
        for t in r.tests:
            if t.status not in (Status.PASSED, Status.NOT_RUN):   # not run: the notebook is listed for a human
                failures[(r.assignment, t.grade_id)][_diagnosis_kind(t.message)] += 1
    worst = sorted(failures.items(), key=lambda kv: -sum(kv[1].values()))[:15]
    rows = "".join(
        f"<tr><td>{html.escape(a)}</td><td><code>{html.escape(g)}</code></td><td>{sum(c.values())}</td>"
        f"<td>{'<br>'.join(f'{n}× {html.escape(d)}' for d, n in c.most_common(3))}</td></tr>"
        for (a, g), c in worst)
    human = []
    for r in sorted(records, key=lambda r: (r.assignment, r.student)):
        reasons = []
        if r.status in NEEDS_HUMAN:
            reasons.append(f"{r.status}: {r.detail}")
        if r.manual:
            blank = set(r.unanswered)
            answered = [g for g in r.manual if g not in blank]
            if answered:
                reasons.append("written answers to grade: " + ", ".join(answered))
            if blank:
                reasons.append("written answers NOT answered (still the stub): " + ", ".join(sorted(blank)))
        if reasons:
            human.append(f"<tr><td>{html.escape(r.student)}</td><td>{html.escape(r.assignment)}</td>"
                         f"<td>{html.escape('; '.join(reasons))}</td></tr>")
    plots = "".join(f"<div>{p}</div>" for p in _plots(records))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}}</style></head><body>
<h1>Class report</h1><p>{len(records)} graded notebooks, {len({r.student for r in records})} students.</p>
{plots}
<h2>Most-failed tests and their most common diagnoses</h2>
<table><tr><th>assignment</th><th>test</th><th>failures</th><th>diagnoses</th></tr>{rows}</table>
<h2>Submissions that need a human</h2>
<table><tr><th>student</th><th>assignment</th><th>why</th></tr>{''.join(human)}</table>
</body></html>"""
    path.write_text(page, encoding="utf-8")


def make_report(root: Path | None = None, out=print) -> tuple[Path, Path]:
    root = Path(root or course_root())
    records = [Outcome.from_dict(r) for r in load_state(root).values()]
    if not records:
        raise ValueError("nothing graded yet: run `python -m helpers grade` first")
    folder = root / "autograded"
    write_csv(records, folder / "report.csv")
    write_html(records, folder / "report.html")
    out(f"wrote {folder / 'report.csv'} and {folder / 'report.html'} ({len(records)} notebooks)")
    return folder / "report.csv", folder / "report.html"
