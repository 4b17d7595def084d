"""Browser-test fixtures: the real Streamlit server on a copied database, and Debian's Chromium.

- `demo_server` / `empty_server`: `streamlit run app.py` on a free port, CDS_DB pointing at a
  fresh copy of the demo database (or an empty one); yields the base URL and always stops the
  whole process group. The server's output goes to tests/_output/logs/<name>.log.
- `browser`: one Chromium for the session, driven by Playwright through `executable_path`
  (Playwright's own browser download does not work on these machines).
- `open_page(url, width, height, user="quantri")`: a fresh browser context at that viewport,
  logged in as `user` through the login form (once per server and user; later contexts reuse the
  session cookie), navigated to `url` and waited for (`user=None`: not logged in); `settle(page)` waits again after an action; `screenshot(page, name)` saves a
  whole-app screenshot to tests/_output/screenshots/<name>.png.

Browser tests never skip: a missing Chromium or Playwright is a failure with a clear message, and
a skip raised inside a browser test is turned into a failure too (CI must run them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from indicators.ingest.demo import DEMO_PASSWORD
from tests.support import ROOT, demo_db, empty_db

# the demo's accounts (quantri, lanhdao, canbo, thon-cay) and the empty server's admin share it
PASSWORD = DEMO_PASSWORD

OUTPUT = ROOT / "tests" / "_output"
SCREENSHOTS = OUTPUT / "screenshots"
LOGS = OUTPUT / "logs"

CHROMIUM = os.environ.get("CDS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
HEALTH_TIMEOUT = 60.0  # seconds for the server to answer /_stcore/health
RUN_TIMEOUT = 60_000  # milliseconds for a script run to finish in the browser
SETTLE = 0.6  # seconds the app must stay idle before a page counts as rendered


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that skips is a failure: CI must never go green without running them."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and os.environ.get("CDS_ALLOW_E2E_SKIP") != "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"browser test skipped ({reason}): browser tests must run (CDS_ALLOW_E2E_SKIP=1 allows it)"
        )
    return report


# --- the server -------------------------------------------------------------------------------


def _python() -> str:
    """The project's virtualenv interpreter (the one `make` builds), else the one running pytest."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's whole process group; kill it if it does not stop in 10 s."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def serve(db: str, name: str) -> Iterator[str]:
    """`streamlit run app.py` on a free port with CDS_DB=db (a file or a postgresql:// URL); yields
    the base URL."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CDS_DB": str(db), "PYTHONUNBUFFERED": "1"}
    command = [
        _python(), "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",  # engineers editing pages must not trigger reruns
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with status {proc.returncode} before answering; "
                    f"log {log_path}:\n{_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {url}/_stcore/health within {HEALTH_TIMEOUT:.0f} s; "
                    f"log {log_path}:\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
    # an exception the page swallowed, or one in a callback, still lands in the server's log
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, f"the server logged an exception; see {log_path}:\n{_tail(log_path)}"


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_db(tmp_path_factory.mktemp("e2e_demo"))


@pytest.fixture(scope="session")
def demo_reference(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A second copy of the demo database that the tests may open (the server holds the first)."""
    return demo_db(tmp_path_factory.mktemp("e2e_reference"))


def warm_up(browser, url: str) -> None:
    """Open the app once. The first session a fresh server sees, if it asks for a page other than
    the default one by URL, gets Streamlit's English "Page not found" dialog over the right page
    (streamlit/streamlit#8860): a real but harmless start-up quirk that must not make every
    first test of a server flaky."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(url + "/", wait_until="domcontentloaded")
        wait_for_app(page)
    finally:
        context.close()


@pytest.fixture(scope="session")
def demo_server(demo_db_path: str, browser) -> Iterator[str]:
    with serve(demo_db_path, "demo_server") as url:
        warm_up(browser, url)
        yield url


def add_admin(db: str, name: str = "quantri") -> None:
    """The first admin, created the documented way: the command line, password on stdin."""
    subprocess.run(
        [_python(), "-m", "indicators", "user", "add", name, "--role", "quan_tri", "--db", str(db)],
        cwd=ROOT, input=PASSWORD + "\n", text=True, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[str]:
    db = empty_db(tmp_path_factory.mktemp("e2e_empty"))
    add_admin(db)
    with serve(db, "empty_server") as url:
        warm_up(browser, url)
        yield url


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(
            f"Playwright for Python is missing ({exc}): run `make dev-deps` (requirements-dev.txt pins it).",
            pytrace=False,
        )
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (Debian package `chromium`) "
            "or point CDS_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start under Playwright: {exc}", pytrace=False)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


def wait_for_app(page, timeout: int = RUN_TIMEOUT) -> None:
    """Wait until the script has run and the app has stayed idle for SETTLE seconds.

    `data-test-script-state` is "initial" before the first run, "running" during one and
    "notRunning" after; a rerun triggered by a widget may start a moment after the action, hence
    the settle loop.
    """
    idle = "[data-testid=stApp][data-test-script-state=notRunning]"
    deadline = time.monotonic() + timeout / 1000
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=timeout)
    while True:
        remaining = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_selector(idle, timeout=remaining)
        time.sleep(SETTLE)
        if page.locator(idle).count() == 1:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the app kept running")
    # charts draw after the script ends: give Plotly a moment
    page.wait_for_timeout(300)


def eventually(page, check: Callable[[], object], timeout: float = 8.0):
    """`check()`'s result once it stops failing: what the browser draws after the script ends (a map,
    a hover label) comes later on a busy machine. The last failure is raised after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(200)


def log_in(page, name: str, password: str = PASSWORD) -> None:
    """Fill the login form as a person would and wait for the page behind it."""
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    # the answer: the page behind the form (with its logout button) or the form's error
    page.locator("[data-testid=stSidebar] button:has-text('Đăng xuất'), [data-testid=stAlertContentError]").first.wait_for(
        timeout=RUN_TIMEOUT
    )
    wait_for_app(page)


@pytest.fixture(scope="session")
def signed_in_states() -> dict:
    """Browser storage (the session cookie) per (server, user), filled by the first login."""
    return {}


@pytest.fixture
def open_page(browser, signed_in_states) -> Iterator[Callable[..., object]]:
    """`open_page(url, width=1366, height=768, user="quantri", touch=False)` -> a Playwright page,
    loaded and idle (`touch`: a phone's touch screen and mobile viewport).

    Uncaught JavaScript errors of every page opened are collected in `page.js_errors`.
    """
    contexts = []

    def open_(url: str, width: int = 1366, height: int = 768, user: str | None = "quantri", touch: bool = False):
        base = "/".join(url.split("/")[:3])
        state = signed_in_states.get((base, user)) if user else None
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                      storage_state=state, has_touch=touch, is_mobile=touch)  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        page.goto(url, wait_until="domcontentloaded")
        wait_for_app(page)
        if user and state is None:
            log_in(page, user)
            assert page.get_by_role("button", name="Đăng xuất").count() == 1, f"login as {user} failed"
            signed_in_states[(base, user)] = context.storage_state()
        return page

    yield open_
    for context in contexts:
        with suppress(Exception):
            context.close()


@pytest.fixture(scope="session")
def settle() -> Callable[..., None]:
    """`settle(page)`: wait until the app has finished the run an action started."""
    return wait_for_app


@pytest.fixture(scope="session")
def screenshot() -> Callable[..., Path]:
    """`screenshot(page, name)` -> tests/_output/screenshots/<name>.png of the whole app."""

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        full_screenshot(page, path)
        return path

    return take


def full_screenshot(page, path: Path) -> None:
    """Screenshot the whole app, not just the viewport.

    Streamlit scrolls inside its main section, so `full_page=True` alone would stop at the
    viewport: grow the viewport to the content's height for the shot, then restore it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(
            document.body.scrollHeight,
            ...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer],'
                + ' [data-testid=stSidebarContent]')].map(e => e.scrollHeight))"""
    )
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
        page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


@pytest.fixture(scope="session")
def city_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[str]:
    """The commune demo placed in a small city (Bình Giang and four more communes of Hải Phòng)."""
    from indicators.ingest.demo import load_city_demo
    from indicators.storage import Store
    from tests.support import ADMIN, DEMO_TODAY

    db = demo_db(tmp_path_factory.mktemp("e2e_city"))
    store = Store(db)
    load_city_demo(store, ADMIN, today=DEMO_TODAY, limit=5)
    store.close()
    with serve(db, "city_server") as url:
        warm_up(browser, url)
        yield url
