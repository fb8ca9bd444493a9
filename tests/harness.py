"""The notebook harness: for every assignment in source/, prove that
(1) the source notebook executes top to bottom without error (hidden tests included,
    against the stored reference values), and every number its prose promises holds
    (source/<a>/hidden/claims.py: the text quoted from a markdown cell, the expression, the tolerance);
(2) autograding the reference solution gives full marks;
(3) autograding the untouched release gives zero on every autograded test cell;
(4) the release holds no solution (see test_build: verification and up-to-dateness);
(5) every realistic mistake in source/<a>/hidden/mistakes.py loses exactly the points of
    the tests it names under the class grader, with its diagnosis in what the grader reports;
(6) the class grader (sandboxed, judging outside the kernel) gives the reference, the release and
    the first two groups of mistakes exactly the per-test scores stock nbgrader gives;
(6b) Validate tells the truth: the release's visible tests (run as nbgrader's Validate runs them)
    pass the reference, and fail every catalogued mistake on one of its tests with its diagnosis,
    and never fail a test that grading passes; mistakes only a hidden test can catch say why, and
    stay under 5 % of the catalogue;
(7) against the class grader, a submission that calls every function it can find outside the
    answer cells earns nothing, a crash (os._exit) in the first, a middle or the last answer cell
    costs only that function's tests, and no-oping every public function of helpers.check,
    helpers.reference and helpers.isolate gains a wrong submission nothing.
The tests live here; each tests/test_harness_<assignment>.py collects them for its assignment (one
file per assignment, so that `--dist loadfile` keeps one assignment in one xdist worker and its graders
run once). tests/unit/test_catalogue.py requires a file for every assignment in source/.
"""
import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from attacks import crashing_submission, patching, scanning_submission

from helpers.grader import stock, submissions
from helpers.grader import nb as nbs
from helpers.grader.build import verify_release
from helpers.paths import course_root, source_notebook

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def assignment(request):
    """The assignment of the test_harness_<assignment>.py file collecting these tests."""
    return request.module.ASSIGNMENT


def test_source_notebook_executes_and_keeps_its_promises(assignment, tmp_path):
    """The source runs top to bottom, and every number its prose promises (hidden/claims.py) holds."""
    work = tmp_path / assignment
    shutil.copytree(source_notebook(assignment).parent, work, ignore=shutil.ignore_patterns("hidden"))
    nb = nbs.read(work / f"{assignment}.ipynb")
    claims = submissions.load_claims(assignment)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    unanchored = [c.text for c in claims if c.text not in prose]
    assert not unanchored, f"{assignment}: claims whose text is not in the prose (reworded?): {unanchored}"
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint('CLAIMS' + _json.dumps([float(eval(_e)) for _e in %r]))" % [c.expr for c in claims]))
    nbs.execute(nb, work, env={"COURSE_ASSIGNMENT": assignment})
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    measured = json.loads(printed.split("CLAIMS", 1)[1])
    broken = [f"{c.text!r}: {c.expr} = {m:.6g}, promised {c.value:g} ± {c.tol:g}{' (relative)' if c.relative else ''}"
              for c, m in zip(claims, measured) if not c.holds(m)]
    assert not broken, f"{assignment}: the prose promises what the notebook does not do:\n" + "\n".join(broken)


def pack(mistakes):
    """Group mistakes into as few submissions as possible: a group never holds two mistakes in the
    same answer cell or two that should fail the same test, so each failing test belongs to one
    mistake, and a group must lose exactly the union of its mistakes' tests."""
    groups = []
    for m in mistakes:
        for g in groups:
            if all(m.cell != o.cell and not set(m.fails) & set(o.fails) for o in g):
                g.append(m)
                break
        else:
            groups.append([m])
    return groups


_HARNESS: dict = {}      # assignment -> the graders' results, computed once per process


@pytest.fixture(scope="module")
def graded(assignment):
    """One run of each grader per assignment: the reference, the release, and the mistakes, packed.
    Cached per process (a worker may tear a module fixture down between its tests)."""
    a = assignment
    if a not in _HARNESS:
        _HARNESS[a] = _run_graders(a)
    return _HARNESS[a]


def _run_graders(a):
    groups = pack(submissions.load_mistakes(a))
    subs = {"reference": submissions.reference_submission(a), "release": submissions.release_submission(a)}
    subs.update({f"group{i}": submissions.with_mistakes(a, g) for i, g in enumerate(groups)})
    attacks = {"scanner": scanning_submission(a)}
    attacks.update({f"crash_{gid}": crashing_submission(a, gid) for gid in _sample_answers(a)})
    attacks.update({f"patched{i}": patching(submissions.with_mistakes(a, g)) for i, g in enumerate(groups[:2])})
    # Stock nbgrader grades the reference, the release and the first two mistake groups (proof that the
    # notebooks work under plain nbgrader, and that the class grader agrees with it); every submission
    # goes through the class grader.
    stocked = {k: v for k, v in subs.items() if k in ("reference", "release", "group0", "group1")}
    with tempfile.TemporaryDirectory(prefix=f"harness-{a}-") as tmp:
        stocked_results = stock.autograde(a, stocked, Path(tmp) / "stock")
        ours = _class_grade(a, {**subs, **attacks}, Path(tmp) / "ours")
        # What Validate shows: the visible part of each test cell as the class grader ran it (the release's
        # cells, inputs and order; a visible part runs before the hidden checks of its cell), and, for the
        # reference and two groups, nbgrader's Validate itself (nbclient on the release notebook), which
        # test_validate_is_what_the_class_grader_saw compares with.
        visible = {name: {t.grade_id: t.detail for t in o.tests if t.visible_failed}
                   for name, o in ours.items() if name in subs and name != "release"}
        real = stock.validate(a, {k: v for k, v in subs.items() if k in ("reference", "group0", "group1")},
                                Path(tmp) / "validate")
    return a, groups, stocked_results, ours, (visible, real)


def _answer_ids(a):
    return [nbs.meta(c)["grade_id"] for c in nbs.read(source_notebook(a)).cells
            if nbs.is_solution(c) and c.cell_type == "code"]


def _sample_answers(a):
    """The first, a middle and the last answer cell."""
    ids = _answer_ids(a)
    return list(dict.fromkeys([ids[0], ids[len(ids) // 2], ids[-1]]))


def _tests_after(a, answer_id):
    """The test cells between an answer cell and the next one."""
    out, inside = [], False
    for c in nbs.read(source_notebook(a)).cells:
        if nbs.is_solution(c) and c.cell_type == "code":
            inside = nbs.meta(c)["grade_id"] == answer_id
        elif inside and nbs.is_test(c):
            out.append(nbs.meta(c)["grade_id"])
    return out


def _class_grade(a, subs, root):
    """The same submissions through `python -m helpers grade` (sandboxed where possible)."""
    from helpers.grader.stock import scratch_course
    from helpers.grader.grade import grade_class
    from helpers.grader.sandbox import sandbox_available

    scratch_course(root, [a])
    for student, nb in subs.items():
        submissions.submit(root, student, a, nb)
    from helpers.grader.sandbox import Limits

    # Cells that run for a minute are runaway attacks here (the reference's longest takes seconds).
    # No pre-flight: the reference is one of the submissions, and test_reference_gets_full_marks
    # judges it (the pre-flight has its own tests in test_trust).
    outcomes = grade_class([a], root=root, sandbox=sandbox_available()[0], out=lambda *_: None,
                           limits=Limits(cell_seconds=60, notebook_seconds=300), preflight_check=False)
    return {o.student: o for o in outcomes}


def test_reference_gets_full_marks(graded):
    a, _, results, _, _ = graded
    ref = results["reference"]
    assert ref.status == "graded" and ref.tests, f"{a}: reference was not graded: {ref.detail}"
    failed = {t.grade_id: t.message for t in ref.tests if not t.passed}
    assert not failed, f"{a}: reference solution lost points: {failed}"


def test_release_gets_zero_on_every_test(graded):
    a, _, results, _, _ = graded
    rel = results["release"]
    assert rel.status == "graded" and rel.tests
    scored = {t.grade_id: t.points for t in rel.tests if t.points > 0}
    assert not scored, f"{a}: the untouched release earns points on {scored}"


def test_every_mistake_loses_exactly_its_points(graded):
    """Graded by the class grader: each group loses exactly its mistakes' tests, each with the mistake's
    diagnosis in what the grader reports (the hidden check's message, or the visible failure's text)."""
    from helpers.grader.judge import public

    a, groups, _, ours, _ = graded
    assert groups, f"{a}: no realistic mistakes catalogued in source/{a}/hidden/mistakes.py"
    for i, group in enumerate(groups):
        verdicts = {t.grade_id: t for t in _graded(a, ours[f"group{i}"]).tests}
        lost = {g for g, t in verdicts.items() if t.status != "passed"}
        expected = set().union(*(m.fails for m in group))
        assert lost == expected, (f"{a}: mistakes {[m.name for m in group]} lost {sorted(lost)}, "
                                  f"expected {sorted(expected)}")
        for m in group:
            for gid in m.fails:
                text = verdicts[gid].message + "\n" + verdicts[gid].detail
                assert m.diagnosis in text or public(m.diagnosis) in text, \
                    f"{a}: mistake {m.name!r}: {m.diagnosis!r} not in what the grader reports for {gid}:\n{text}"


def test_validate_passes_the_reference(graded):
    a, _, _, _, (visible, real) = graded
    assert not real["reference"], f"{a}: Validate fails the reference solution on {real['reference']}"
    assert not visible["reference"], f"{a}: the reference's visible tests fail under the class grader: {visible['reference']}"


def test_validate_is_what_the_class_grader_saw(graded):
    """nbgrader's Validate and the visible parts run by the class grader fail the same tests, with the same
    message (numbers aside: a test whose hidden part rebinds a dependency to its reference before the
    visible part runs measures a different error, not a different verdict)."""
    import re

    def shape(text):
        return re.sub(r"-?\d[\d.]*(e[+-]?\d+)?", "#", text.splitlines()[0][:150])

    a, _, _, _, (visible, real) = graded
    for name, failed in real.items():
        assert set(failed) == set(visible[name]), f"{a}/{name}: Validate fails {sorted(failed)}, " \
                                                  f"the class grader's visible parts {sorted(visible[name])}"
        for gid, text in failed.items():
            assert shape(text) == shape(visible[name][gid]), \
                f"{a}/{name}/{gid}: Validate printed {text[:200]!r}, the grader saw {visible[name][gid][:200]!r}"


def test_validate_catches_every_mistake_that_grading_catches(graded):
    """What Validate says is what grading gives: each mistake fails a visible test of its own with its
    diagnosis, and no visible test fails where grading gives the points."""
    a, groups, _, _, (visible, _) = graded
    problems = []
    for i, group in enumerate(groups):
        failed = visible[f"group{i}"]
        graded_lost = set().union(*(m.fails for m in group))
        if extra := sorted(set(failed) - graded_lost):
            problems.append(f"{[m.name for m in group]}: Validate fails {extra}, which grading passes")
        for m in group:
            caught = [g for g in m.fails if g in failed]
            if m.hidden_only:
                if caught:
                    problems.append(f"{m.name!r} is marked hidden-only ({m.hidden_only}) but Validate catches it "
                                    f"on {caught}: drop the mark")
            elif not caught:
                problems.append(f"{m.name!r}: Validate passes it, grading takes {list(m.fails)}: add a visible "
                                f"check (or mark it hidden_only with the reason)")
            elif m.visible_text and not any(m.visible_text in failed[g] for g in caught):
                problems.append(f"{m.name!r}: Validate fails {caught} without {m.visible_text!r}:\n"
                                + "\n".join(failed[g][:1500] for g in caught))
    assert not problems, f"{a}:\n" + "\n".join(problems)


def test_release_holds_no_solution(assignment):
    assert verify_release(assignment, course_root() / "release" / assignment) == []


def test_class_grader_agrees_with_nbgrader(graded):
    """On the reference, the release and two groups of mistakes, the per-test scores are stock nbgrader's."""
    a, _, stocked, ours, _ = graded
    assert {"reference", "release", "group0"} <= set(stocked), sorted(stocked)
    for student, r in stocked.items():
        theirs = {t.grade_id: t.points for t in r.tests}
        mine = {t.grade_id: t.points for t in _graded(a, ours[student]).tests}
        assert mine == theirs, f"{a}/{student}: class grader {mine} != nbgrader {theirs}: " + \
            "; ".join(t.message[:200] for t in ours[student].tests if t.status != "passed")


def _graded(a, o):
    """A class-grader outcome that was scored test by test (an ungraded one would pass vacuously)."""
    assert o.scored and o.tests, f"{a}/{o.student} was not graded: {o.status}: {o.detail}"
    return o


def test_reference_scanner_earns_nothing(graded):
    a, _, _, ours, _ = graded
    o = _graded(a, ours["scanner"])
    assert o.score == 0, f"{a}: the scanner earned {[(t.grade_id, t.points) for t in o.tests if t.points]}"


def test_a_crash_costs_only_its_own_function(graded):
    a, groups, _, ours, _ = graded
    mistakes = submissions.load_mistakes(a)
    for gid in _sample_answers(a):
        o = _graded(a, ours[f"crash_{gid}"])
        lost = {t.grade_id for t in o.tests if t.status != "passed"}
        own = set(_tests_after(a, gid))
        allowed = own.union(*(m.fails for m in mistakes if m.cell == gid))
        assert own <= lost, f"{a}: a crash in {gid} did not cost its own tests {own}: lost {lost}"
        assert lost <= allowed, (f"{a}: a crash in {gid} cost {sorted(lost - allowed)} too "
                                 f"(a function before or after it lost its credit): " +
                                 "; ".join(f"{t.grade_id}: {t.message[:150]}" for t in o.tests if t.grade_id in lost - allowed))


def test_patching_helpers_gains_nothing(graded):
    a, groups, _, ours, _ = graded
    for i, group in enumerate(groups[:2]):
        plain = {t.grade_id: t.points for t in _graded(a, ours[f"group{i}"]).tests}
        patched = {t.grade_id: t.points for t in _graded(a, ours[f"patched{i}"]).tests}
        gained = {g: (plain[g], p) for g, p in patched.items() if p > plain[g]}
        assert not gained, f"{a}: no-oping helpers gained points on {gained}"
