"""A learner's session in a real browser: JupyterLab, the release notebook, the Validate button, the exchange.

The first test starts its own JupyterLab (127.0.0.1, a free port, a token) on a temporary course
folder holding release/01_gradient_descent, a workspace copy with the reference answers filled in,
and the course's nbgrader_config.py, and drives Debian's chromium through playwright:
1. the release notebook, Run All: the first stub raises NotImplementedError;
2. the workspace notebook, Run All: every visible test passes;
3. nbgrader's Validate button on it: "Success! Your notebook passes all the tests.";
4. the Validate button on the release notebook: it lists the failures.
The second test plays both sides of nbgrader's exchange: the instructor runs `nbgrader release_assignment`
from a scratch course into a temporary exchange, and the student "ada" (her own home folder, her own
JupyterLab, an nbgrader config naming the exchange, the course and her student id) uses the labextension's
Assignments panel (Nbgrader > Assignments):
5. the release is listed under "Released assignments";
6. Fetch: it moves to "Downloaded assignments" and lands in her home; expanded, it lists the notebook;
7. the notebook opens from the panel, stubs and all;
8. the panel's Validate: "Validation Results" lists the failures (NotImplementedError);
9. Submit: listed under "Submitted assignments" with its timestamp, and the exchange's inbound holds
   exactly one `ada+01_gradient_descent+<timestamp>` folder with the notebook.
A screenshot of each step goes to test-artifacts/ (ignored by git). Every wait is bounded; the
servers (and their kernels) are stopped however the tests end. Skipped only where chromium is missing.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.grader import nb as nbs

REPO = Path(__file__).resolve().parents[1]
A = "01_gradient_descent"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                 "`bash run.sh test` installs it when run as root)"),
    pytest.mark.skipif(not (REPO / "release" / A / f"{A}.ipynb").is_file(), reason=f"{A} is not built"),
]

SERVER_START_S = 90        # JupyterLab on a busy 2-core machine
PAGE_S = 60                # opening a notebook, a kernel becoming ready
RUN_S = 180                # Run All / Validate (executes the whole notebook)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_answers():
    src = nbs.read(REPO / "source" / A / f"{A}.ipynb")
    return {nbs.meta(c)["grade_id"]: nbs.strip_solution_markers(c.source) for c in src.cells if nbs.is_solution(c)}


def make_course(root: Path) -> None:
    shutil.copytree(REPO / "release" / A, root / "release" / A)
    shutil.copytree(REPO / "release" / A, root / "notebooks" / A)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    path = root / "notebooks" / A / f"{A}.ipynb"
    nb, answers = nbs.read(path), reference_answers()
    for cell in nb.cells:
        if nbs.is_solution(cell):
            cell.source = answers[nbs.meta(cell)["grade_id"]]
    nbs.write(nb, path)
    write_lab_settings(root / ".lab-settings")


def write_lab_settings(settings: Path) -> None:
    """No news / update pop-ups over the notebook; every cell rendered (screenshots show outputs)."""
    lab_settings = settings / "@jupyterlab"
    (lab_settings / "apputils-extension").mkdir(parents=True)
    (lab_settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    (lab_settings / "notebook-extension").mkdir(parents=True)
    (lab_settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none", "autoStartDefaultKernel": true}')


def stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)          # the server and its kernels (own session)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def jupyterlab(root: Path, state: Path, settings: Path, config_dir: Path, log_path: Path):
    """(base url, token) of a JupyterLab serving `root` (also its cwd); stopped however the block ends."""
    port, token = free_port(), os.urandom(16).hex()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir),
               JUPYTER_RUNTIME_DIR=str(state / ".runtime"), JUPYTER_DATA_DIR=str(state / ".data"),
               JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(state / ".workspaces"))
    for var in ("COURSE_ROOT", "COURSE_DB_URL", "MPLBACKEND"):   # the learner's setting: inline plots
        env.pop(var, None)
    log = open(log_path, "wb")
    proc = None
    try:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n" + log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not answer within {SERVER_START_S}s:\n"
                                   + log_path.read_text()[-3000:])
            time.sleep(0.5)
        yield base, token
    finally:
        if proc is not None:
            stop(proc)
        log.close()


@pytest.fixture
def lab(tmp_path):
    """(base url, token, course root) of a JupyterLab serving a scratch course; stopped afterwards."""
    root = tmp_path / "course"
    make_course(root)
    with jupyterlab(root, tmp_path, root / ".lab-settings", tmp_path / ".jupyter",
                    tmp_path / "jupyter.log") as (base, token):
        yield base, token, root


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    page.screenshot(path=str(path))
    return path


def clear_shots(*names: str) -> None:
    """Remove the screenshots browser-<name>.png (globs) an earlier run of a test left."""
    for name in names:
        for old in ARTIFACTS.glob(f"browser-{name}.png"):
            old.unlink()


def wait_until(what: str, predicate, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        time.sleep(every)


def kernel_idle(base, token, path) -> bool:
    """The server has a session for `path` whose kernel is idle."""
    try:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as r:
            sessions = json.load(r)
    except OSError:
        return False
    return any(s.get("path") == path and (s.get("kernel") or {}).get("execution_state") == "idle"
               for s in sessions)


def open_notebook(page, base, token, workspace, path):
    """Open `path` in its own JupyterLab workspace (a clean layout: no tab restored from another step)."""
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?reset&token={token}", timeout=PAGE_S * 1000)
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").last
    panel.locator(".jp-Cell").first.wait_for(timeout=PAGE_S * 1000)
    panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=PAGE_S * 1000)
    wait_until(f"a kernel for {path}", lambda: kernel_idle(base, token, path), PAGE_S)
    return panel


def run_all(page, panel, attempts: int = 3):
    """Run > Run All Cells; again if the kernel was not connected yet and nothing started."""
    first_prompt = panel.locator(".jp-CodeCell .jp-InputPrompt").first
    for attempt in range(attempts):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            wait_until("the first cell to start", lambda: first_prompt.inner_text().strip() not in ("[ ]:", ""), 30)
            return
        except TimeoutError:
            if attempt == attempts - 1:
                raise


def validate(page, panel):
    panel.locator(".jp-Toolbar").get_by_text("Validate", exact=True).first.click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=RUN_S * 1000)
    return dialog


@contextlib.contextmanager
def browser_context():
    """A headless chromium (Debian's, through playwright) and a fresh context with bounded waits."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=PAGE_S * 1000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(PAGE_S * 1000)
            yield context
        finally:
            browser.close()


def test_learner_session_in_jupyterlab(lab):
    base, token, root = lab
    clear_shots("[1-4]-*", "failure")                   # no stale screenshot from an earlier run
    timings = {}
    t0 = time.monotonic()
    with browser_context() as context:
        try:
            page = release_page = context.new_page()

            # 1. the release: Run All stops at the first stub with NotImplementedError
            t = time.monotonic()
            release_panel = panel = open_notebook(page, base, token, "release", f"release/{A}/{A}.ipynb")
            run_all(page, panel)
            error = panel.locator(".jp-OutputArea-output", has_text="NotImplementedError").first
            error.wait_for(state="attached", timeout=RUN_S * 1000)
            error.scroll_into_view_if_needed()
            shot(page, "1-release-run-all-stubs")
            timings["release run all"] = time.monotonic() - t

            # 2. the workspace copy with the reference answers: every visible test passes
            t = time.monotonic()
            page = context.new_page()
            panel = open_notebook(page, base, token, "workspace", f"notebooks/{A}/{A}.ipynb")
            run_all(page, panel)
            done = panel.locator(".jp-OutputArea-output", has_text="optimize_f_momentum follows").first
            done.wait_for(state="attached", timeout=RUN_S * 1000)
            assert panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                 has_text="Error").count() == 0
            done.scroll_into_view_if_needed()
            shot(page, "2-workspace-run-all-passes")
            timings["workspace run all"] = time.monotonic() - t

            # 3. Validate on the workspace notebook: success
            t = time.monotonic()
            dialog = validate(page, panel)
            dialog.locator(".validation-success", has_text="Success! Your notebook passes all the tests.") \
                .wait_for(timeout=5000)
            shot(page, "3-workspace-validate-success")
            dialog.get_by_role("button", name="Ok").click()
            dialog.wait_for(state="hidden", timeout=10_000)
            timings["validate workspace"] = time.monotonic() - t

            # 4. Validate on the release notebook: the failures, with the stub's error
            t = time.monotonic()
            page, panel = release_page, release_panel
            page.bring_to_front()
            dialog = validate(page, panel)
            failed = dialog.locator(".validation-failed")
            failed.wait_for(timeout=5000)
            assert "NotImplementedError" in failed.inner_text()
            shot(page, "4-release-validate-failures")
            timings["validate release"] = time.monotonic() - t
        except Exception:
            shot(page, "failure")        # what the page showed when a step failed
            raise
    timings["total"] = time.monotonic() - t0
    print("browser test timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))


COURSE_ID = "nn-from-scratch"
STUDENT = "ada"


def release_to_exchange(course: Path, exchange: Path) -> None:
    """The instructor's side: a course folder holding the release, `nbgrader release_assignment` into `exchange`."""
    shutil.copytree(REPO / "release" / A, course / "release" / A)
    shutil.copy2(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    exchange.mkdir()
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, COURSE_ROOT=str(course), COURSE_DB_URL=f"sqlite:///{course}/gradebook.db",
               PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    out = subprocess.run([str(venv_bin / "nbgrader"), "release_assignment", A], cwd=course, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (exchange / COURSE_ID / "outbound" / A / f"{A}.ipynb").is_file(), out.stdout + out.stderr


def api_get(base, token, path):
    with urllib.request.urlopen(f"{base}/{path}{'&' if '?' in path else '?'}token={token}", timeout=30) as r:
        return json.load(r)


@pytest.fixture
def student_lab(tmp_path):
    """(base url, token, student home, exchange) of a student's JupyterLab after the instructor's release.

    The student, "ada", has her own home folder (the server's root and cwd) and an nbgrader config in her
    JUPYTER_CONFIG_DIR naming the exchange, the course and her student id (the tests run as root; without
    a student id nbgrader would submit as the OS user)."""
    exchange = tmp_path / "exchange"
    release_to_exchange(tmp_path / "course", exchange)
    home = tmp_path / "home" / STUDENT
    config_dir = home / ".jupyter"
    config_dir.mkdir(parents=True)
    (config_dir / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(home / '.nbgrader_cache')!r}\n"
        f"c.Exchange.assignment_dir = {str(home)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.student_id = {STUDENT!r}\n")
    write_lab_settings(home / ".lab-settings")
    with jupyterlab(home, tmp_path / "student-state", home / ".lab-settings", config_dir,
                    tmp_path / "jupyter-student.log") as (base, token):
        # the nbgrader server extension answers and sees the release (else the panel could only show errors)
        listed = api_get(base, token, f"assignments?course_id={COURSE_ID}")
        assert listed["success"], listed
        assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(A, "released")], listed
        yield base, token, home, exchange


def panel_rows(page, name: str, count: int, timeout: float = PAGE_S):
    """The rows of the Assignments panel's list `name` (released, fetched, submitted) once it shows `count`."""
    rows = page.locator(f"#{name}_assignments_list > .list_item")
    try:
        wait_until(f"{count} row(s) under {name} assignments", lambda: rows.count() == count
                   and not page.locator(f"#{name}_assignments_list_loading").is_visible(), timeout)
    except TimeoutError:
        error = page.locator(f"#{name}_assignments_list_error")
        raise AssertionError(f"{name} assignments: {rows.count()} row(s), not {count}; error shown: "
                             + (error.inner_text() if error.is_visible() else "none")) from None
    return rows


def test_student_fetches_validates_and_submits_in_the_assignments_panel(student_lab):
    base, token, home, exchange = student_lab
    inbound = exchange / COURSE_ID / "inbound"
    clear_shots("[5-9]-*", "failure-assignments")      # no stale screenshot from an earlier run
    timings = {}
    t0 = time.monotonic()
    with browser_context() as context:
        try:
            page = context.new_page()

            # 5. Nbgrader > Assignments: the release is listed under "Released assignments"
            t = time.monotonic()
            page.goto(f"{base}/lab/workspaces/student?reset&token={token}", timeout=PAGE_S * 1000)
            page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            page.locator('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
            tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab").last
            assert tab.locator(".lm-TabBar-tabLabel").inner_text() == "Assignments"
            assert page.locator("#course_list_default").inner_text() == COURSE_ID
            released = panel_rows(page, "released", 1)
            assert released.first.locator(".item_name").inner_text() == A
            assert released.first.locator(".item_course").inner_text() == COURSE_ID
            panel_rows(page, "fetched", 0)
            panel_rows(page, "submitted", 0)
            shot(page, "5-assignments-released")
            timings["open panel"] = time.monotonic() - t

            # 6. Fetch: it moves to "Downloaded assignments", the notebook lands in the student's home
            t = time.monotonic()
            released.first.locator(".item_status button", has_text="Fetch").click()
            fetched = panel_rows(page, "fetched", 1)
            panel_rows(page, "released", 0)
            assert fetched.first.locator(".item_name").first.inner_text() == A
            assert (home / A / f"{A}.ipynb").is_file()
            fetched.first.locator(f'a:text-is("{A}")').first.click()          # expand: its notebooks
            rows = fetched.first.locator(".collapse.in .list_item")       # a header row, then one per notebook
            wait_until("the fetched assignment's notebook row", lambda: rows.count() == 2, 10)
            notebook_row = rows.nth(1)
            assert notebook_row.locator(".item_name").inner_text().strip() == A
            shot(page, "6-assignments-fetched")
            timings["fetch"] = time.monotonic() - t

            # 7. the notebook opens from the panel: the release's stubs
            t = time.monotonic()
            notebook_row.locator(".item_name a").click()
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").last
            panel.locator(".jp-Cell").first.wait_for(timeout=PAGE_S * 1000)
            assert page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel") \
                .inner_text() == f"{A}.ipynb"
            panel.locator(".jp-Cell", has_text="raise NotImplementedError").first.wait_for(timeout=10_000)
            shot(page, "7-fetched-notebook-open")
            timings["open notebook"] = time.monotonic() - t

            # 8. Validate in the panel: the failures, with the stubs' error; the button turns red
            t = time.monotonic()
            page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments").click()
            button = notebook_row.locator(".item_status button", has_text="Validate")
            button.click()
            dialog = page.locator(".jp-Dialog", has_text="Validation Results")
            dialog.wait_for(timeout=RUN_S * 1000)
            assert "nbgrader-ErrorDialog" in (dialog.get_attribute("class") or ""), "validation of the stubs passed"
            failed = dialog.locator(".validation-failed")
            failed.wait_for(timeout=5000)
            assert "NotImplementedError" in failed.inner_text()
            shot(page, "8-assignments-validate-failures")
            dialog.get_by_role("button", name="Ok").click()
            dialog.wait_for(state="hidden", timeout=10_000)
            assert "btn-danger" in (button.get_attribute("class") or "")
            timings["validate"] = time.monotonic() - t

            # 9. Submit: listed under "Submitted assignments" with a timestamp; a copy in the exchange's inbound
            t = time.monotonic()
            assert not inbound.exists() or not any(inbound.iterdir())
            fetched.first.locator(".item_status button", has_text="Submit").click()
            submitted = panel_rows(page, "submitted", 1)
            assert submitted.first.locator(".item_name").first.inner_text() == A
            assert submitted.first.locator(".item_course").first.inner_text() == COURSE_ID
            submissions = submitted.first.locator("[id$='-submissions'] > .list_item")   # a header, a submission
            wait_until("one submission row", lambda: submissions.count() == 2, 10)
            stamp = submissions.nth(1).locator(".item_name").inner_text().strip()
            shot(page, "9-assignments-submitted")
            entries = sorted(p.name for p in inbound.iterdir())
            assert len(entries) == 1, entries
            assert entries[0].startswith(f"{STUDENT}+{A}+"), entries
            assert stamp and stamp in entries[0], (stamp, entries)
            assert (inbound / entries[0] / f"{A}.ipynb").is_file()
            timings["submit"] = time.monotonic() - t
        except Exception:
            shot(page, "failure-assignments")
            raise
    timings["total"] = time.monotonic() - t0
    print("assignments panel timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
