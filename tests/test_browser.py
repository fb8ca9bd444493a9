"""A learner's session in a real browser: JupyterLab, the release notebook, the Validate button.

The test starts its own JupyterLab (127.0.0.1, a free port, a token) on a temporary course
folder holding release/01_gradient_descent, a workspace copy with the reference answers filled in,
and the course's nbgrader_config.py, and drives Debian's chromium through playwright:
1. the release notebook, Run All: the first stub raises NotImplementedError;
2. the workspace notebook, Run All: every visible test passes;
3. nbgrader's Validate button on it: "Success! Your notebook passes all the tests.";
4. the Validate button on the release notebook: it lists the failures.
A screenshot of each step goes to test-artifacts/ (ignored by git). Every wait is bounded; the
server (and its kernels) is stopped however the test ends. Skipped only where chromium is missing.
"""
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
    # no news / update pop-ups over the notebook; every cell rendered (screenshots show outputs)
    settings = root / ".lab-settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none", "autoStartDefaultKernel": true}')


@pytest.fixture
def lab(tmp_path):
    """(base url, token) of a JupyterLab serving a scratch course; stopped afterwards."""
    root = tmp_path / "course"
    make_course(root)
    port, token = free_port(), os.urandom(16).hex()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"), JUPYTER_DATA_DIR=str(tmp_path / ".data"),
               JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / ".workspaces"))
    for var in ("COURSE_ROOT", "MPLBACKEND"):     # the learner's setting: inline plots, the real course
        env.pop(var, None)
    log = open(tmp_path / "jupyter.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n"
                                   + (tmp_path / "jupyter.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not answer within {SERVER_START_S}s:\n"
                                   + (tmp_path / "jupyter.log").read_text()[-3000:])
            time.sleep(0.5)
        yield base, token, root
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)          # the server and its kernels (own session)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    page.screenshot(path=str(path))
    return path


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


def test_learner_session_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    base, token, root = lab
    for old in ARTIFACTS.glob("browser-*.png"):       # no stale screenshot from an earlier run
        old.unlink()
    timings = {}
    t0 = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=PAGE_S * 1000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(PAGE_S * 1000)
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
        finally:
            browser.close()
    timings["total"] = time.monotonic() - t0
    print("browser test timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
