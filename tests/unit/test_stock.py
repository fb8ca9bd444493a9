"""The in-process shortcuts to stock nbgrader give what nbgrader itself gives."""
import os
import subprocess
import sys
from pathlib import Path

from helpers.grader import stock


def test_alembic_head_is_the_one_nbgrader_reads_by_subprocess(tmp_path):
    """stock.gradebook stamps new gradebooks with alembic_head(); nbgrader itself runs `alembic heads`."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    theirs = subprocess.run([sys.executable, "-c", "from nbgrader.api import get_alembic_version as g; print(g())"],
                            capture_output=True, text=True, check=True, env=env).stdout.strip()
    ours = stock.alembic_head()
    assert ours == theirs and len(ours) >= 8
    with stock.gradebook(f"sqlite:///{tmp_path / 'g.db'}") as gb:
        from sqlalchemy import text

        assert gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar() == ours


def test_generate_assignment_in_process_registers_what_the_command_does(tmp_path):
    """The gradebook holds the same cells, points and checksums as after `nbgrader generate_assignment`."""
    a = "01_gradient_descent"
    cells = {}
    for how in ("command", "in-process"):
        root = stock.scratch_course(tmp_path / how, [a])
        url = f"sqlite:///{root / 'gradebook.db'}"
        if how == "command":
            stock.nbgrader(root, "generate_assignment", a, "--force")
        else:
            stock.generate_assignment(root, a, url, tmp_path / "release")
        with stock.gradebook(url) as gb:
            nb = gb.find_notebook(a, a)
            cells[how] = ({c.name: (c.max_score, c.cell_type) for c in nb.grade_cells},
                          {c.name for c in nb.solution_cells},
                          {c.name: (c.checksum, c.locked) for c in nb.source_cells})
    assert cells["command"] == cells["in-process"]
    assert len(cells["command"][0]) >= 3 and len(cells["command"][2]) >= 5


def test_generate_assignment_failure_names_the_assignment(tmp_path):
    import pytest

    root = stock.scratch_course(tmp_path / "c", [])
    with pytest.raises(stock.NbgraderError, match="generate_assignment no_such_assignment"):
        stock.generate_assignment(root, "no_such_assignment", f"sqlite:///{root / 'g.db'}", tmp_path / "r")


def test_the_command_line_reads_notebooks_without_the_slow_iri_checker():
    """cli.main keeps jsonschema from importing rfc3987-syntax; nbformat still validates notebooks."""
    code = ("import sys; from helpers.grader import cli; cli._without_slow_iri_checker(); "
            "import nbformat; nb = nbformat.v4.new_notebook(); nbformat.validate(nb); "
            "bad = nbformat.from_dict({'cells': [{'cell_type': 'bogus', 'metadata': {}, 'source': ''}], "
            "'metadata': {}, 'nbformat': 4, 'nbformat_minor': 4});\n"
            "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('refused')\n"
            "print(sys.modules['rfc3987_syntax'] is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["refused", "True"], out
