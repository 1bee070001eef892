// The desk shell on every desk page (desk/__init__.py): the agent's status control and the notification
// bell in the top bar, over one socket, /ws/presence/ (desk/consumers.py).
// Status: each page is one tab of the agent; a heartbeat keeps the tab counted and says whether the
// agent used the keyboard or mouse since the last one (idle agents turn away), and the status picked
// here reaches every other tab. Every presence change of anyone is pushed here, so badges (matched by
// data-user-id) follow live; supervisors without an agent profile only listen.
// Bell: the first frame carries the unread count, then a "notifications" frame every change; an open
// dropdown re-fetches its list (htmx, on the "notifications-changed" event).
import { connect } from "../js/socket.js";

const HEARTBEAT_MS = 30000;
const PRESENCES = ["online", "away", "busy", "offline"];
const ACTIVITY_EVENTS = ["keydown", "mousedown", "mousemove", "wheel", "touchstart"];

const control = document.getElementById("presence-control");
const strings = control ? JSON.parse(document.getElementById("presence-strings").textContent) : null;
const select = document.getElementById("presence-select");
const dot = document.getElementById("presence-dot");
const bell = document.getElementById("bell");
const bellCount = document.getElementById("bell-count");

let ownUserId = null;
let usedSinceBeat = false;
let heartbeat = null;
let socket = null;

function applyPresence(userId, presence) {
  if (!PRESENCES.includes(presence)) {
    return;
  }
  document.querySelectorAll(`.badge[data-user-id="${String(userId)}"]`).forEach((badge) => {
    PRESENCES.forEach((name) => badge.classList.remove(`badge--${name}`));
    badge.classList.add(`badge--${presence}`);
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

function showUnread(unread) {
  if (!bellCount || typeof unread !== "number") {
    return;
  }
  const changed = bellCount.dataset.unread !== String(unread);
  bellCount.dataset.unread = String(unread);
  bellCount.textContent = unread > 99 ? "99+" : String(unread);
  bellCount.hidden = unread === 0;
  if (changed && bell.open && window.htmx) {
    window.htmx.trigger(bell, "notifications-changed");
  }
}

function beat() {
  socket.send({ type: "heartbeat", active: usedSinceBeat });
  usedSinceBeat = false;
}

function onMessage(frame) {
  if (frame.type === "self") {
    ownUserId = String(frame.user_id);
    control.hidden = !frame.agent;
    if (frame.agent) {
      select.value = frame.chosen;
      select.disabled = false;
      applyPresence(frame.user_id, frame.presence);
    }
    showUnread(frame.unread);
  } else if (frame.type === "presence") {
    applyPresence(frame.user_id, frame.presence);
    if (frame.chosen) {
      select.value = frame.chosen;
    }
  } else if (frame.type === "notifications") {
    showUnread(frame.unread);
  }
}

function onState(state) {
  if (state === "open") {
    heartbeat = window.setInterval(beat, HEARTBEAT_MS);
    return;
  }
  window.clearInterval(heartbeat);
  select.disabled = true;
  if (state === "refused") {
    control.hidden = true;
  }
}

if (control) {
  ACTIVITY_EVENTS.forEach((name) => {
    document.addEventListener(name, () => { usedSinceBeat = true; }, { passive: true, capture: true });
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      // Coming back to the tab is use: an agent shown away by idleness is back at once.
      usedSinceBeat = true;
      beat();
    }
  });
  select.addEventListener("change", () => socket.send({ type: "presence", presence: select.value }));
  socket = connect(control.dataset.presenceSocket, { onMessage, onState });
}
