"""A live Daphne serving the real ASGI app (HTTP, static files, WebSockets) and Chromium to drive it.

Registered as a pytest plugin by tests/conftest.py, so every app's browser tests use the same server.
Started the way `channels.testing.ChannelsLiveServerTestCase` does it: a forked `DaphneProcess`
running `get_default_application()` wrapped in `ASGIStaticFilesHandler`, against the test database.
"""

import copy
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from asgiref.sync import SyncToAsync
from channels.testing.live import make_application
from daphne.testing import DaphneProcess
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
HOST = "localhost"
STARTUP_TIMEOUT = 60


def in_thread(read: Callable[[], T]) -> T:
    """Query from another thread: Playwright's event loop owns this one, and Django refuses sync queries there."""

    def run() -> T:
        try:
            return read()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def asgi_live_server(transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The base URL of a Daphne process serving the project, with committed test data visible."""
    # asgiref's one-thread executor (behind database_sync_to_async) remembers its worker thread; a
    # child forked after an earlier async test inherits that record but not the thread, so every ORM
    # call in a consumer would hang. A channel layer built by an earlier test is bound to that test's
    # event loop (channels rebuilds it when the setting changes).
    monkeypatch.setattr(SyncToAsync, "single_thread_executor", ThreadPoolExecutor(max_workers=1))
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)
    # The child is forked: it must not inherit (and later close) this process's database sockets.
    connections.close_all()
    server = DaphneProcess(HOST, partial(make_application, static_wrapper=ASGIStaticFilesHandler))
    server.start()
    try:
        if not server.ready.wait(timeout=STARTUP_TIMEOUT):
            pytest.fail(f"Daphne did not start within {STARTUP_TIMEOUT}s")
        yield f"http://{HOST}:{server.port.value}"
    finally:
        server.terminate()
        server.join(timeout=30)


@pytest.fixture
def chromium_page(asgi_live_server: str) -> Iterator[Any]:
    """A Chromium page with a Chinese-speaking browser; a request off the live server or a script or style
    the Content-Security-Policy refuses fails the test."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it")
    from playwright.sync_api import Route, sync_playwright

    server = urlsplit(asgi_live_server).netloc
    outside: list[str] = []
    refused_by_policy: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.route("**/*", only_local)
        page.on("console", lambda message: refused_by_policy.append(message.text)
                if "Content Security Policy" in message.text else None)
        try:
            yield page
        finally:
            # Closing the page closes its WebSocket while the server still runs.
            context.close()
            browser.close()
    assert outside == [], f"requests left the live server: {outside}"
    assert refused_by_policy == [], f"the page broke its Content-Security-Policy: {refused_by_policy}"
