"""static/js/socket.js, the one reconnecting socket of every live page, unit-tested in Chromium: the module is
served from disk to a blank page (no Django server) and driven with a fake WebSocket and a fake clock."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

STATIC = Path(settings.BASE_DIR) / "static"
ORIGIN = "http://kit.test"

HARNESS = """
class FakeSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; this.sent = []; this.listeners = {}; FakeSocket.all.push(this);
  }
  addEventListener(type, listener) { (this.listeners[type] = this.listeners[type] || []).push(listener); }
  fire(type, event) { (this.listeners[type] || []).forEach((listener) => listener(event || {})); }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.fire("open"); }
  drop(code) { this.readyState = 3; this.fire("close", { code: code || 1006 }); }
  message(data) { this.fire("message", { data: typeof data === "string" ? data : JSON.stringify(data) }); }
}
FakeSocket.all = [];
const timers = [];
const clock = {
  setTimer: (fn, ms) => { timers.push({ fn, ms, done: false }); return timers.length; },
  clearTimer: (id) => { if (timers[id - 1]) { timers[id - 1].done = true; } },
  runNext: () => { const timer = timers.find((t) => !t.done); timer.done = true; timer.fn(); return timer.ms; },
  pending: () => timers.filter((t) => !t.done).map((t) => t.ms),
};
"""


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import Route, sync_playwright

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")), content_type="text/javascript")
        else:
            route.fulfill(body="<!DOCTYPE html><title>kit</title>", content_type="text/html")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        yield page
        browser.close()


def run(page: Any, body: str) -> Any:
    """Run `body` (which returns a JSON-able value) with the module as `kit` and the fakes in scope."""
    script = f"""async () => {{
      const kit = await import("/static/js/socket.js");
      {HARNESS}
      {body}
    }}"""
    return page.evaluate(script)


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_whole(page: Any) -> None:
    figures = run(page, """
      const attempts = [0, 1, 2, 3, 4, 5, 6, 10];
      return {
        low: attempts.map((a) => kit.backoffDelay(a, { random: () => 0 })),
        high: attempts.map((a) => kit.backoffDelay(a, { random: () => 0.999999 })),
        sample: Array.from({ length: 200 }, () => kit.backoffDelay(3)),
      };
    """)
    assert figures["low"] == [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]
    assert figures["high"] == [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    # Jitter: two hundred tabs reconnecting after the same drop do not all come back at once.
    assert min(figures["sample"]) >= 4000 and max(figures["sample"]) <= 8000
    assert len(set(figures["sample"])) > 50


def test_reconnects_with_backoff_and_resumes_from_the_last_id_held(page: Any) -> None:
    seen = run(page, """
      let held = 0;
      const states = [], frames = [], opens = [];
      const socket = kit.connect("/ws/chat/7/", {
        WebSocketImpl: FakeSocket, setTimer: clock.setTimer, clearTimer: clock.clearTimer, random: () => 0,
        location: { protocol: "https:", host: "desk.example" },
        lastId: () => held, resume: (id) => ({ type: "resume", last_seq: id }),
        onMessage: (frame) => frames.push(frame), onState: (state) => states.push(state),
        onOpen: (info) => opens.push(info.reconnected),
      });
      const first = FakeSocket.all[0];
      first.open();
      first.message({ type: "message", seq: 1 });
      first.message("not json");  // ignored, never thrown
      held = 5;
      first.drop();
      const waits = [clock.runNext()];
      FakeSocket.all[1].drop();  // refused before it opened: the next wait is longer
      waits.push(clock.runNext());
      const third = FakeSocket.all[2];
      third.open();
      const sentOnResume = third.sent.slice();
      const sentNow = socket.send({ type: "typing" });
      third.drop();
      waits.push(clock.runNext());  // after an open the backoff starts again from the bottom
      return { url: first.url, states, frames, opens, waits, sentOnResume, firstSent: first.sent, sentNow,
               sockets: FakeSocket.all.length };
    """)
    assert seen["url"] == "wss://desk.example/ws/chat/7/"
    assert seen["frames"] == [{"type": "message", "seq": 1}]
    assert seen["firstSent"] == []  # the first open asks for nothing: the server sends the history
    assert seen["sentOnResume"] == [{"type": "resume", "last_seq": 5}]
    assert seen["opens"] == [False, True]
    assert seen["waits"] == [500, 1000, 500]
    assert seen["states"][:4] == ["connecting", "open", "closed", "connecting"]
    assert seen["sentNow"] is True and seen["sockets"] == 4


def test_refused_sockets_and_closed_handles_are_not_retried(page: Any) -> None:
    seen = run(page, """
      const states = [];
      kit.connect("/ws/presence/", { WebSocketImpl: FakeSocket, setTimer: clock.setTimer,
        clearTimer: clock.clearTimer, onState: (state) => states.push(state) });
      FakeSocket.all[0].open();
      FakeSocket.all[0].drop(4403);
      const afterRefusal = clock.pending().length;
      const handle = kit.connect("/ws/desk/tickets/", { WebSocketImpl: FakeSocket, setTimer: clock.setTimer,
        clearTimer: clock.clearTimer });
      handle.close();
      FakeSocket.all[1].drop(1000);
      return { states, afterRefusal, afterClose: clock.pending().length, sent: handle.send({ type: "x" }) };
    """)
    assert seen["states"] == ["connecting", "open", "refused"]
    assert seen["afterRefusal"] == 0 and seen["afterClose"] == 0 and seen["sent"] is False


def test_gap_fill_asks_for_what_follows_the_last_id_held_without_a_hole(page: Any) -> None:
    seen = run(page, """
      const gaps = [];
      const ids = kit.sequence({ onGap: (last) => gaps.push(last), setTimer: clock.setTimer,
                                 clearTimer: clock.clearTimer, waitMs: 1000 });
      ids.startAt(5);           // the first page begins at 5
      [5, 7, 8].forEach((id) => ids.hold(id));
      ids.watch();
      const afterHole = { contiguous: ids.contiguous, highest: ids.highest, waits: clock.pending() };
      clock.runNext();           // 6 never came: resume from 5, not from 8
      ids.hold(6);               // a late 6 closes the hole
      ids.watch();
      const closed = { contiguous: ids.contiguous, waits: clock.pending() };
      ids.hold(10);
      ids.watch();
      ids.hold(9);               // arrived within the wait: no gap request
      ids.watch();
      const overtaken = { contiguous: ids.contiguous, waits: clock.pending() };
      ids.hold(3);               // an older page below the first changes nothing
      return { afterHole, closed, overtaken, gaps, final: ids.contiguous };
    """)
    assert seen["afterHole"] == {"contiguous": 5, "highest": 8, "waits": [1000]}
    assert seen["gaps"] == [5]
    assert seen["closed"] == {"contiguous": 8, "waits": []}
    assert seen["overtaken"] == {"contiguous": 10, "waits": []}
    assert seen["final"] == 10
