// Collision detection on the desk's ticket page (tickets/collision.py). Over the desk's socket (desk.js
// announces it with "desk:socket-open" and hands on frames as "desk:frame"), this page says that it shows
// the ticket (renewed every 20 s) and when the agent types a reply (at most one frame per 2.5 s), and shows
// who else has the ticket open and who is typing there.
(function () {
  "use strict";

  var HEARTBEAT_MS = 20000;
  var TYPING_EVERY_MS = 2500;
  var TYPING_SHOWN_MS = 6000; // as the server's TYPING_TTL_SECONDS: a silent typist fades out

  var script = document.getElementById("collision-script");
  var stringsNode = document.getElementById("collision-strings");
  var viewingLine = document.getElementById("collision-viewing");
  var typingLine = document.getElementById("collision-typing");
  if (!script || !stringsNode || !viewingLine || !typingLine) {
    return;
  }
  var strings = JSON.parse(stringsNode.textContent);
  var ticketId = Number(script.dataset.ticketId);
  var me = Number(script.dataset.userId);
  var send = null;
  var heartbeat = null;
  var lastTyping = 0;
  var typingHide = null;

  function others(people) {
    return (people || []).filter(function (person) { return person.id !== me; }).map(function (person) {
      return person.name;
    });
  }

  function show(node, pattern, names) {
    node.hidden = names.length === 0;
    node.textContent = names.length ? pattern.replace("%(names)s", names.join(strings.separator)) : "";
  }

  function render(state) {
    show(viewingLine, strings.viewing, others(state.viewers));
    var typists = others(state.typing);
    show(typingLine, typists.length > 1 ? strings.typing_many : strings.typing, typists);
    clearTimeout(typingHide);
    if (typists.length) {
      typingHide = setTimeout(function () { show(typingLine, strings.typing, []); }, TYPING_SHOWN_MS);
    }
  }

  function watch() {
    if (send) {
      send({ type: "watch", ticket_id: ticketId });
    }
  }

  document.addEventListener("desk:socket-open", function (event) {
    send = event.detail.send;
    watch();
    clearInterval(heartbeat);
    heartbeat = setInterval(watch, HEARTBEAT_MS);
  });

  document.addEventListener("desk:frame", function (event) {
    var data = event.detail;
    if (data && data.type === "ticket.collab" && data.ticket_id === ticketId) {
      render(data);
    }
  });

  var body = document.getElementById("id_body");
  if (body) {
    body.addEventListener("input", function () {
      var now = Date.now();
      if (send && now - lastTyping >= TYPING_EVERY_MS) {
        lastTyping = now;
        send({ type: "typing" });
      }
    });
  }
  var form = document.getElementById("reply-form");
  if (form) {
    form.addEventListener("submit", function () {
      if (send) {
        send({ type: "stop_typing" });
      }
    });
  }
})();
