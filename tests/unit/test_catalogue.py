"""The mistake catalogues are patches of the solution that break loudly when the solution changes, and
every entry says what its failure must show (or why nothing can)."""
import re

import pytest

from helpers.grader import nb as nbs
from helpers.grader.submissions import (CatalogueError, Mistake, Replace, load_mistakes, reference_submission,
                                        with_mistakes)
from helpers.paths import present_assignments

A = "03_layers"


def test_replace_must_match_exactly_once():
    assert Replace("b", "c").apply("abd", "here") == "acd"
    with pytest.raises(CatalogueError, match=r"exactly once, but matches 0 times: the solution changed"):
        Replace("x", "y").apply("abd", "here")
    with pytest.raises(CatalogueError, match="matches 2 times"):
        Replace("a", "y").apply("aba", "here")


def test_an_entry_must_say_what_its_failure_shows():
    with pytest.raises(CatalogueError, match="asserts nothing"):
        Mistake("c", "m", [("a", "b")], ("t",), diagnosis="")
    with pytest.raises(CatalogueError, match="needs a reason"):
        Mistake("c", "m", [("a", "b")], ("t",), diagnosis=None)
    with pytest.raises(CatalogueError, match="changes nothing"):
        Mistake("c", "m", [], ("t",), diagnosis="x")
    ok = Mistake("c", "m", [("a", "b")], ("t",), diagnosis=None, no_diagnosis="it raises")
    assert ok.patch == (Replace("a", "b"),) and ok.visible_text == ""


@pytest.mark.parametrize("assignment", present_assignments())
def test_every_entry_patches_the_current_solution(assignment):
    """Every edit of every entry matches its solution cell exactly once and changes it."""
    solutions = {nbs.meta(c).get("grade_id"): c.source for c in reference_submission(assignment).cells
                 if nbs.is_solution(c)}
    mistakes = load_mistakes(assignment)
    assert mistakes, f"{assignment} has a catalogue"
    for m in mistakes:
        assert m.cell in solutions, f"{m.name!r}: no solution cell {m.cell!r}"
        assert m.applied_to(solutions[m.cell]) != solutions[m.cell], m.name
        assert m.diagnosis or m.no_diagnosis, m.name


def test_a_changed_solution_breaks_its_entries_loudly(monkeypatch):
    """An entry whose text is gone from the solution raises, naming the entry, instead of patching nothing."""
    m = load_mistakes(A)[0]
    real = reference_submission(A)
    for cell in real.cells:
        if nbs.meta(cell).get("grade_id") == m.cell:
            cell.source = cell.source.replace(m.patch[0].old, "rewritten()")      # the author rewrote that line
    monkeypatch.setattr("helpers.grader.submissions.reference_submission", lambda a: real)
    with pytest.raises(CatalogueError, match=re.escape(f"mistake {m.name!r}") + ".*matches 0 times"):
        with_mistakes(A, [m])


def test_one_submission_holds_one_mistake_per_cell():
    first, second = [m for m in load_mistakes(A) if m.cell == load_mistakes(A)[0].cell][:2]
    with pytest.raises(ValueError, match="one submission can hold one mistake per cell"):
        with_mistakes(A, [first, second])


def test_hidden_only_mistakes_are_rare():
    mistakes = [m for a in present_assignments() for m in load_mistakes(a)]
    hidden = [m.name for m in mistakes if m.hidden_only]
    assert len(hidden) < 0.05 * len(mistakes), f"{len(hidden)} of {len(mistakes)} mistakes only hidden tests catch: {hidden}"


def test_every_assignment_has_its_harness_file():
    """tests/test_harness_<a>.py collects the harness for <a> (one file per assignment: --dist loadfile)."""
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    for a in present_assignments():
        path = tests / f"test_harness_{a}.py"
        assert path.is_file() and f'ASSIGNMENT = "{a}"' in path.read_text(), f"{path} is missing: copy another one"
