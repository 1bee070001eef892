// Workbench presence: keeps /ws/presence/ open while the desk is shown. Opening the socket puts
// the agent online, a heartbeat keeps them fresh, and every presence change of any agent is
// pushed back here so the badges (matched by data-user-id) follow live.
(function () {
  "use strict";

  var HEARTBEAT_MS = 30000;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 30000;
  // Application close codes from profiles.consumers: retrying cannot help with these.
  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  var PRESENCES = ["online", "away", "offline"];

  var root = document.querySelector("[data-presence-socket]");
  if (!root || !root.dataset.ownUserId) {
    return;
  }
  var stringsNode = document.getElementById("desk-strings");
  var strings = stringsNode ? JSON.parse(stringsNode.textContent) : { presence: {} };
  var ownUserId = root.dataset.ownUserId;
  var select = document.getElementById("presence-select");
  var liveStatus = document.getElementById("live-status");

  var socket = null;
  var heartbeat = null;
  var retryMs = RETRY_MIN_MS;

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + root.dataset.presenceSocket;
  }

  function showConnection(state) {
    if (liveStatus) {
      liveStatus.dataset.state = state;
      liveStatus.textContent = strings[state] || "";
    }
    if (select) {
      select.disabled = state !== "open";
    }
  }

  function applyPresence(userId, presence) {
    if (PRESENCES.indexOf(presence) === -1) {
      return;
    }
    var badges = document.querySelectorAll('.badge[data-user-id="' + String(userId) + '"]');
    badges.forEach(function (badge) {
      PRESENCES.forEach(function (name) {
        badge.classList.remove("badge--" + name);
      });
      badge.classList.add("badge--" + presence);
      badge.dataset.presence = presence;
      badge.textContent = strings.presence[presence] || presence;
    });
    if (select && String(userId) === ownUserId && presence !== "offline") {
      select.value = presence;
    }
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function connect() {
    socket = new WebSocket(socketUrl());
    showConnection("connecting");

    socket.addEventListener("open", function () {
      retryMs = RETRY_MIN_MS;
      showConnection("open");
      heartbeat = window.setInterval(function () {
        send({ type: "heartbeat" });
      }, HEARTBEAT_MS);
    });

    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === "presence") {
        applyPresence(message.user_id, message.presence);
      }
    });

    socket.addEventListener("close", function (event) {
      window.clearInterval(heartbeat);
      socket = null;
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
        showConnection("refused");
        return;
      }
      showConnection("closed");
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  }

  if (select) {
    select.addEventListener("change", function () {
      send({ type: "presence", presence: select.value });
    });
  }

  connect();
})();
