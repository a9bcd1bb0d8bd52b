"""JupyterLab in a real browser: open notebook 02, run every cell through the UI, check it.

A JupyterLab server is started from this environment exactly as ``workbench lab``
starts it (project as root folder, ``workbench`` kernelspec), on a free local port
with a token. Headless Chromium (Debian's ``/usr/bin/chromium``, driven by
Playwright) opens ``notebooks/02_staffing_waits_satisfaction.ipynb``, runs
*Run > Run All Cells*, waits until every code cell has run and the kernel is idle,
and checks: no error output, at least one figure drawn, and the ipywidgets
controls shown and working (choosing another outcome re-runs the analysis). A
screenshot is saved to ``outputs/lab_browser/``. The server and its kernels are
shut down at the end whatever happens, and the committed notebook is checked to be
unchanged (JupyterLab's autosave is switched off for the test).

Needs ``/usr/bin/chromium`` (``make browser`` installs it) and the ``playwright``
package; skipped with the reason when either is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser_helpers import launch, sync_api

from workbench.kernelspec import ensure_kernelspec
from workbench.lab import lab_argv

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/02_staffing_waits_satisfaction.ipynb"
SCREENSHOTS = ROOT / "outputs" / "lab_browser"
SERVER_START_S = 90
RUN_ALL_S = 420

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_settings(folder: Path) -> Path:
    """JupyterLab settings for the test: no autosave (the committed notebook must keep
    no outputs) and every cell in the page (no windowing), so all cells can be checked."""
    settings = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, value in settings.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    return folder


def _get(url: str, timeout: float = 5.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # local server only
        return response.status


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then end its process group."""
    if proc.poll() is None:
        request = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
            proc.wait(timeout=20)
        except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
            pass  # not answering: the process group is ended below
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=10)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free port with a token; yields (base URL, token)."""
    ensure_kernelspec()
    port, token = _free_port(), secrets.token_hex(16)
    settings = _user_settings(tmp_path / "settings")
    argv = lab_argv(ROOT, port=port, open_browser=False, extra=[
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"])
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    for name in ("MPLBACKEND", "WORKBENCH_BATCH"):  # the kernel must run as a person's would
        env.pop(name, None)
    log_path = tmp_path / "jupyterlab.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with status {proc.returncode} before serving:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            try:
                if _get(f"{base}/api/status?token={token}") == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {base} within {SERVER_START_S} s:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield base, token, log_path
    finally:
        _stop(proc, base, token)


def _has_outputs(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(c.get("outputs") or c.get("execution_count") for c in cells)


def _stderr_errors(page) -> list[str]:
    texts = page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    return [t for t in texts if "Traceback" in t or "Error" in t]


def test_notebook_02_runs_in_jupyterlab(lab):
    base, token, log_path = lab
    notebook_file = ROOT / NOTEBOOK
    original = notebook_file.read_bytes()
    assert not _has_outputs(notebook_file), f"{NOTEBOOK} is committed with outputs"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "02_staffing_waits_satisfaction.png"
    try:
        with sync_api.sync_playwright() as pw:
            browser = launch(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                try:
                    _run_and_check(page, f"{base}/lab/tree/{NOTEBOOK}?token={token}", log_path)
                finally:
                    page.screenshot(path=str(shot))
            finally:
                browser.close()
    finally:
        if _has_outputs(notebook_file):  # saved by JupyterLab: put the output-free file back
            notebook_file.write_bytes(original)
            pytest.fail(f"{NOTEBOOK} was saved with outputs during the test (restored)")
    assert shot.stat().st_size > 10_000


def _run_and_check(page, url: str, log_path: Path) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=SERVER_START_S * 1000)
    # the notebook's declared kernel (workbench) starts by itself: wait until it is idle
    try:
        page.wait_for_function(
            """() => {
                const name = document.querySelector('.jp-NotebookPanel .jp-KernelName');
                const status = document.querySelector(
                    '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
                return name && name.textContent.includes('workbench')
                    && status && status.getAttribute('data-status') === 'idle';
            }""", timeout=SERVER_START_S * 1000, polling=500)
    except sync_api.TimeoutError:
        kernel = page.locator(".jp-NotebookPanel .jp-KernelName").all_inner_texts()
        pytest.fail(f"the notebook's kernel did not become idle within {SERVER_START_S} s "
                    f"(kernel shown: {kernel}); server log:\n"
                    + log_path.read_text(errors="replace")[-3000:])

    page.locator(".jp-NotebookPanel .jp-Notebook").click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    n_code = page.locator(".jp-NotebookPanel .jp-CodeCell").count()
    assert n_code >= 5, f"expected the notebook's code cells on the page, found {n_code}"
    try:
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll(
                    '.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
                const done = prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length;
                const running = prompts.some(p => p.textContent.includes('*'));
                const idle = document.querySelector(
                    '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')
                    ?.getAttribute('data-status') === 'idle';
                const failed = document.querySelector(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
                return (prompts.length > 0 && done === prompts.length && !running && idle)
                    || (failed && failed.textContent.includes('Traceback') && idle);
            }""", timeout=RUN_ALL_S * 1000, polling=1000)
    except sync_api.TimeoutError:
        prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        pytest.fail(f"cells still not run after {RUN_ALL_S} s; prompts {prompts}; errors "
                    f"{_stderr_errors(page)}; server log:\n"
                    + log_path.read_text(errors="replace")[-3000:])

    errors = _stderr_errors(page)
    assert not errors, "error output in the notebook:\n" + "\n---\n".join(errors)

    images = page.locator(".jp-NotebookPanel .jp-OutputArea-output img")
    assert images.count() >= 1, "no figure was rendered"
    widths = images.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert max(widths) > 200, f"figures did not load (natural widths {widths})"

    # the interactive controls: three drop-downs; another outcome re-runs the analysis
    dropdowns = page.locator(".jp-NotebookPanel .widget-dropdown select")
    assert dropdowns.count() == 3, ("ipywidgets controls not shown (found "
                                    f"{dropdowns.count()} drop-downs)")
    outcome = dropdowns.nth(1)
    outcome.select_option("fft_pct_positive")
    explore = page.locator(".jp-NotebookPanel .widget-output").last
    explore.get_by_text("association:nurse_fte_per_10_beds->fft_pct_positive@",
                        exact=False).first.wait_for(timeout=120_000)
    assert explore.locator("img").count() >= 1, "the controls drew no figure"
    errors = _stderr_errors(page)
    assert not errors, "error output after using the controls:\n" + "\n---\n".join(errors)
