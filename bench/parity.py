"""Does Validate tell the truth? For every catalogued mistake (source/<a>/hidden/mistakes.py), run the
release's visible tests on the submission (as nbgrader's Validate does) and measure

- caught: the fraction of mistakes that fail a visible test of their own (the rest are hidden-only,
  marked with a reason in the catalogue, or a gap the harness reports);
- named: the fraction whose first diagnosis line (the first "Diagnosis:" line, else the first line of
  the failure) names the mistake (holds its `visible_diagnosis` or `diagnosis` text).

    .venv/bin/python bench/parity.py [ASSIGNMENT ...] [-v]

-v lists every mistake that is not caught or not named first, with what Validate printed.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.grader import stock, submissions  # noqa: E402
from helpers.paths import present_assignments  # noqa: E402
from harness import pack  # noqa: E402


def first_diagnosis(text: str) -> str:
    lines = text.splitlines()
    return next((ln for ln in lines if "Diagnosis:" in ln), lines[0] if lines else "")


def measure(a: str, verbose: bool) -> tuple[int, int, int, int]:
    mistakes = submissions.load_mistakes(a)
    groups = pack(mistakes)
    with tempfile.TemporaryDirectory(prefix=f"parity-{a}-") as tmp:
        visible = stock.validate(a, {f"group{i}": submissions.with_mistakes(a, g) for i, g in enumerate(groups)},
                                   Path(tmp))
    caught = named = hidden = 0
    for i, group in enumerate(groups):
        failed = visible[f"group{i}"]
        for m in group:
            hits = [failed[g] for g in m.fails if g in failed]
            hidden += bool(m.hidden_only)
            if hits:
                caught += 1
                if m.visible_text and any(m.visible_text in first_diagnosis(h) for h in hits):
                    named += 1
                elif verbose:
                    print(f"  not named first: {m.name!r} ({m.visible_text!r}):\n    "
                          + "\n    ".join(hits[0].splitlines()[:8]))
            elif verbose:
                print(f"  NOT CAUGHT by Validate: {m.name!r} (fails {list(m.fails)}; hidden_only={m.hidden_only!r})")
    print(f"{a}: {len(mistakes)} mistakes, caught by Validate {caught} ({caught / len(mistakes):.0%}), "
          f"named first {named} ({named / len(mistakes):.0%}), marked hidden-only {hidden}")
    return len(mistakes), caught, named, hidden


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    chosen = [a for a in argv if not a.startswith("-")] or present_assignments()
    totals = [measure(a, verbose) for a in chosen]
    n, caught, named, hidden = (sum(t[k] for t in totals) for k in range(4))
    print(f"\nall: {n} mistakes; Validate catches {caught / n:.1%}; the first diagnosis line names "
          f"{named / n:.1%}; hidden-only {hidden} ({hidden / n:.1%})")


if __name__ == "__main__":
    main(sys.argv[1:])
