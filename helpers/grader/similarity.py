"""`python -m helpers similarity [ASSIGNMENT...]`: the most similar pairs of answers, per answer cell.

Only what the students wrote is compared: of each answer cell of each submission under submitted/,
the lines that are not the release's text of that cell (the given code and the stub), with that
text's fingerprints as boilerplate too, so the code every student was handed never counts. The comparison is copydetect's (winnowed k-gram
fingerprints of the token stream, as MOSS does): names become one token, so renaming variables
does not hide a copy, and the fingerprints are position-free, so reordering statements does not
either. Pairs are found through an index of fingerprints (a pair sharing none is never compared),
so a class of hundreds is seconds, not hours.

It never accuses. Short answers to the same question are alike by nature (there are few ways to
write a sigmoid), so the page ranks pairs and shows both answers side by side with the shared
stretches marked; a human decides. Written to ``autograded/similarity.html`` (no scripts: a
content security policy forbids them, and every answer is escaped).
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

K, WINDOW = 8, 2          # k-gram length in filtered characters, winnowing window: short cells
MIN_CHARS = 20            # an answer shorter than this (after the stub is removed) says nothing
PER_CELL = 10             # pairs shown per answer cell


@dataclass
class Pair:
    assignment: str
    cell: str
    a: str
    b: str
    score: float                      # mean of the two shares of each answer found in the other
    shares: tuple[float, float]
    code: tuple[str, str]             # the lines each student wrote (the given code taken out)
    slices: tuple                     # copied stretches of each, character offsets


def _fingerprint(code: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint("answer.py", K, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code), language="python")


def own_lines(answer: str, given: str) -> str:
    """The lines of `answer` that are not the `given` cell's (what the student wrote), in order."""
    import difflib
    import textwrap

    mine, theirs = answer.splitlines(), given.splitlines()
    match = difflib.SequenceMatcher(None, [line.strip() for line in theirs], [line.strip() for line in mine],
                                    autojunk=False)
    kept = [line for tag, _, _, j1, j2 in match.get_opcodes() if tag in ("replace", "insert")
            for line in mine[j1:j2] if line.strip()]
    return textwrap.dedent("\n".join(kept))


def _stubs(assignment: str) -> dict[str, str]:
    """{answer grade id: the release's text of that cell} (what every student was given)."""
    from ..paths import release_folder
    from . import nb as nbs

    release = nbs.read(release_folder(assignment) / f"{assignment}.ipynb")
    return {nbs.meta(c)["grade_id"]: c.source for c in release.cells
            if nbs.is_solution(c) and c.cell_type == "code" and nbs.meta(c).get("grade_id")}


def answers(root: Path, assignment: str) -> dict[str, dict[str, str]]:
    """{grade id: {student: answer}} of the submissions, answers still the stub left out."""
    from .grade import discover, student_answers

    stubs = _stubs(assignment)
    found: dict[str, dict[str, str]] = {g: {} for g in stubs}
    for student, _, folder in discover(root, [assignment]):
        for gid, code in student_answers(folder, assignment).items():
            if gid in stubs and code.strip() != stubs[gid].strip():
                found[gid][student] = code
    return found


def compare_cell(assignment: str, gid: str, by_student: dict[str, str], stub: str) -> list[Pair]:
    """The most similar pairs among one cell's answers, best first: only the lines each student wrote
    are compared (the given cell's lines are taken out, and its fingerprints are boilerplate)."""
    from copydetect import compare_files

    boiler = list(_fingerprint(stub).hashes) if stub.strip() else None
    prints, own = {}, {}
    for student, code in by_student.items():
        own[student] = own_lines(code, stub)
        fp = _fingerprint(own[student], boiler)
        if len(fp.filtered_code) >= MIN_CHARS and fp.hashes:
            prints[student] = fp
    index: dict[int, list[str]] = {}
    for student, fp in prints.items():
        for h in fp.hashes:
            index.setdefault(h, []).append(student)
    shared: dict[tuple[str, str], int] = {}
    for students in index.values():
        for pair in combinations(sorted(students), 2):
            shared[pair] = shared.get(pair, 0) + 1
    # compare (exactly, with copydetect) the pairs that share most fingerprints for their size
    ranked = sorted(shared, key=lambda p: -shared[p] / min(len(prints[p[0]].hashes), len(prints[p[1]].hashes)))
    pairs = []
    for a, b in ranked[:PER_CELL * 5]:
        _, (sa, sb), slices = compare_files(prints[a], prints[b])
        pairs.append(Pair(assignment, gid, a, b, float(sa + sb) / 2, (float(sa), float(sb)),
                          (own[a], own[b]), slices))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs[:PER_CELL]


def similarity(root: Path | None = None, assignments=None, out=print) -> tuple[Path, list[Pair]]:
    """Compare every answer cell of `assignments` (default: every one with submissions); write the page."""
    from ..paths import course_root, present_assignments, unknown_assignment_error

    root = Path(root or course_root())
    names = list(assignments or present_assignments())
    for a in names:
        if a not in present_assignments():
            raise unknown_assignment_error(a)
    pairs: list[Pair] = []
    compared = 0
    for a in names:
        stubs = _stubs(a)
        for gid, by_student in answers(root, a).items():
            compared += len(by_student)
            pairs += compare_cell(a, gid, by_student, stubs[gid])
    if not compared:
        raise ValueError(f"no answers to compare under {root / 'submitted'} for {', '.join(names)}: "
                         f"collect the submissions first")
    path = root / "autograded" / "similarity.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(pairs, names), encoding="utf-8")
    top = sorted(pairs, key=lambda p: -p.score)[:15]
    out(f"{'student':<16}{'student':<16}{'cell':<40}{'score':>6}")
    for p in top:
        out(f"{p.a:<16}{p.b:<16}{(p.assignment[:2] + ':' + p.cell):<40}{p.score:>6.2f}")
    out(f"wrote {path}: the {len(pairs)} most similar pairs of {compared} answers (ranked, not judged: "
        f"read them side by side)")
    return path, pairs


def _marked(code: str, slices) -> str:
    """The answer, escaped, with the stretches found in the other answer in <mark>."""
    spans = sorted(zip(*slices)) if len(slices) and len(slices[0]) else []
    out, at = [], 0
    for start, end in spans:
        start, end = max(int(start), at), int(end)
        if end <= start:
            continue
        out += [html.escape(code[at:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
        at = end
    out.append(html.escape(code[at:]))
    return "".join(out)


def render_page(pairs: list[Pair], assignments) -> str:
    sections = []
    for a in assignments:
        cells = sorted({p.cell for p in pairs if p.assignment == a})
        for gid in cells:
            rows = [p for p in pairs if p.assignment == a and p.cell == gid]
            body = "".join(
                f"<tr><td>{p.score:.2f}<br><small>{p.shares[0]:.0%} / {p.shares[1]:.0%}</small></td>"
                f"<td><b>{html.escape(p.a)}</b><pre>{_marked(p.code[0], p.slices[0])}</pre></td>"
                f"<td><b>{html.escape(p.b)}</b><pre>{_marked(p.code[1], p.slices[1])}</pre></td></tr>"
                for p in rows)
            sections.append(f"<h2>{html.escape(a)}: <code>{html.escape(gid)}</code></h2>"
                            f"<table><tr><th>score</th><th>answer</th><th>answer</th></tr>{body}</table>")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Similar answers</title>
<style>body{{font-family:sans-serif;max-width:1300px;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}}pre{{white-space:pre-wrap;margin:0}}
mark{{background:#ffe28a}}</style></head><body>
<h1>Similar answers</h1>
<p>The most similar pairs of answers per answer cell (copydetect: winnowed fingerprints of the token
stream, names and order of statements ignored; the code every student was given is left out). The score
is the mean share of each answer found in the other. Short answers to one question are alike by nature:
this page ranks, it does not judge. Read both answers before concluding anything.</p>
{''.join(sections) or '<p>No pair of answers shares anything.</p>'}
</body></html>"""
