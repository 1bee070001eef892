// Drawing chat messages (static/chat/chat.js): one element per message, bodies as text nodes only.

const CHANGE_WINDOW_MS = 120000;
// Links in a message: web addresses and this site's own paths (the assistant's "read more" and order
// pages), each starting after a space, an opening bracket or quote, or a colon or comma (so "1/2",
// "and/or" and "</b>" stay text). Captured whole so split() keeps
// them; trailing punctuation is not part of the link.
const LINK = /((?<=^|[\s(\[\uff08\u3010\u201c\u2018"'\uff1a\uff0c\u3001])(?:https?:\/\/|\/(?=[A-Za-z0-9]))[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]*[^\s<>"'.,;:!?)\]\u3000-\u303f\uff01-\uff0f\uff1a-\uff20])/;

function timeOf(iso) {
  const date = new Date(iso);
  return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
}

function renderAttachment(bubble, attachment) {
  let media;
  if (attachment.kind === "image") {
    const link = document.createElement("a");
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
      const transcript = document.createElement("div");
      transcript.className = "small muted";
      transcript.textContent = attachment.transcript;
      bubble.appendChild(transcript);
    }
  } else {
    const file = document.createElement("a");
    file.href = attachment.url;
    // Isolated: a right-to-left override in the name must not reorder what surrounds it.
    const fileName = document.createElement("bdi");
    fileName.textContent = attachment.name;
    file.append("📎 ", fileName);
    bubble.appendChild(file);
  }
}

function renderText(bubble, body) {
  const text = document.createElement("div");
  text.className = "msg__text";
  // Text nodes, never innerHTML: message text is shown exactly as typed. Web addresses and the
  // site's own paths become links; the href is the matched text itself, which can only start
  // with http(s):// or a single "/", so no other scheme (javascript:, data:) ever gets through.
  body.split(LINK).forEach((part, index) => {
    if (index % 2 === 1) {
      const anchor = document.createElement("a");
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

// role: "customer" or "agent"; t: translations; readUpTo(): the other side's read pointer;
// onAction(action, message): "edit" or "recall" clicked.
export function createRenderer({ role, t, readUpTo, onAction }) {
  const isMine = (message) => message.sender === role;

  function renderBody(bubble, message) {
    bubble.textContent = "";
    if (message.recalled) {
      bubble.classList.add("msg__bubble--recalled");
      bubble.textContent = t("recalled");
      return;
    }
    if (message.attachment) {
      renderAttachment(bubble, message.attachment);
    }
    if (message.body) {
      renderText(bubble, message.body);
    }
  }

  function actionButton(action, message) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "msg__action";
    button.dataset.action = action;
    button.textContent = t(action);
    button.addEventListener("click", () => onAction(action, message));
    return button;
  }

  function renderStatus(element, message) {
    const line = element.querySelector(".msg__status");
    line.textContent = "";
    const parts = [];
    if (message.edited && !message.recalled) {
      parts.push(t("edited"));
    }
    if (message.failed) {
      parts.push(t("failed") + ": " + message.failed);
    } else if (isMine(message) && !message.recalled) {
      parts.push(message.seq && message.seq <= readUpTo() ? t("read") : message.seq ? t("sent") : t("sending"));
    }
    line.appendChild(document.createTextNode(parts.join(" · ")));
    const fresh = Date.now() - new Date(message.created_at).getTime() < CHANGE_WINDOW_MS;
    if (isMine(message) && message.id && !message.recalled && fresh) {
      if (message.kind === "text") {
        line.appendChild(actionButton("edit", message));
      }
      line.appendChild(actionButton("recall", message));
    }
  }

  function buildElement(message) {
    const element = document.createElement("div");
    const side = message.sender === "system" || message.sender === "bot" ? message.sender : isMine(message) ? "mine" : "theirs";
    element.className = "msg msg--" + side;
    const meta = document.createElement("div");
    meta.className = "msg__meta";
    meta.textContent = (isMine(message) ? t("you") : message.author || t(message.sender)) + " · " + timeOf(message.created_at);
    if (role === "agent" && message.confidence !== null && message.confidence !== undefined) {
      meta.textContent += " · " + t("confidence") + " " + message.confidence.toFixed(2);
    }
    const bubble = document.createElement("div");
    bubble.className = "msg__bubble";
    const statusLine = document.createElement("div");
    statusLine.className = "msg__status";
    element.appendChild(meta);
    element.appendChild(bubble);
    element.appendChild(statusLine);
    return element;
  }

  // Draw (or redraw) a message into its element.
  function draw(element, message) {
    element._message = message;
    renderBody(element.querySelector(".msg__bubble"), message);
    renderStatus(element, message);
  }

  return { isMine, buildElement, draw, renderStatus };
}

// Keep the log in seq order: insert before the first message with a higher seq, else before the
// first message still sending (no seq yet).
export function place(log, element, seq) {
  const nodes = log.querySelectorAll(".msg[data-seq]");
  for (let i = 0; i < nodes.length; i++) {
    if (Number(nodes[i].dataset.seq) > seq) {
      log.insertBefore(element, nodes[i]);
      return;
    }
  }
  log.insertBefore(element, log.querySelector(".msg:not([data-seq])"));
}
