"""The course as a student uses it: JupyterLab in a real (headless) browser.

One test starts JupyterLab on a free localhost port, opens ``tests/e2e/e2e_demo.ipynb`` in
Debian's Chromium (driven by playwright; no browser download), runs a short training cell and
watches the live plot redraw in place, then runs the quiz cell, answers one question with the
mouse and one with the keyboard only (Tab, Space, Enter), reads the feedback, and re-runs the
cell to see the answers restored. A second test audits the answered quiz with axe-core in the
light and the dark theme (no serious or critical violation: labels, names, ARIA) and measures
the contrast of both verdicts against the theme's background (at least 4.5:1).
Screenshots go to ``test-artifacts/browser/``.

Skipped, with the reason, when ``/usr/bin/chromium`` or the ``playwright`` package is missing:
    apt-get install -y chromium && pip install playwright==1.57.0   (never `playwright install`)
The audit also needs axe-core from npm (pinned in tests/e2e/package-lock.json):
    npm ci --prefix tests/e2e

It cannot hang: every browser call has a timeout, the server must answer within a deadline,
a watchdog kills everything after ``HARD_LIMIT_S``, and the server and its kernel are stopped
in the fixture's teardown whatever happens.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils.quiz import load_bank, shuffled_order
from course_utils.quiz.identity import order_seed
from course_utils.quiz.results import student_file
from course_utils.quiz.widget import plain_label

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "tests" / "e2e" / "e2e_demo.ipynb"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "tests" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
STUDENT = "e2e-student"
STEP_MS = 60_000      # one browser action or wait (a loaded 2-core machine is slow)
SERVER_START_S = 90   # JupyterLab must answer within this
TRAIN_CELL_S = 120   # import torch in a cold kernel, then ~5 s of training
HARD_LIMIT_S = 240    # the watchdog kills server and browser after this, so nothing hangs

if not CHROMIUM.is_file():
    pytest.skip(f"no browser at {CHROMIUM}: apt-get install -y chromium (Debian) to run the "
                "browser test, or set COURSE_CHROMIUM", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs playwright: pip install "
    "playwright==1.57.0 (the Python package only; it uses the system Chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Ids of every process started (directly or not) by ``pid`` (the server's kernels)."""
    import psutil  # installed with ipykernel

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM each process by id, then SIGKILL the ones still alive after ``grace`` seconds."""
    import psutil

    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            proc.terminate()
            procs.append(proc)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


class Lab:
    """A JupyterLab server in a temporary folder; ``close()`` stops it and its kernels."""

    def __init__(self, root: Path) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        self.results = root / "results"
        settings = root / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # No "would you like news?" pop-up, no update check (and no request to the internet).
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                   [str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               "COURSE_RESULTS_DIR": str(self.results), "COURSE_STUDENT": STUDENT,
               "COURSE_PROGRESS": "1", "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
               "JUPYTER_CONFIG_DIR": str(root / "config"), "IPYTHONDIR": str(root / "ipython"),
               "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces")}
        self.log = open(root / "jupyter.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
             "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
             f"--LabApp.user_settings_dir={root / 'user-settings'}",
             f"--LabApp.workspaces_dir={root / 'workspaces'}",
             "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=5) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"jupyter lab did not answer in {SERVER_START_S} s:\n"
                           + self.log_tail())

    def log_tail(self, n: int = 3000) -> str:
        self.log.flush()
        return (self.root / "jupyter.log").read_text(errors="replace")[-n:]

    def close(self) -> None:
        """Stop the server and every kernel it started, by process id."""
        kernels = descendants(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Jupyter's clean stop: shuts its kernels down
            self.proc.send_signal(signal.SIGINT)  # (the second one skips the "are you sure?")
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        stop(kernels)
        self.log.close()


@pytest.fixture
def lab(tmp_path):
    server = Lab(tmp_path)
    watchdog = threading.Timer(HARD_LIMIT_S, lambda: stop([*descendants(server.proc.pid),
                                                            server.proc.pid], grace=1))
    watchdog.daemon = True
    watchdog.start()
    try:
        server.wait_ready()
        yield server
    finally:
        watchdog.cancel()
        server.close()


@pytest.fixture
def page(lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS,
                                     headless=True, timeout=STEP_MS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            tab = context.new_page()
            tab.set_default_timeout(STEP_MS)
            yield tab
        finally:
            browser.close()


def shot(tab, name: str) -> None:
    """Save a screenshot under test-artifacts/browser/ (never fails the test by itself)."""
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=15_000)
    except Exception as err:  # noqa: BLE001 - a screenshot is evidence, not the test
        print(f"screenshot {name} failed: {err}")


def open_notebook(tab, lab: Lab) -> None:
    tab.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}", wait_until="load")
    tab.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
    # The kernel must be idle before the first Shift+Enter, or the keystroke can be lost.
    tab.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle")).wait_for()
    dismiss_popups(tab)


def dismiss_popups(tab) -> None:
    """Close a news/notification toast or dialog if JupyterLab shows one."""
    for selector in (".jp-Dialog button.jp-mod-reject", ".Toastify__close-button"):
        buttons = tab.locator(selector)
        for i in range(buttons.count()):
            try:
                buttons.nth(i).click(timeout=2_000)
            except Exception:  # noqa: BLE001 - it went away by itself
                pass


def run_cell(tab, index: int):
    """Click code cell ``index`` (0-based) and press Shift+Enter; return the cell."""
    cell = tab.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    tab.keyboard.press("Shift+Enter")
    return cell


def wait_idle(tab, cell, timeout_ms: int = STEP_MS) -> None:
    """Wait until ``cell`` finished: its prompt shows a number, not ``[*]``."""
    prompt = cell.locator(".jp-InputArea-prompt")
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        text = prompt.inner_text().strip()
        if text.startswith("[") and text[1:-2].strip().isdigit():
            return
        time.sleep(0.2)
    raise TimeoutError(f"cell did not finish in {timeout_ms / 1000:.0f} s (prompt {text!r})")


def test_student_trains_with_live_plot_and_takes_the_quiz(lab, page):
    try:
        student_session(page, lab)
    except BaseException:
        shot(page, "failure")
        print("--- jupyter log ---\n" + lab.log_tail())
        raise


def student_session(tab, lab: Lab) -> None:
    """What a student does: open the notebook, train, take the quiz."""
    open_notebook(tab, lab)
    shot(tab, "01-opened")

    # --- training: one plot output, redrawn in place, the printed line kept ---
    cell = run_cell(tab, 0)
    images = cell.locator(".jp-OutputArea-output img")
    drawn, most_images = set(), 0  # distinct pictures seen; most plot outputs at once
    deadline = time.monotonic() + TRAIN_CELL_S
    while "done:" not in cell.locator(".jp-OutputArea").inner_text():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the training cell did not finish in {TRAIN_CELL_S} s")
        sources = [images.nth(i).get_attribute("src") or "" for i in range(images.count())]
        most_images = max(most_images, len(sources))
        drawn.update(hashlib.sha1(src.encode()).hexdigest() for src in sources)
        time.sleep(0.25)
    wait_idle(tab, cell)
    drawn.add(hashlib.sha1((images.first.get_attribute("src") or "").encode()).hexdigest())
    shot(tab, "02-trained")
    output = cell.locator(".jp-OutputArea").inner_text()
    assert "training starts" in output, output      # the plot did not wipe earlier output
    assert "done: 4 epochs" in output, output
    assert images.count() == 1 and most_images == 1  # one plot, never a second one below
    assert len(drawn) >= 2, "the live plot never redrew while training"

    # --- the quiz: each radio is labelled by its option's text, in this student's order ---
    bank = load_bank("01")
    quiz = run_cell(tab, 1)
    questions = quiz.locator(".widget-radio-box")
    questions.first.wait_for()
    assert questions.count() == len(bank)
    first, second = bank.questions[:2]
    labels = [t.strip() for t in questions.nth(0).locator("label").all_inner_texts()]
    assert labels == [plain_label(first.options[i].text)
                      for i in shuffled_order(first, order_seed(STUDENT))]

    # --- a right answer with the mouse ---
    questions.nth(0).get_by_label(plain_label(first.options[first.correct[0]].text),
                                  exact=True).check()
    check_buttons = quiz.locator("button.jupyter-button", has_text="Check")
    check_buttons.nth(0).click()
    quiz.get_by_text("Correct!").first.wait_for()

    # --- a wrong answer with the keyboard only: Tab to the option, Space, Tab to Check, Enter ---
    wrong = next(i for i in range(len(second.options)) if i not in second.correct)
    text = plain_label(second.options[wrong].text)
    tab_to(tab, "el => el.type === 'radio' && el.parentElement.textContent.trim() === arg", text)
    tab.keyboard.press("Space")
    assert questions.nth(1).get_by_label(text, exact=True).is_checked()
    tab_to(tab, "el => el.title === arg", "Check your answer to question 2")
    tab.keyboard.press("Enter")
    quiz.get_by_text("Not quite.").first.wait_for()
    tab.get_by_text(second.options[wrong].explanation[:40]).first.wait_for()
    shot(tab, "03-quiz-checked")
    text = quiz.locator(".jp-OutputArea").inner_text()
    assert "Score: 1/" in text and "(2 of" in text, text[-500:]

    # --- nothing lost: both attempts are in the student's results file, as option texts ---
    saved = json.loads(student_file(STUDENT, lab.results).read_text())
    assert [a["correct"] for a in saved["attempts"]] == [True, False]
    assert saved["attempts"][1]["chosen"] == [second.options[wrong].text]

    # --- re-running the cell restores both answers and the score ---
    quiz = run_cell(tab, 1)
    quiz.get_by_text("Restored 2 answered question(s)").first.wait_for()
    text = quiz.locator(".jp-OutputArea").inner_text()
    assert "Score: 1/" in text and "(2 of" in text, text[-500:]
    shot(tab, "04-quiz-restored")


def tab_to(tab, predicate: str, arg: str, presses: int = 60) -> None:
    """Press Tab until ``predicate(document.activeElement, arg)`` holds (keyboard only)."""
    for _ in range(presses):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"arg => ({predicate})(document.activeElement, arg)", arg):
            return
    raise AssertionError(f"Tab never reached the element ({predicate!r}, {arg!r})")


def serious_violations(tab, element) -> list[str]:
    """Run axe-core on ``element``; one line per serious or critical violation.

    Inside JupyterLab's scrolled, clipped panels axe reports its colour-contrast rule as
    "inapplicable", so :func:`contrast_of` measures the verdicts' contrast itself.
    """
    found = tab.evaluate("""async (el) => {
        const result = await axe.run(el, {resultTypes: ["violations"]});
        return result.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.help}; ` + v.nodes.slice(0, 3)
                 .map(n => n.target.join(" ") + " " + n.failureSummary).join(" | "));
    }""", element)
    return list(found)


def contrast_of(tab, selector: str) -> float:
    """WCAG contrast of the first ``selector`` element's text against its painted background."""
    fg, bg = tab.evaluate("""sel => {
        const el = document.querySelector(sel);
        let node = el, bg = "rgba(0, 0, 0, 0)";
        while (node && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent")) {
            bg = getComputedStyle(node).backgroundColor;
            node = node.parentElement;
        }
        return [getComputedStyle(el).color, bg];
    }""", selector)

    def luminance(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def set_theme(tab, name: str, light: bool) -> None:
    tab.evaluate("name => window.jupyterapp.commands.execute('apputils:change-theme', "
                 "{theme: name})", name)
    tab.wait_for_function("light => document.body.dataset.jpThemeLight === String(light)",
                          arg=light)
    tab.wait_for_timeout(1500)  # the theme's CSS variables settle


@pytest.mark.skipif(not AXE.is_file(), reason=f"the accessibility audit needs axe-core at {AXE}: "
                    "run `npm ci --prefix tests/e2e` (the version is pinned in package-lock.json)")
def test_quiz_passes_an_accessibility_audit_in_light_and_dark_themes(lab, page):
    try:
        audit_session(page, lab)
    except BaseException:
        shot(page, "audit-failure")
        print("--- jupyter log ---\n" + lab.log_tail())
        raise


def audit_session(tab, lab: Lab) -> None:
    """Answer two questions (one right, one wrong) so feedback shows, then audit both themes."""
    open_notebook(tab, lab)
    bank = load_bank("01")
    quiz = run_cell(tab, 1)
    questions = quiz.locator(".widget-radio-box")
    questions.first.wait_for()
    for n, question in enumerate(bank.questions[:2]):
        index = question.correct[0] if n == 0 else next(
            i for i in range(len(question.options)) if i not in question.correct)
        questions.nth(n).get_by_label(plain_label(question.options[index].text),
                                      exact=True).check()
        quiz.locator("button.jupyter-button", has_text="Check").nth(n).click()
    quiz.get_by_text("Not quite.").first.wait_for()
    tab.add_script_tag(path=str(AXE))
    output = quiz.locator(".jp-OutputArea").element_handle()
    problems = {}
    for name, light in (("JupyterLab Light", True), ("JupyterLab Dark", False)):
        set_theme(tab, name, light)
        shot(tab, f"05-audit-{'light' if light else 'dark'}")
        ratios = {kind: contrast_of(tab, f".course-quiz .quiz-{kind}")
                  for kind in ("correct", "wrong")}
        print(name, "verdict contrast", ratios)
        problems[name] = serious_violations(tab, output) + [
            f"{kind} verdict contrast {ratio:.2f} < 4.5" for kind, ratio in ratios.items()
            if ratio < 4.5]
    assert problems == {"JupyterLab Light": [], "JupyterLab Dark": []}, problems
