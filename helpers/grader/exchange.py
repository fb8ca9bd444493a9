"""`python -m helpers collect`: bring submissions in from nbgrader's exchange, trusting nothing in it.

``nbgrader submit`` leaves each submission in the exchange's inbound folder as
``<exchange>/<course_id>/inbound/<student>+<assignment>+<timestamp>[+<random>]/``; ``nbgrader collect``
copies the latest one per student into ``submitted/<student>/<assignment>/``. The inbound folder is
writable by every student, so whatever is in it is the student's: ``nbgrader collect`` copies it with
``shutil.copytree``, which follows symbolic links, so a submission holding a link to another
student's work or to the course's hidden files arrives as a regular file with that content, read
with the instructor's rights. This collector copies what nbgrader's does, the same way (the latest
submission per student and assignment, a newer one replacing an older one, ``timestamp.txt`` kept),
but only regular files: no link, FIFO or device is followed or copied, no file over the grader's
limits, and a folder whose owner is another user than the student it names is refused (nbgrader
only warns).
"""
from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from .grade import STUDENT_ID, _settling, copy_submission

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"


@dataclass(frozen=True)
class Inbound:
    """One folder of the exchange's inbound: who, what, when (nbgrader's timestamp text)."""
    student: str
    assignment: str
    timestamp: str
    path: Path

    @property
    def when(self):
        from nbgrader.utils import parse_utc

        return parse_utc(self.timestamp)


def settings(root: Path) -> tuple[Path, str]:
    """(exchange root, course id) from the course's nbgrader_config.py, as nbgrader reads them."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    exchange = config.Exchange.get("root", DEFAULT_EXCHANGE)
    course_id = config.CourseDirectory.get("course_id", "")
    if not course_id:
        raise ValueError(f"{root / 'nbgrader_config.py'} sets no c.CourseDirectory.course_id: the exchange's "
                         f"folders are named by it")
    return Path(exchange), course_id


def inbound_folder(exchange: Path, course_id: str) -> Path:
    inbound = exchange / course_id / "inbound"
    if not inbound.is_dir():
        raise ValueError(f"no exchange inbound folder at {inbound}. Release an assignment first "
                         f"(nbgrader release_assignment), or pass --exchange with the exchange's root "
                         f"(c.Exchange.root in nbgrader_config.py)")
    return inbound


def _parse(entry: os.DirEntry) -> Inbound | None:
    """<student>+<assignment>+<timestamp>[+<random>], split as nbgrader's collect splits it."""
    parts = entry.name.rsplit("+", 3)
    if len(parts) < 3:
        return None
    from nbgrader.utils import parse_utc

    try:
        parse_utc(parts[2])
    except (ValueError, TypeError, OverflowError):
        return None
    return Inbound(parts[0], parts[1], parts[2], Path(entry.path))


def _owner_mismatch(item: Inbound) -> str:
    """Why the folder is not the student's own ('' when it is, or when the student is no Unix user)."""
    try:
        expected = pwd.getpwnam(item.student).pw_uid
    except KeyError:
        return ""                 # students who are not Unix users (a hub with its own accounts)
    owner = os.lstat(item.path).st_uid
    if owner == expected:
        return ""
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = f"uid {owner}"
    return f"it claims to be {item.student}'s but is owned by {name}"


def latest(inbound: Path, assignments, settle: float = 0.0, out=print) -> dict[tuple[str, str], Inbound]:
    """The newest inbound submission of each (student, assignment); what cannot be one is said and skipped."""
    newest: dict[tuple[str, str], Inbound] = {}
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            out(f"  skipped {entry.name!r} in the inbound: not a folder")
            continue
        item = _parse(entry)
        if item is None or not STUDENT_ID.match(item.student):
            out(f"  skipped {entry.name!r} in the inbound: not <student>+<assignment>+<timestamp>")
            continue
        if assignments and item.assignment not in assignments:
            continue
        if why := _owner_mismatch(item):
            out(f"  refused {entry.name!r}: {why}")
            continue
        if settle > 0 and _settling(item.path, settle):
            continue          # still being submitted: the next round takes it
        key = (item.student, item.assignment)
        if key not in newest or item.when > newest[key].when:
            newest[key] = item
    return newest


def _existing_timestamp(dest: Path):
    from nbgrader.utils import parse_utc

    try:
        text = (dest / "timestamp.txt").read_text().strip()
        return parse_utc(text)
    except (OSError, ValueError, TypeError):
        return None


def collect(root: Path, assignments=None, exchange: Path | None = None, settle: float = 0.0,
            out=print) -> list[tuple[str, str]]:
    """Copy each newer inbound submission into submitted/ (regular files only); (student, assignment) copied."""
    exchange_root, course_id = settings(root)
    inbound = inbound_folder(Path(exchange) if exchange else exchange_root, course_id)
    copied = []
    for (student, assignment), item in sorted(latest(inbound, assignments, settle, out).items()):
        dest = root / "submitted" / student / assignment
        have = _existing_timestamp(dest) if dest.is_dir() else None
        if dest.is_dir() and have is not None and have >= item.when:
            continue
        _replace(item, dest, out)
        copied.append((student, assignment))
    if copied:
        out(f"collected {len(copied)} submission(s) from {inbound}")
    return copied


def _replace(item: Inbound, dest: Path, out) -> None:
    """dest becomes a copy of the inbound folder's regular files, swapped in whole (never half written)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.parent.is_symlink() or dest.is_symlink():
        raise ValueError(f"{dest} or its folder is a symbolic link: refusing to write through it")
    new = dest.with_name(f".{dest.name}.collecting")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    skipped = copy_submission(item.path, new, notebooks=True)
    # the folder name's time, as nbgrader's submit wrote it (the student's own timestamp.txt is not trusted)
    (new / "timestamp.txt").write_text(item.timestamp)
    for name in skipped:
        out(f"  {item.student}/{item.assignment}: not collected: {name}")
    old = dest.with_name(f".{dest.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.rename(dest, old)
    os.rename(new, dest)
    shutil.rmtree(old, ignore_errors=True)
