// One live conversation over /ws/chat/<id>/ (protocol: chat/PROTOCOL.md), shared by the customer
// widget and the agent console. Messages are ordered by seq and de-duplicated by id; a send shows
// at once as "sending" and is retried with the same client_id until the server acks it or refuses it
// (an error frame naming its client_id: then it is shown as failed, with the reason).
// The parts: transport.js (the socket), state.js (what is held), rendering.js (the message elements),
// upload.js (files); this module wires them to the page.
import { createRenderer, place } from "./rendering.js";
import { createState } from "./state.js";
import { openChatSocket } from "./transport.js";
import { watchUploads } from "./upload.js";

const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 3000;

const root = document.getElementById("chat");
const el = (id) => document.getElementById(id);
const baseTitle = document.title;
let strings = {};
let role = "";
let log = null;
let form = null;
let input = null;
let typingLine = null;
let errorLine = null;
let typingTimer = null;
let lastTypingSent = 0;
let state = null;
let renderer = null;
let socket = null;

const t = (key) => strings[key] || key;

function onAction(action, message) {
  if (action === "recall") {
    send({ type: "recall", id: message.id });
    return;
  }
  const body = window.prompt(t("edit_prompt"), message.body);
  if (body && body.trim() && body !== message.body) {
    send({ type: "edit", id: message.id, body });
  }
}

function setLive(live) {
  el("chat-live").dataset.state = live;
  el("chat-live").textContent = t(live);
}

function start() {
  strings = JSON.parse(el("chat-strings").textContent);
  role = root.dataset.role;
  log = el("chat-log");
  form = el("chat-form");
  input = el("chat-input");
  typingLine = el("chat-typing");
  errorLine = el("chat-error");
  state = createState({ onGap: (lastSeq) => send({ type: "resume", last_seq: lastSeq }) });
  renderer = createRenderer({ role, t, readUpTo: () => state.otherRead, onAction });
  socket = openChatSocket(root.dataset.chatSocket, { state, onFrame: handle, onState: setLive });
  wireForm();
  wireButtons();
}

function send(frame) {
  return socket.send(frame);
}

function showError(text) {
  errorLine.textContent = text || "";
  errorLine.hidden = !text;
}

function show(message) {
  let element = state.byId[message.id];
  const waiting = message.client_id && state.pending[message.client_id];
  if (!element && waiting && renderer.isMine(message)) {
    element = waiting.element;
    delete state.pending[message.client_id];
    element.remove();
    element.dataset.seq = String(message.seq);
    place(log, element, message.seq);
  }
  const isNew = !element;
  if (isNew) {
    element = renderer.buildElement(message);
    element.dataset.seq = String(message.seq);
    place(log, element, message.seq);
  }
  state.byId[message.id] = element;
  element.dataset.id = String(message.id);
  element.dataset.recalled = message.recalled ? "true" : "false";
  renderer.draw(element, message);
  state.held(message.seq);
  return isNew;
}

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

function showUnseen() {
  document.title = state.unseen > 0 ? "(" + state.unseen + ") " + baseTitle : baseTitle;
}

function markRead() {
  const visible = document.visibilityState === "visible";
  if (visible && state.unseen > 0) {
    state.unseen = 0;
    showUnseen();
  }
  if (visible && state.maxSeq > state.readSent && send({ type: "read", seq: state.maxSeq })) {
    state.readSent = state.maxSeq;
  }
}

function clearTyping() {
  clearTimeout(typingTimer);
  typingLine.textContent = "";
}

function applyConversation(conversation) {
  const status = conversation.status;
  state.status = status;
  if (status === "ended") {
    clearTyping();
  }
  root.dataset.status = status;
  el("chat-state").textContent = t("status_" + status);
  if (conversation.queue_position) {
    showQueue(conversation.queue_position, conversation.wait_seconds);
  } else {
    el("chat-queue").hidden = true;
  }
  const ended = status === "ended";
  const toggle = (id, hidden) => {
    if (el(id)) {
      el(id).hidden = hidden;
    }
  };
  form.hidden = ended;
  toggle("chat-handoff", status !== "bot");
  toggle("chat-end", ended);
  toggle("chat-rating", !(ended && conversation.rating === null && role === "customer"));
  toggle("chat-rated", !(ended && conversation.rating !== null));
  // Rating is an invitation: a new conversation can start whether or not this one is rated.
  toggle("chat-new", !ended);
}

function showQueue(position, waitSeconds) {
  let line = t("queue").replace("%(position)s", position);
  if (waitSeconds) {
    line += " " + t("wait").replace("%(minutes)s", Math.round(waitSeconds / 60));
  }
  el("chat-queue").textContent = line;
  el("chat-queue").hidden = state.status !== "waiting";
}

function sendMessage(body, attachmentId) {
  const clientId = state.newClientId();
  const frame = { type: "send", client_id: clientId, body };
  if (attachmentId) {
    frame.attachment = attachmentId;
  }
  const draft = { id: null, seq: 0, sender: role, author: null, kind: "text", body, attachment: null,
    client_id: clientId, edited: false, recalled: false, created_at: new Date().toISOString() };
  const element = renderer.buildElement(draft);
  element.dataset.clientId = clientId;
  renderer.draw(element, draft);
  log.appendChild(element);
  state.pending[clientId] = { frame, element };
  scrollToEnd();
  send(frame);
}

function onPage(frame) {
  // "history" (the first page, or an older one) and "gap" (a resume's answer).
  applyConversation(frame.conversation);
  if (frame.read) {
    state.otherRead = frame.read[role === "customer" ? "agent" : "customer"];
  }
  if (state.maxSeq === 0 && frame.messages.length) {
    // The first page is gapless and starts here; older pages load below it.
    state.ids.startAt(frame.messages[0].seq);
  }
  frame.messages.forEach(show);
  if (frame.type === "history") {
    el("chat-older").hidden = !frame.has_more;
  } else if (frame.has_more) {
    send({ type: "resume", last_seq: state.ids.contiguous });
  }
  state.ids.watch();
  scrollToEnd();
  markRead();
}

function onMessage(message) {
  if (!renderer.isMine(message)) {
    clearTyping(); // their line has arrived: they are no longer typing it
  }
  if (show(message)) {
    state.ids.watch();
    scrollToEnd();
    if (!renderer.isMine(message) && document.visibilityState !== "visible") {
      state.unseen += 1;
      showUnseen();
    }
  }
  markRead();
}

function onError(frame) {
  const waiting = frame.client_id && state.pending[frame.client_id];
  if (waiting) {
    // Refused, not lost: the server stored nothing and would refuse it again, so the line
    // stays on screen marked failed with the reason, and leaves the retry list for good.
    delete state.pending[frame.client_id];
    waiting.element.classList.add("msg--failed");
    waiting.element._message.failed = frame.message;
    renderer.renderStatus(waiting.element, waiting.element._message);
  }
  showError(frame.message);
}

const handlers = {
  history: onPage,
  gap: onPage,
  older: (frame) => {
    frame.messages.forEach(show);
    el("chat-older").hidden = !frame.has_more;
  },
  ack: (frame) => {
    const waiting = state.pending[frame.client_id];
    if (waiting) {
      waiting.element._message.id = frame.id;
      waiting.element._message.seq = frame.seq;
      show(waiting.element._message);
      state.ids.watch();
    }
  },
  message: (frame) => onMessage(frame.message),
  message_changed: (frame) => show(frame.message),
  read: (frame) => {
    if (frame.role !== role) {
      state.otherRead = Math.max(state.otherRead, frame.seq);
      Object.values(state.byId).forEach((element) => {
        if (element._message) {
          renderer.renderStatus(element, element._message);
        }
      });
    }
  },
  typing: (frame) => {
    typingLine.textContent = t(frame.role) + " " + t("typing");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(clearTyping, TYPING_SHOW_MS);
  },
  conversation: (frame) => applyConversation(frame.conversation),
  queue: (frame) => showQueue(frame.position, frame.wait_seconds),
  error: onError,
};

function handle(frame) {
  if (Object.prototype.hasOwnProperty.call(handlers, frame.type)) {
    handlers[frame.type](frame);
  }
}

function wireForm() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) {
      return;
    }
    showError("");
    sendMessage(body, null);
    input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    if (Date.now() - lastTypingSent > TYPING_SEND_MS && send({ type: "typing" })) {
      lastTypingSent = Date.now();
    }
  });
  root.querySelectorAll("[data-emoji]").forEach((button) => {
    button.addEventListener("click", () => {
      input.value += button.dataset.emoji;
      input.focus();
    });
  });
}

function wireButtons() {
  el("chat-older").addEventListener("click", () => {
    if (state.oldestSeq !== null) {
      send({ type: "history", before_seq: state.oldestSeq });
    }
  });
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const uploads = { url: root.dataset.uploadUrl, csrf, onUploaded: (id) => sendMessage("", id), onError: showError,
    failedText: t("upload_failed") };
  watchUploads(el("chat-image"), "image", uploads);
  watchUploads(el("chat-file"), "file", uploads);
  if (el("chat-handoff")) {
    el("chat-handoff").addEventListener("click", () => send({ type: "handoff" }));
  }
  if (el("chat-end")) {
    el("chat-end").addEventListener("click", () => send({ type: "end" }));
  }
  const ratingForm = el("chat-rating");
  if (ratingForm) {
    ratingForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const choice = ratingForm.querySelector("input[name=rating]:checked");
      // The chat's own error line is hidden with the ended chat's form: the rating has its own.
      const ratingError = el("chat-rating-error");
      ratingError.textContent = choice ? "" : t("choose_rating");
      ratingError.hidden = Boolean(choice);
      if (choice) {
        send({ type: "rate", rating: Number(choice.value), comment: el("chat-rating-comment").value });
      }
    });
  }
  document.addEventListener("visibilitychange", markRead);
}

if (root) {
  start();
}
