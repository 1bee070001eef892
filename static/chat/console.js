// Agent chat console: /ws/chat/desk/ says "changed" when the queue moves or one of this agent's
// chats changes; the chat list and queue are then re-fetched as server-rendered HTML.
(function () {
  "use strict";

  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 30000;
  var REFRESH_DEBOUNCE_MS = 300;
  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;

  var root = document.querySelector("[data-desk-socket]");
  if (!root) {
    return;
  }
  var lists = document.getElementById("console-lists");
  var retryMs = RETRY_MIN_MS;
  var refreshTimer = null;

  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch(root.dataset.listsUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            lists.innerHTML = html;
          }
        });
    }, REFRESH_DEBOUNCE_MS);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.deskSocket);
    socket.addEventListener("open", function () {
      retryMs = RETRY_MIN_MS;
      refresh(); // anything that changed while the socket was down
    });
    socket.addEventListener("message", function (event) {
      if (JSON.parse(event.data).type === "changed") {
        refresh();
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
        return;
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  }

  connect();
})();
