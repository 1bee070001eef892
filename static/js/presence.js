// Presence on every desk page (the top bar's status control; server side: profiles/presence.py).
// Each page holds /ws/presence/ open as one tab of the agent: a heartbeat keeps the tab counted and
// says whether the agent used the keyboard or mouse since the last one (idle agents turn away), and
// the status picked here reaches every other tab. Every presence change of anyone is pushed here, so
// badges (matched by data-user-id) follow live; supervisors without an agent profile only listen.
(function () {
  "use strict";

  var HEARTBEAT_MS = 30000;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 30000;
  // Application close codes from profiles.consumers: retrying cannot help with these.
  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  var PRESENCES = ["online", "away", "busy", "offline"];
  var ACTIVITY_EVENTS = ["keydown", "mousedown", "mousemove", "wheel", "touchstart"];

  var control = document.getElementById("presence-control");
  if (!control) {
    return;
  }
  var strings = JSON.parse(document.getElementById("presence-strings").textContent);
  var select = document.getElementById("presence-select");
  var dot = document.getElementById("presence-dot");

  var socket = null;
  var heartbeat = null;
  var retryMs = RETRY_MIN_MS;
  var ownUserId = null;
  var usedSinceBeat = false;

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + control.dataset.presenceSocket;
  }

  function applyPresence(userId, presence) {
    if (PRESENCES.indexOf(presence) === -1) {
      return;
    }
    document.querySelectorAll('.badge[data-user-id="' + String(userId) + '"]').forEach(function (badge) {
      PRESENCES.forEach(function (name) {
        badge.classList.remove("badge--" + name);
      });
      badge.classList.add("badge--" + presence);
      badge.dataset.presence = presence;
      badge.textContent = strings.presence[presence] || presence;
    });
    if (String(userId) === ownUserId) {
      // The dot shows what others see (away when idle); the select what the agent picked.
      dot.dataset.presence = presence;
      control.dataset.presence = presence;
      dot.title = strings.presence[presence] || presence;
    }
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function beat() {
    send({ type: "heartbeat", active: usedSinceBeat });
    usedSinceBeat = false;
  }

  function handle(message) {
    if (message.type === "self") {
      ownUserId = String(message.user_id);
      control.hidden = !message.agent;
      if (message.agent) {
        select.value = message.chosen;
        select.disabled = false;
        applyPresence(message.user_id, message.presence);
      }
    } else if (message.type === "presence") {
      applyPresence(message.user_id, message.presence);
      if (message.chosen) {
        select.value = message.chosen;
      }
    }
  }

  function connect() {
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", function () {
      retryMs = RETRY_MIN_MS;
      heartbeat = window.setInterval(beat, HEARTBEAT_MS);
    });
    socket.addEventListener("message", function (event) {
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        // A frame this page cannot read changes nothing on it.
      }
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(heartbeat);
      socket = null;
      select.disabled = true;
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
        control.hidden = true;
        return;
      }
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  }

  ACTIVITY_EVENTS.forEach(function (name) {
    document.addEventListener(name, function () {
      usedSinceBeat = true;
    }, { passive: true, capture: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      // Coming back to the tab is use: an agent shown away by idleness is back at once.
      usedSinceBeat = true;
      beat();
    }
  });
  select.addEventListener("change", function () {
    send({ type: "presence", presence: select.value });
  });

  connect();
})();
