"""A local stand-in for providers' HTTP APIs (WeChat, SMS gateways, social relays, phone systems)."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

Answer = tuple[int, bytes, str]  # status, body, content type


@dataclass
class Provider:
    """Records every request; `routes[path]` answers it (a JSON-able value, or a callable of the request)."""

    url: str = ""
    routes: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["path"] == path]


def _answer(route: Any, request: dict[str, Any]) -> Answer:
    if callable(route):
        route = route(request)
    if isinstance(route, tuple):
        return route
    return 200, json.dumps(route).encode(), "application/json"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "attachments")


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query), "body": body,
                       "headers": {name.lower(): value for name, value in self.headers.items()}}
            state.requests.append(request)
            route = state.routes.get(parts.path)
            status, content, content_type = _answer(route, request) if route else (404, b"{}", "application/json")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def json_body(request: dict[str, Any]) -> Any:
    return json.loads(request["body"])

