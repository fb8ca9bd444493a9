"""`python -m helpers collect` (helpers.grader.exchange): nbgrader's exchange inbound into submitted/,
as nbgrader's collect does it (the latest submission counts, its timestamp kept), trusting nothing
a student can put in the inbound: links, FIFOs, a folder made in another student's name."""
import os
from pathlib import Path

import pytest

from helpers.grader import exchange

A = "01_gradient_descent"
T1, T2, T3 = "2026-12-01 09:00:00.000000 UTC", "2026-12-01 10:00:00.000000 UTC", "2026-12-01 11:30:00.000000 UTC"


@pytest.fixture
def course(tmp_path):
    root, xroot = tmp_path / "course", tmp_path / "exchange"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'nnc'\nc.Exchange.root = {str(xroot)!r}\n")
    (xroot / "nnc" / "inbound").mkdir(parents=True)
    return root


def _submit(root: Path, student: str, when: str, text: str, random: str = "+Xy_0") -> Path:
    """What `nbgrader submit` leaves: <student>+<assignment>+<timestamp>+<random>/ with timestamp.txt."""
    folder = Path(exchange.settings(root)[0]) / "nnc" / "inbound" / f"{student}+{A}+{when}{random}"
    folder.mkdir()
    (folder / f"{A}.ipynb").write_text(text)
    (folder / "timestamp.txt").write_text(when)
    return folder


def test_the_latest_submission_of_each_student_is_collected_with_its_timestamp(course):
    _submit(course, "ada", T1, "first")
    _submit(course, "ada", T2, "second", random="")             # nbgrader without the random suffix
    _submit(course, "bob", T1, "bob's")
    assert exchange.collect(course, out=lambda *_: None) == [("ada", A), ("bob", A)]
    ada = course / "submitted" / "ada" / A
    assert (ada / f"{A}.ipynb").read_text() == "second" and (ada / "timestamp.txt").read_text() == T2
    assert exchange.collect(course, out=lambda *_: None) == [], "nothing newer: nothing copied"
    _submit(course, "ada", T3, "resubmitted")                    # a resubmission replaces the whole folder
    (ada / "stale.txt").write_text("from before")
    assert exchange.collect(course, [A], out=lambda *_: None) == [("ada", A)]
    assert (ada / f"{A}.ipynb").read_text() == "resubmitted" and not (ada / "stale.txt").exists()
    assert (ada / "timestamp.txt").read_text() == T3
    assert exchange.collect(course, ["02_activations_and_gradients"], out=lambda *_: None) == []


def test_a_students_own_timestamp_file_does_not_set_the_time(course):
    folder = _submit(course, "ada", T3, "late")
    (folder / "timestamp.txt").write_text(T1)                    # claims to be on time
    exchange.collect(course, out=lambda *_: None)
    assert (course / "submitted" / "ada" / A / "timestamp.txt").read_text() == T3


def test_links_fifos_and_odd_names_in_the_inbound_are_never_followed(course, tmp_path):
    """Attack: a submission whose notebook is a link to someone else's file (nbgrader collect, which uses
    shutil.copytree, would copy that file's content with the instructor's rights); a FIFO (a read would
    hang); a link to a folder; a folder named as no submission is."""
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden test text")
    folder = _submit(course, "mal", T1, "x")
    (folder / f"{A}.ipynb").unlink()
    (folder / f"{A}.ipynb").symlink_to(secret)
    (folder / "data").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    inbound = folder.parent
    (inbound / f"eve+{A}+{T2}+abc").symlink_to(tmp_path)
    (inbound / "not-a-submission").mkdir()
    said = []
    assert exchange.collect(course, out=said.append) == [("mal", A)]
    got = course / "submitted" / "mal" / A
    assert sorted(p.name for p in got.iterdir()) == ["timestamp.txt"]
    assert not any("hidden test text" in p.read_text() for p in got.iterdir())
    assert not (course / "submitted" / "eve").exists()
    text = "\n".join(said)
    assert f"{A}.ipynb" in text and "pipe" in text and "not-a-submission" in text and "not a folder" in text


def test_a_folder_in_another_users_name_is_refused(course):
    """Attack: the inbound is writable by every student; one makes a folder named as another (a Unix user)."""
    import pwd

    victim = next(u for u in pwd.getpwall() if u.pw_uid != os.getuid() and u.pw_name.isalnum())
    _submit(course, victim.pw_name, T1, "forged")
    said = []
    assert exchange.collect(course, out=said.append) == []
    assert any("refused" in s and f"claims to be {victim.pw_name}'s" in s for s in said), said


def test_settling_submissions_wait_and_a_missing_inbound_says_what_to_do(course, tmp_path):
    _submit(course, "ada", T1, "still arriving")
    assert exchange.collect(course, settle=60, out=lambda *_: None) == []
    with pytest.raises(ValueError, match="no exchange inbound folder at .*nbgrader release_assignment"):
        exchange.collect(course, exchange=tmp_path / "nowhere", out=lambda *_: None)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(ValueError, match="sets no c.CourseDirectory.course_id"):
        exchange.settings(course)
