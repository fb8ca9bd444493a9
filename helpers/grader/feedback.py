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
import secrets
import threading
from functools import lru_cache
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
    escaped = html.escape(str(value).replace("\r", " ").replace("\n", " "), quote=False)   # no tag can open
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


_READ: dict = {}
_READ_LOCK = threading.Lock()


def _read_once(path: Path):
    """A course notebook, read once per version of its file (feedback for a class reads the same two)."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _READ_LOCK:
        if key not in _READ:
            if len(_READ) > 32:
                _READ.clear()
            _READ[key] = nbs.read(path)
        return _READ[key]


def feedback_notebook(outcome, root: Path):
    """The student's notebook as graded: answers, visible tests and verdicts."""
    release_nb = _read_once(release_notebook(outcome.assignment))
    source_nb = _read_once(source_notebook(outcome.assignment))
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


_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #fafafa; color: #222; }
main { max-width: 980px; margin: 0 auto; padding: 1.5em 2em; background: #fff; }
table { border-collapse: collapse; margin: .8em 0; } th, td { border: 1px solid #ccc; padding: .25em .6em; }
pre { padding: .6em .8em; overflow-x: auto; font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
pre.code { background: #f5f5f5; border-left: 3px solid #bbb; }
pre.out { background: #fff; border: 1px solid #ddd; white-space: pre-wrap; }
pre.out.pass { border-color: #5a5; background: #f3fbf3; } pre.out.fail { border-color: #c55; background: #fdf3f3; }
code { font-family: ui-monospace, Menlo, monospace; }
a.anchor-link { color: #bbb; text-decoration: none; font-size: .6em; margin-left: .3em; }
"""


@lru_cache(maxsize=1)
def _highlighter():
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    fmt = HtmlFormatter(nowrap=True)
    return PythonLexer(), fmt, fmt.get_style_defs("pre.code")


@lru_cache(maxsize=512)
def _markdown(source: str) -> str:
    """A trusted markdown cell (the release's, or the summary built of escaped text) as HTML."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


def _code(source: str) -> str:
    from pygments import highlight

    lexer, fmt, _ = _highlighter()
    return highlight(source, lexer, fmt)


def render_html(nb, title: str) -> str:
    """The feedback notebook as one self-contained page: the release's markdown (rendered once per
    cell text and cached), the student's code highlighted and escaped, each test's verdict as text.

    Nothing the student wrote reaches the page unescaped, and a Content-Security-Policy with a
    per-page nonce allows no script but MathJax's: a link or script smuggled into an answer cannot run.
    """
    nonce = secrets.token_urlsafe(16)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f'<section class="md">{_markdown(cell.source)}</section>')
        elif cell.cell_type == "code":
            parts.append(f'<pre class="code">{_code(cell.source)}</pre>')
            for out in cell.get("outputs", []):
                body = str(out.get("text", ""))
                kind = "pass" if body.startswith("✔") else "fail" if body.startswith("✘") else ""
                parts.append(f'<pre class="out {kind}">{html.escape(body, quote=False)}</pre>')
        else:                     # raw cells: shown as text
            parts.append(f'<pre class="out">{html.escape(str(cell.source), quote=False)}</pre>')
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src https://cdn.jsdelivr.net; "
           f"script-src 'nonce-{nonce}' https://cdn.jsdelivr.net")
    mathjax = ("window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']]}, "
               "options: {skipHtmlTags: ['script', 'noscript', 'style', 'textarea', 'pre', 'code']}};")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}{_highlighter()[2]}</style>\n"
            f'<script nonce="{nonce}">{mathjax}</script>\n'
            f'<script nonce="{nonce}" async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>\n'
            f"</head><body><main>\n" + "\n".join(parts) + "\n</main></body></html>\n")


def write_feedback(outcome, root: Path) -> None:
    """autograded/<student>/<a>/<a>.ipynb and feedback/<student>/<a>/<a>.html (written whole, then renamed)."""
    nb = feedback_notebook(outcome, root)
    graded = root / "autograded" / outcome.student / outcome.assignment
    graded.mkdir(parents=True, exist_ok=True)
    nbs.write(nb, graded / f"{outcome.assignment}.ipynb")
    page = render_html(nb, f"Feedback — {outcome.assignment} — {outcome.student}")
    target = root / "feedback" / outcome.student / outcome.assignment
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{outcome.assignment}.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target / f"{outcome.assignment}.html")
    _exchange_receipts(root / "submitted" / outcome.student / outcome.assignment, target)


# What `nbgrader release_feedback` needs beside the page: the submission's time, and the secret that
# `nbgrader submit` gave it (the released page is named by a hash of it, so only its student finds it).
RECEIPTS = ("timestamp.txt", "submission_secret.txt")


def _exchange_receipts(submitted: Path, target: Path) -> None:
    for name in RECEIPTS:
        try:
            data = nbs.read_regular(submitted / name, 4096)
        except OSError:               # absent (not from the exchange), a link, too big: no receipt
            (target / name).unlink(missing_ok=True)
            continue
        (target / name).write_bytes(data)
