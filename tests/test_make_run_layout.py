"""`make run`'s layout for real: the launcher's embedded PostgreSQL and Redis, then Daphne, a Celery worker and
Celery beat under honcho. A task queued by a web request must be run by that worker against the same servers.

The other tests run tasks eagerly or call services directly; only this one proves the processes of a newcomer's
first `make run` are wired to one another. It takes a minute or two (migrate and seed_demo on a fresh var dir).
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from tests.test_embedded_launcher import REPO_ROOT, _assert_nothing_left

START_TIMEOUT = 420


class Browser:
    """A cookie-keeping HTTP client that sends Django's CSRF token back, as a browser's form post does."""

    def __init__(self, origin: str) -> None:
        self.origin, self.cookies = origin, http.cookiejar.CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        request = Request(self.origin + path, headers={"Accept-Language": "en"})  # noqa: S310 (http://127.0.0.1 only)
        with self.opener.open(request, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str]) -> str:
        token = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
        body = urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        headers = {"Accept-Language": "en", "Referer": self.origin + path,
                   "Content-Type": "application/x-www-form-urlencoded"}
        request = Request(self.origin + path, data=body, headers=headers)  # noqa: S310 (http://127.0.0.1 only)
        with self.opener.open(request, timeout=30) as response:
            return str(response.read().decode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(check: Callable[[], bool], what: str, launcher: subprocess.Popen[bytes], log: Path,
              timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            pytest.fail(f"make run's launcher exited ({launcher.returncode}) before {what}:\n{log.read_text()[-5000:]}")
        try:
            if check():
                return
        except (URLError, OSError):
            pass
        time.sleep(1)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s:\n{log.read_text()[-5000:]}")


def test_a_task_queued_by_a_web_request_is_run_by_make_runs_worker(tmp_path: Path) -> None:
    var_dir, port, log = tmp_path / "var", _free_port(), tmp_path / "run.log"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "CHANNEL_PREFIX", "PYTEST_XDIST_WORKER"}}
    env.update(SERVICE_CENTER_VAR_DIR=str(var_dir), PORT=str(port), DEBUG="1", PYTHONUNBUFFERED="1")
    with log.open("wb") as output:
        launcher = subprocess.Popen([sys.executable, "-m", "service_center.launcher", "run"], cwd=REPO_ROOT, env=env,
                                    stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        _wait_for(lambda: '"status": "ok"' in browser.get("/healthz"), "the site answered", launcher, log,
                  START_TIMEOUT)
        assert "DATABASE_URL=postgresql://postgres:@/service_center?host=" in log.read_text()  # the embedded server
        browser.get("/accounts/login/")
        browser.post("/accounts/login/", {"username": "supervisor", "password": "demo12345"})
        today = date.today()
        page = browser.post("/reports/exports/", {"dataset": "tickets", "file_format": "csv",
                                                  "date_from": str(today - timedelta(days=30)), "date_to": str(today)})
        job_id = re.search(r'id="export-(\d+)"', page)
        assert job_id is not None, page[-3000:]
        status_path = f"/reports/exports/{job_id.group(1)}/"
        _wait_for(lambda: 'data-status="done"' in browser.get(status_path), "the worker ran the export", launcher,
                  log, 120)
        csv_text = browser.get(f"{status_path}download/")
        header, *rows = csv_text.lstrip("\ufeff").splitlines()
        assert len(header.split(",")) == 12 and rows and all(row.startswith("T") for row in rows), csv_text[:500]
    finally:
        os.killpg(launcher.pid, signal.SIGINT)  # Ctrl-C, as a newcomer stops it
        try:
            launcher.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
    assert launcher.returncode == 0, log.read_text()[-3000:]
    _assert_nothing_left(var_dir)
