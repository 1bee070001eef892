// Agent chat console: /ws/chat/desk/ says "changed" when the queue moves or one of this agent's
// chats changes; the chat list and queue are then re-fetched as server-rendered HTML (htmx). The
// socket has nothing to resume: on every open the lists are simply fetched again (gap-fill).
import { connect } from "../js/socket.js";

const REFRESH_DEBOUNCE_MS = 300;

const root = document.querySelector("[data-desk-socket]");
let refreshTimer = null;

function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    window.htmx.ajax("GET", root.dataset.listsUrl, { target: "#console-lists", swap: "innerHTML" });
  }, REFRESH_DEBOUNCE_MS);
}

if (root) {
  connect(root.dataset.deskSocket, {
    // Anything that changed between the page's render and the open, or while the socket was down.
    onOpen: refresh,
    onMessage: (frame) => {
      if (frame.type === "changed") {
        refresh();
      }
    },
  });
}
