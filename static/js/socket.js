// The one reconnecting WebSocket of every live page (chat widget and console, ticket desk, desk shell).
// A build-free ES module: `import { connect } from "/static/js/socket.js"`.
//
// connect(path, {onMessage, onOpen, onState, lastId, resume}) opens ws(s)://<this host><path> and keeps it
// open: after a drop it waits backoffDelay(attempt) (exponential, capped, with jitter so a restarted
// server is not hit by every tab at the same instant) and opens again. On every open after the first,
// `lastId()` (the highest id held with no gap below it) is sent as `resume(lastId)`, so the server
// replays what was missed; pages whose server has no replay re-fetch in `onOpen({reconnected: true})`.
// The application close codes 4401 and 4403 mean "not signed in" / "not allowed": retrying cannot help.
//
// sequence({onGap}) tracks ids that must arrive without holes (chat messages by seq): a live frame may
// overtake the one before it, so a hole is only a gap once it is still open after `waitMs`; then
// onGap(lastContiguous) asks for everything after the last id held without a gap, never the highest seen.

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
const GAP_WAIT_MS = 1000;

// Equal jitter: between half and the whole of the capped exponential step, never less than minMs / 2.
export function backoffDelay(attempt, { minMs = RETRY_MIN_MS, maxMs = RETRY_MAX_MS, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function socketUrl(path, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + path;
}

export function connect(path, options = {}) {
  const {
    onMessage = () => {}, onOpen = () => {}, onState = () => {}, lastId = null, resume = null,
    minMs = RETRY_MIN_MS, maxMs = RETRY_MAX_MS, random = Math.random,
    WebSocketImpl = window.WebSocket, setTimer = window.setTimeout.bind(window),
    clearTimer = window.clearTimeout.bind(window), location = window.location,
  } = options;
  let socket = null;
  let attempt = 0;
  let opened = 0;
  let stopped = false;
  let retryTimer = null;

  function send(frame) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function open() {
    retryTimer = null;
    socket = new WebSocketImpl(socketUrl(path, location));
    onState("connecting");
    socket.addEventListener("open", () => {
      attempt = 0;
      opened += 1;
      onState("open");
      const last = lastId ? lastId() : null;
      if (opened > 1 && resume && last !== null && last !== undefined) {
        send(resume(last));
      }
      onOpen({ reconnected: opened > 1 });
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return; // a frame this page cannot read changes nothing on it
      }
      onMessage(frame);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (stopped) {
        return;
      }
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
        onState("refused", event.code);
        return;
      }
      onState("closed");
      retryTimer = setTimer(open, backoffDelay(attempt, { minMs, maxMs, random }));
      attempt += 1;
    });
  }

  open();
  return {
    send,
    close() {
      stopped = true;
      if (retryTimer !== null) {
        clearTimer(retryTimer);
      }
      if (socket) {
        socket.close();
      }
    },
  };
}

export function sequence({ onGap, waitMs = GAP_WAIT_MS, setTimer = window.setTimeout.bind(window),
  clearTimer = window.clearTimeout.bind(window) }) {
  let contiguous = 0; // every id from the first one shown up to this is held
  let highest = 0;
  const ahead = new Set(); // ids held above contiguous + 1, waiting for the hole below them
  let timer = null;

  return {
    get contiguous() { return contiguous; },
    get highest() { return highest; },
    // The first page is gapless and begins at `first`; older pages load below it.
    startAt(first) {
      contiguous = Math.max(contiguous, first - 1);
    },
    hold(id) {
      highest = Math.max(highest, id);
      if (id <= contiguous) {
        return;
      }
      ahead.add(id);
      while (ahead.has(contiguous + 1)) {
        ahead.delete(contiguous + 1);
        contiguous += 1;
      }
    },
    // After a batch: a hole still open after waitMs was lost, so ask for what follows the last held.
    watch() {
      if (timer !== null) {
        clearTimer(timer);
        timer = null;
      }
      if (highest > contiguous) {
        timer = setTimer(() => {
          timer = null;
          if (highest > contiguous) {
            onGap(contiguous);
          }
        }, waitMs);
      }
    },
  };
}
