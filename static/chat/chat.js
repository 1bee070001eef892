// One live conversation over /ws/chat/<id>/ (protocol: chat/PROTOCOL.md), shared by the customer
// widget and the agent console. Messages are ordered by seq and de-duplicated by id; a send shows
// at once as "sending" and is retried with the same client_id until the server acks it or refuses it
// (an error frame naming its client_id: then it is shown as failed, with the reason). Resuming
// asks for everything after the highest seq held WITHOUT a gap, never the highest seen: holding 5
// and 7 resumes from 5, so 6 comes too.
(function () {
  "use strict";

  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 30000;
  var TYPING_SEND_MS = 2000;
  var TYPING_SHOW_MS = 3000;
  var CHANGE_WINDOW_MS = 120000;
  // A live message can overtake the one before it; a hole still open after this long was lost.
  var GAP_WAIT_MS = 1000;
  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  // Links in a message: web addresses and this site's own paths (the assistant's "read more" and order
  // pages), each starting after a space, an opening bracket or quote, or a colon or comma (so "1/2",
  // "and/or" and "</b>" stay text). Captured whole so split() keeps
  // them; trailing punctuation is not part of the link.
  var LINK = /((?<=^|[\s(\[\uff08\u3010\u201c\u2018"'\uff1a\uff0c\u3001])(?:https?:\/\/|\/(?=[A-Za-z0-9]))[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]*[^\s<>"'.,;:!?)\]\u3000-\u303f\uff01-\uff0f\uff1a-\uff20])/;

  var root = document.getElementById("chat");
  if (!root) {
    return;
  }
  var strings = JSON.parse(document.getElementById("chat-strings").textContent);
  var role = root.dataset.role;
  var log = document.getElementById("chat-log");
  var olderButton = document.getElementById("chat-older");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var typingLine = document.getElementById("chat-typing");
  var errorLine = document.getElementById("chat-error");
  var stateBadge = document.getElementById("chat-state");
  var queueLine = document.getElementById("chat-queue");
  var liveLine = document.getElementById("chat-live");
  var handoffButton = document.getElementById("chat-handoff");
  var endButton = document.getElementById("chat-end");
  var ratingForm = document.getElementById("chat-rating");
  var ratedBox = document.getElementById("chat-rated");
  var newChatForm = document.getElementById("chat-new");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  var socket = null;
  var retryMs = RETRY_MIN_MS;
  var byId = {}; // message id -> element
  var pending = {}; // client_id -> {frame, element}
  var maxSeq = 0;
  var oldestSeq = null;
  var contiguousSeq = 0; // every seq from the first page shown up to this one is held
  var heldAhead = {}; // seqs held above contiguousSeq + 1, waiting for the gap below them
  var gapTimer = null;
  var otherRead = 0;
  var readSent = 0;
  var lastTypingSent = 0;
  var typingTimer = null;
  var sendCounter = 0;
  var status = null;
  var baseTitle = document.title;
  var unseen = 0; // messages from the other side that arrived while the page was hidden

  function t(key) {
    return strings[key] || key;
  }

  function showError(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function timeOf(iso) {
    var date = new Date(iso);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function isMine(message) {
    return message.sender === role;
  }

  function renderBody(bubble, message) {
    bubble.textContent = "";
    if (message.recalled) {
      bubble.classList.add("msg__bubble--recalled");
      bubble.textContent = t("recalled");
      return;
    }
    var attachment = message.attachment;
    if (attachment) {
      var media;
      if (attachment.kind === "image") {
        var link = document.createElement("a");
        link.href = attachment.url;
        link.target = "_blank";
        link.rel = "noopener";
        media = document.createElement("img");
        media.src = attachment.thumbnail_url || attachment.url;
        media.alt = attachment.name;
        media.className = "msg__image";
        link.appendChild(media);
        bubble.appendChild(link);
      } else if (attachment.kind === "voice" || attachment.kind === "video") {
        media = document.createElement(attachment.kind === "voice" ? "audio" : "video");
        media.controls = true;
        media.preload = "metadata";
        media.src = attachment.url;
        media.className = "msg__media";
        bubble.appendChild(media);
        if (attachment.transcript) {
          var transcript = document.createElement("div");
          transcript.className = "small muted";
          transcript.textContent = attachment.transcript;
          bubble.appendChild(transcript);
        }
      } else {
        var file = document.createElement("a");
        file.href = attachment.url;
        // Isolated: a right-to-left override in the name must not reorder what surrounds it.
        var fileName = document.createElement("bdi");
        fileName.textContent = attachment.name;
        file.append("📎 ", fileName);
        bubble.appendChild(file);
      }
    }
    if (message.body) {
      var text = document.createElement("div");
      text.className = "msg__text";
      // Text nodes, never innerHTML: message text is shown exactly as typed. Web addresses and the
      // site's own paths become links; the href is the matched text itself, which can only start
      // with http(s):// or a single "/", so no other scheme (javascript:, data:) ever gets through.
      message.body.split(LINK).forEach(function (part, index) {
        if (index % 2 === 1) {
          var anchor = document.createElement("a");
          anchor.href = part;
          anchor.target = "_blank";
          anchor.rel = "noopener noreferrer";
          anchor.className = "msg__link";
          anchor.textContent = part;
          text.appendChild(anchor);
        } else if (part) {
          text.appendChild(document.createTextNode(part));
        }
      });
      bubble.appendChild(text);
    }
  }

  function renderStatus(element, message) {
    var line = element.querySelector(".msg__status");
    line.textContent = "";
    var parts = [];
    if (message.edited && !message.recalled) {
      parts.push(t("edited"));
    }
    if (message.failed) {
      parts.push(t("failed") + ": " + message.failed);
    } else if (isMine(message) && !message.recalled) {
      parts.push(message.seq && message.seq <= otherRead ? t("read") : message.seq ? t("sent") : t("sending"));
    }
    line.appendChild(document.createTextNode(parts.join(" · ")));
    var fresh = Date.now() - new Date(message.created_at).getTime() < CHANGE_WINDOW_MS;
    if (isMine(message) && message.id && !message.recalled && fresh) {
      if (message.kind === "text") {
        line.appendChild(actionButton("edit", message));
      }
      line.appendChild(actionButton("recall", message));
    }
  }

  function actionButton(action, message) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "msg__action";
    button.dataset.action = action;
    button.textContent = t(action);
    button.addEventListener("click", function () {
      if (action === "recall") {
        send({ type: "recall", id: message.id });
      } else {
        var body = window.prompt(t("edit_prompt"), message.body);
        if (body && body.trim() && body !== message.body) {
          send({ type: "edit", id: message.id, body: body });
        }
      }
    });
    return button;
  }

  function buildElement(message) {
    var element = document.createElement("div");
    var side = message.sender === "system" || message.sender === "bot" ? message.sender : isMine(message) ? "mine" : "theirs";
    element.className = "msg msg--" + side;
    var meta = document.createElement("div");
    meta.className = "msg__meta";
    meta.textContent = (isMine(message) ? t("you") : message.author || t(message.sender)) + " · " + timeOf(message.created_at);
    if (role === "agent" && message.confidence !== null && message.confidence !== undefined) {
      meta.textContent += " · " + t("confidence") + " " + message.confidence.toFixed(2);
    }
    var bubble = document.createElement("div");
    bubble.className = "msg__bubble";
    var statusLine = document.createElement("div");
    statusLine.className = "msg__status";
    element.appendChild(meta);
    element.appendChild(bubble);
    element.appendChild(statusLine);
    return element;
  }

  function place(element, seq) {
    // Keep the log in seq order: insert before the first message with a higher seq.
    var nodes = log.querySelectorAll(".msg[data-seq]");
    for (var i = 0; i < nodes.length; i++) {
      if (Number(nodes[i].dataset.seq) > seq) {
        log.insertBefore(element, nodes[i]);
        return;
      }
    }
    var firstPending = log.querySelector(".msg:not([data-seq])");
    log.insertBefore(element, firstPending);
  }

  function show(message) {
    var element = byId[message.id];
    if (!element && message.client_id && pending[message.client_id] && isMine(message)) {
      element = pending[message.client_id].element;
      delete pending[message.client_id];
      element.remove();
      element.dataset.seq = String(message.seq);
      place(element, message.seq);
    }
    var isNew = !element;
    if (isNew) {
      element = buildElement(message);
      element.dataset.seq = String(message.seq);
      place(element, message.seq);
    }
    byId[message.id] = element;
    element.dataset.id = String(message.id);
    element.dataset.recalled = message.recalled ? "true" : "false";
    element._message = message;
    renderBody(element.querySelector(".msg__bubble"), message);
    renderStatus(element, message);
    hold(message.seq);
    maxSeq = Math.max(maxSeq, message.seq);
    oldestSeq = oldestSeq === null ? message.seq : Math.min(oldestSeq, message.seq);
    return isNew;
  }

  function hold(seq) {
    if (seq <= contiguousSeq) {
      return;
    }
    heldAhead[seq] = true;
    while (heldAhead[contiguousSeq + 1]) {
      delete heldAhead[contiguousSeq + 1];
      contiguousSeq += 1;
    }
  }

  function resume() {
    send({ type: "resume", last_seq: contiguousSeq });
  }

  function watchForGap() {
    clearTimeout(gapTimer);
    if (maxSeq > contiguousSeq) {
      gapTimer = setTimeout(function () {
        if (maxSeq > contiguousSeq) {
          resume();
        }
      }, GAP_WAIT_MS);
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function refreshStatuses() {
    Object.keys(byId).forEach(function (id) {
      var element = byId[id];
      if (element._message) {
        renderStatus(element, element._message);
      }
    });
  }

  function showUnseen() {
    document.title = unseen > 0 ? "(" + unseen + ") " + baseTitle : baseTitle;
  }

  function markRead() {
    if (document.visibilityState === "visible" && unseen > 0) {
      unseen = 0;
      showUnseen();
    }
    if (document.visibilityState === "visible" && maxSeq > readSent && socket && socket.readyState === 1) {
      readSent = maxSeq;
      socket.send(JSON.stringify({ type: "read", seq: maxSeq }));
    }
  }

  function clearTyping() {
    clearTimeout(typingTimer);
    typingLine.textContent = "";
  }

  function applyConversation(conversation) {
    status = conversation.status;
    if (status === "ended") {
      clearTyping();
    }
    root.dataset.status = status;
    stateBadge.textContent = t("status_" + status);
    if (conversation.queue_position) {
      showQueue(conversation.queue_position, conversation.wait_seconds);
    } else {
      queueLine.hidden = true;
    }
    var ended = status === "ended";
    form.hidden = ended;
    if (handoffButton) {
      handoffButton.hidden = status !== "bot";
    }
    if (endButton) {
      endButton.hidden = ended;
    }
    if (ratingForm) {
      ratingForm.hidden = !(ended && conversation.rating === null && role === "customer");
    }
    if (ratedBox) {
      ratedBox.hidden = !(ended && conversation.rating !== null);
    }
    if (newChatForm) {
      // Rating is an invitation: a new conversation can start whether or not this one is rated.
      newChatForm.hidden = !ended;
    }
  }

  function showQueue(position, waitSeconds) {
    var line = t("queue").replace("%(position)s", position);
    if (waitSeconds) {
      line += " " + t("wait").replace("%(minutes)s", Math.round(waitSeconds / 60));
    }
    queueLine.textContent = line;
    queueLine.hidden = status !== "waiting";
  }

  function send(frame) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function sendMessage(body, attachmentId) {
    sendCounter += 1;
    var clientId = "c" + Date.now().toString(36) + "-" + sendCounter + "-" + Math.random().toString(36).slice(2, 8);
    var frame = { type: "send", client_id: clientId, body: body };
    if (attachmentId) {
      frame.attachment = attachmentId;
    }
    var draft = { id: null, seq: 0, sender: role, author: null, kind: "text", body: body, attachment: null,
      client_id: clientId, edited: false, recalled: false, created_at: new Date().toISOString() };
    var element = buildElement(draft);
    element.dataset.clientId = clientId;
    element._message = draft;
    renderBody(element.querySelector(".msg__bubble"), draft);
    renderStatus(element, draft);
    log.appendChild(element);
    pending[clientId] = { frame: frame, element: element };
    scrollToEnd();
    send(frame);
  }

  function handle(frame) {
    var newOnes = false;
    switch (frame.type) {
      case "history":
      case "gap":
        applyConversation(frame.conversation);
        if (frame.read) {
          otherRead = frame.read[role === "customer" ? "agent" : "customer"];
        }
        if (maxSeq === 0 && frame.messages.length) {
          // The first page is gapless and starts here; older pages load below it.
          contiguousSeq = frame.messages[0].seq - 1;
        }
        frame.messages.forEach(function (message) {
          newOnes = show(message) || newOnes;
        });
        if (frame.type === "history") {
          olderButton.hidden = !frame.has_more;
        } else if (frame.has_more) {
          resume();
        }
        watchForGap();
        scrollToEnd();
        markRead();
        break;
      case "older":
        frame.messages.forEach(show);
        olderButton.hidden = !frame.has_more;
        break;
      case "ack":
        var waiting = pending[frame.client_id];
        if (waiting) {
          waiting.element._message.id = frame.id;
          waiting.element._message.seq = frame.seq;
          show(waiting.element._message);
          watchForGap();
        }
        break;
      case "message":
        if (!isMine(frame.message)) {
          clearTyping(); // their line has arrived: they are no longer typing it
        }
        if (show(frame.message)) {
          watchForGap();
          scrollToEnd();
          if (!isMine(frame.message) && document.visibilityState !== "visible") {
            unseen += 1;
            showUnseen();
          }
        }
        markRead();
        break;
      case "message_changed":
        show(frame.message);
        break;
      case "read":
        if (frame.role !== role) {
          otherRead = Math.max(otherRead, frame.seq);
          refreshStatuses();
        }
        break;
      case "typing":
        typingLine.textContent = t(frame.role) + " " + t("typing");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(clearTyping, TYPING_SHOW_MS);
        break;
      case "conversation":
        applyConversation(frame.conversation);
        break;
      case "queue":
        showQueue(frame.position, frame.wait_seconds);
        break;
      case "error":
        if (frame.client_id && pending[frame.client_id]) {
          // Refused, not lost: the server stored nothing and would refuse it again, so the line
          // stays on screen marked failed with the reason, and leaves the retry list for good.
          var refused = pending[frame.client_id].element;
          delete pending[frame.client_id];
          refused.classList.add("msg--failed");
          refused._message.failed = frame.message;
          renderStatus(refused, refused._message);
        }
        showError(frame.message);
        break;
      default:
        break;
    }
  }

  function setLive(state) {
    liveLine.dataset.state = state;
    liveLine.textContent = t(state);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.chatSocket);
    setLive("connecting");
    socket.addEventListener("open", function () {
      retryMs = RETRY_MIN_MS;
      setLive("open");
      if (maxSeq > 0) {
        resume();
      }
      // Anything never acked goes again with the same client_id: the server stores it once.
      Object.keys(pending).forEach(function (clientId) {
        send(pending[clientId].frame);
      });
    });
    socket.addEventListener("message", function (event) {
      handle(JSON.parse(event.data));
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
        setLive("refused");
        return;
      }
      setLive("closed");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  }

  function upload(fileInput, kind) {
    fileInput.addEventListener("change", function () {
      var file = fileInput.files[0];
      if (!file) {
        return;
      }
      var data = new FormData();
      data.append("kind", kind);
      data.append("file", file);
      showError("");
      fetch(root.dataset.uploadUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              throw new Error((body.error && body.error.message) || t("upload_failed"));
            }
            sendMessage("", body.id);
          });
        })
        .catch(function (error) {
          showError(error.message || t("upload_failed"));
        })
        .finally(function () {
          fileInput.value = "";
        });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) {
      return;
    }
    showError("");
    sendMessage(body, null);
    input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", function () {
    if (Date.now() - lastTypingSent > TYPING_SEND_MS && send({ type: "typing" })) {
      lastTypingSent = Date.now();
    }
  });
  root.querySelectorAll("[data-emoji]").forEach(function (button) {
    button.addEventListener("click", function () {
      input.value += button.dataset.emoji;
      input.focus();
    });
  });
  olderButton.addEventListener("click", function () {
    if (oldestSeq !== null) {
      send({ type: "history", before_seq: oldestSeq });
    }
  });
  upload(document.getElementById("chat-image"), "image");
  upload(document.getElementById("chat-file"), "file");
  if (handoffButton) {
    handoffButton.addEventListener("click", function () {
      send({ type: "handoff" });
    });
  }
  if (endButton) {
    endButton.addEventListener("click", function () {
      send({ type: "end" });
    });
  }
  if (ratingForm) {
    ratingForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var choice = ratingForm.querySelector("input[name=rating]:checked");
      // The chat's own error line is hidden with the ended chat's form: the rating has its own.
      var ratingError = document.getElementById("chat-rating-error");
      ratingError.textContent = choice ? "" : t("choose_rating");
      ratingError.hidden = Boolean(choice);
      if (!choice) {
        return;
      }
      send({ type: "rate", rating: Number(choice.value), comment: document.getElementById("chat-rating-comment").value });
    });
  }
  document.addEventListener("visibilitychange", markRead);
  connect();
})();
