"""Browser tests: the app served by a real HTTP server in a thread, driven by Playwright with
Debian's Chromium. They skip with one line when Chromium or Playwright is absent."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template) -> str:
    """Browser journeys run on SQLite only: PostgreSQL is covered by the request-level tests."""
    db = tmp_path / "instance" / "contest.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, db)
    return f"sqlite:///{db}"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("browser tests: Debian chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests: playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(10000)
    yield pg
    context.close()
