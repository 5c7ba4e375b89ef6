"""Browser tests: the real app served on a free loopback port, driven by Playwright in Debian's
chromium (headless). Never downloads a browser: without /usr/bin/chromium (or playwright) the
tests skip, and with CI=true they fail instead.

Every request the page makes is checked to stay on the server's own origin (the console must
work with the network unplugged); anything else is aborted and fails the test.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD, app_settings, require_or_skip

CHROMIUM = os.environ.get("ATLAS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
WALL = {"width": 2560, "height": 1440}


def _playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def browser():
    """One headless chromium per test module (closed before other modules' asyncio tests run)."""
    require_or_skip(Path(CHROMIUM).exists(), f"Debian's chromium ({CHROMIUM})")
    require_or_skip(_playwright_available(), "playwright for Python")
    require_or_skip((ROOT / "static" / "vendor" / "leaflet.js").exists(), "vendored assets (python3 scripts/vendor_assets.py)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class LiveServer:
    """The app on a free loopback port (Werkzeug, threaded, simple-websocket: threading mode)."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="e2e-server", daemon=True)
        self.tokens: dict[str, str] = {}

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def call(self, method: str, path: str, user: str, body: dict | None = None) -> tuple[int, dict]:
        """A REST call as ``user`` (bearer token) against this server, outside any browser.

        (A second app object in this process would re-bind the global Socket.IO extension, so
        the tests call the live server instead of using the ``api`` fixture.)
        """
        import json
        import urllib.error
        import urllib.request

        def send(method, path, body, headers):
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json", **headers})
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    return response.status, json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read() or b"{}")

        if user not in self.tokens:
            status, answer = send("POST", "/api/v1/auth/token", {"username": user, "password": DEMO_PASSWORD}, {})
            assert status == 200, answer
            self.tokens[user] = answer["token"]
        return send(method, path, body, {"Authorization": f"Bearer {self.tokens[user]}"})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_app(db_url):
    """A fresh migrated + seeded database (tests/conftest.py) behind the real app."""
    from atlas_coord import create_app

    application = create_app(app_settings(db_url))
    yield application
    application.extensions["atlas_db"].dispose()


@pytest.fixture
def unit_ids(db_url):
    """Seeded unit ids by key (read in a short transaction: an open SQLite read would hold
    the server's writes back)."""
    import sqlalchemy as sa

    from atlas_coord.db import Database
    from atlas_coord.models import Unit

    database = Database(db_url)
    try:
        with database.session_factory() as session:
            return dict(session.execute(sa.select(Unit.key, Unit.id)).all())
    finally:
        database.dispose()


@pytest.fixture
def server(live_app):
    srv = LiveServer(live_app).start()
    yield srv
    srv.stop()


class Console:
    """One signed-in browser context (a person at a screen)."""

    def __init__(self, browser, server: LiveServer, name: str, *, timezone: str, viewport: dict | None = None) -> None:
        self.name = name
        self.server = server
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.tolerated: list[str] = []  # substrings of console errors a test provokes on purpose
        self.context = browser.new_context(viewport=viewport or LAPTOP, timezone_id=timezone, locale="en-GB")
        self.context.set_default_timeout(15_000)
        origin = urlsplit(server.url)

        def guard(route):
            parts = urlsplit(route.request.url)
            if parts.scheme in ("data", "blob") or (parts.hostname == origin.hostname and parts.port == origin.port):
                route.continue_()
            else:
                self.foreign.append(route.request.url)
                route.abort()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}\n{exc.stack}"))
        self.page.on(
            "console",
            lambda msg: self.errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" and "the server responded with a status of 4" not in msg.text
            else None,
        )

    def goto(self, route: str) -> None:
        self.page.goto(f"{self.server.url}/#{route}")

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        from playwright.sync_api import expect

        self.page.goto(f"{self.server.url}/#/signin")
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("#who")).to_contain_text("demo")
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "connected")
        # Signed in once the console has left the sign-in page for the map: a goto before that
        # would race the sign-in's own first loads.
        expect(self.page.locator("#view")).to_have_attribute("data-view", "map")

    def assert_labelled(self) -> None:
        """Every visible form control has a <label> (or an aria-label), every button a name."""
        missing = self.page.evaluate(
            """() => {
                const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
                const controls = [...document.querySelectorAll('input, select, textarea')]
                    .filter((el) => el.type !== 'hidden' && visible(el))
                    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'));
                const buttons = [...document.querySelectorAll('button, a[href]')]
                    .filter((el) => visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label') || el.title));
                return [...controls, ...buttons].map((el) => el.outerHTML.slice(0, 160));
            }"""
        )
        assert missing == [], f"{self.name}: unlabelled controls {missing}"

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def consoles(browser, server):
    """``consoles("be-centre", timezone="Europe/Brussels")`` opens a browser context; all are
    closed at the end, and none may have reached another origin or thrown a script error."""
    opened: list[Console] = []

    def open_console(name: str, *, timezone: str = "Europe/Brussels", viewport: dict | None = None) -> Console:
        console = Console(browser, server, name, timezone=timezone, viewport=viewport)
        opened.append(console)
        return console

    yield open_console
    problems = []
    for console in opened:
        if console.foreign:
            problems.append(f"{console.name} reached another origin: {console.foreign}")
        errors = [e for e in console.errors if not any(t in e for t in console.tolerated)]
        if errors:
            problems.append(f"{console.name} script errors: {errors}")
        console.close()
    assert not problems, "\n".join(problems)
