// Tickets workbench and customer ticket page: live refresh over a WebSocket, keyboard shortcuts
// (r reply, n next ticket, / filter), the canned-response picker and ticking SLA countdowns.
// The server pushes only "something changed on ticket X"; the page re-fetches its own HTML, so what
// is shown always comes from the same templates and access checks as a reload. The socket is the
// shared reconnecting one (static/js/socket.js).
import { connect } from "../js/socket.js";

(function () {
  "use strict";

  var script = document.getElementById("desk-script");
  var stringsNode = document.getElementById("desk-strings");
  var strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  var liveStatus = document.getElementById("live-status");
  var ticketId = script && script.dataset.ticketId ? String(script.dataset.ticketId) : "";
  var refreshTimer = null;
  var freshIds = [];

  function showConnection(state) {
    if (liveStatus) {
      liveStatus.dataset.state = state;
      liveStatus.textContent = strings[state] || "";
    }
  }

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text();
    });
  }

  function refreshQueue() {
    fetchHtml(window.location.href).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      // Rows ticked for a bulk action stay ticked when the live queue redraws.
      var ticked = Array.from(document.querySelectorAll('input[name="ticket"]:checked')).map(function (box) {
        return box.value;
      });
      ["queue-tabs", "queue-body", "saved-views-list"].forEach(function (id) {
        var fresh = doc.getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current) {
          current.innerHTML = fresh.innerHTML;
        }
      });
      ticked.forEach(function (id) {
        var box = document.querySelector('input[name="ticket"][value="' + id + '"]');
        if (box) {
          box.checked = true;
        }
      });
      freshIds.forEach(function (id) {
        var row = document.querySelector('tr[data-ticket-id="' + id + '"]');
        if (row) {
          row.classList.add("is-new");
        }
      });
      freshIds = [];
      if (window.htmx) {
        window.htmx.process(document.getElementById("queue-body"));
      }
      tick();
    }).catch(function () { /* the next event or a reload will catch up */ });
  }

  function refreshTicket() {
    // The whole page through the normal view, then only the live parts are swapped in.
    fetchHtml(window.location.pathname + window.location.search).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      ["thread-wrap", "ticket-status"].forEach(function (id) {
        var fresh = doc.getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current) {
          current.innerHTML = fresh.innerHTML;
        }
      });
      var thread = document.getElementById("thread");
      if (thread) {
        thread.scrollTop = thread.scrollHeight;
      }
      if (liveStatus && strings.new_activity) {
        liveStatus.textContent = strings.new_activity;
      }
    }).catch(function () { /* idem */ });
  }

  function onEvent(data) {
    // A set-based change (automation sweep, bulk action) sends one message per group naming every ticket.
    var ids = (data.ticket_ids || [data.ticket_id]).map(String);
    if (data.event === "ticket.side_replied") {
      // An answer on a side conversation: only its panel reloads (htmx, drafts kept); queues do not change.
      if (ticketId && ids.indexOf(ticketId) !== -1) {
        document.body.dispatchEvent(new CustomEvent("side-refresh"));
        if (liveStatus && strings.new_activity) {
          liveStatus.textContent = strings.new_activity;
        }
      }
      return;
    }
    if (ticketId) {
      if (ids.indexOf(ticketId) !== -1) {
        refreshTicket();
      }
      return;
    }
    if (document.getElementById("queue-body")) {
      Array.prototype.push.apply(freshIds, ids);
      // Bursts (a merge, an escalation) send several events: one refresh covers them.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refreshQueue, 250);
    }
  }

  // Other modules of the page (collision.js) talk over this socket through two document events.
  var handle = null;
  function announceSocket() {
    document.dispatchEvent(new CustomEvent("desk:socket-open", { detail: { send: function (frame) {
      return handle ? handle.send(frame) : false;
    } } }));
  }

  function openSocket() {
    if (!script || !script.dataset.socket || !window.WebSocket) {
      return null;
    }
    // The server has no replay here: after a reconnect the page re-fetches what it shows (gap-fill).
    handle = connect(script.dataset.socket, {
      onState: showConnection,
      onOpen: function (info) {
        announceSocket();
        if (info.reconnected) {
          if (ticketId) {
            refreshTicket();
          } else if (document.getElementById("queue-body")) {
            refreshQueue();
          }
        }
      },
      onMessage: function (data) {
        if (data && data.type === "ticket.event") {
          onEvent(data);
        } else if (data) {
          document.dispatchEvent(new CustomEvent("desk:frame", { detail: data }));
        }
      },
    });
    return handle;
  }

  // The same units and rounding as core/durations.py, from the page's own translations.
  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)[ds]/g, function (_, name) { return values[name]; });
  }

  function formatSpan(seconds) {
    var units = strings.units || {};
    seconds = Math.abs(seconds);
    if (seconds < 60) {
      return fill(units.seconds, { seconds: Math.round(seconds) });
    }
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) {
      return fill(units.minutes, { minutes: minutes });
    }
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) {
      return minutes ? fill(units.hours_minutes, { hours: hours, minutes: minutes }) : fill(units.hours, { hours: hours });
    }
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? fill(units.days_hours, { days: days, hours: hours }) : fill(units.days, { days: days });
  }

  // Only clocks the server marked as ticking (running while the desk is open) count on between page loads;
  // business time stands still out of hours, so the others keep the server's figure.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-sla-seconds][data-ticking]").forEach(function (node) {
      // Rows swapped in later carry figures from their own fetch: count from when each was first seen.
      if (!node.dataset.seenAt) {
        node.dataset.seenAt = String(now);
      }
      var left = Number(node.dataset.slaSeconds) - (now - Number(node.dataset.seenAt)) / 1000;
      var text = formatSpan(left);
      node.textContent = left < 0 ? fill(strings.overdue, { ago: text }) : fill(strings.left, { left: text });
      node.classList.toggle("tk-due--breached", left < 0);
    });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var body = document.getElementById("id_body");
    if (event.key === "r" && body) {
      event.preventDefault();
      var replyRadio = document.querySelector('#reply-form input[name="kind"][value="reply"]');
      if (replyRadio) {
        replyRadio.checked = true;
        replyRadio.dispatchEvent(new Event("change", { bubbles: true }));
      }
      body.focus();
    } else if (event.key === "n") {
      var next = document.getElementById("take-next-form");
      if (next) {
        event.preventDefault();
        next.submit();
      }
    } else if (event.key === "/") {
      var filter = document.querySelector("#queue-filters input[name='tag']");
      if (filter) {
        event.preventDefault();
        filter.focus();
      }
    }
  });

  var picker = document.getElementById("canned-picker");
  var cannedNode = document.getElementById("canned-data");
  if (picker && cannedNode) {
    var canned = JSON.parse(cannedNode.textContent);
    picker.addEventListener("change", function () {
      var item = canned[Number(picker.value)];
      var body = document.getElementById("id_body");
      if (item && body) {
        var start = body.selectionStart || body.value.length;
        body.value = body.value.slice(0, start) + item.text + body.value.slice(body.selectionEnd || start);
        body.focus();
      }
      picker.value = "";
    });
  }

  // The side-conversation form's one-click picks (the order's store and courier) fill its address field.
  document.addEventListener("click", function (event) {
    var pick = event.target && event.target.closest ? event.target.closest("[data-side-address]") : null;
    var field = document.getElementById("id_counterpart");
    if (pick && field) {
      field.value = pick.dataset.sideAddress;
      field.focus();
    }
  });

  var replyForm = document.getElementById("reply-form");
  if (replyForm) {
    replyForm.addEventListener("change", function (event) {
      if (event.target && event.target.name === "kind") {
        replyForm.classList.toggle("is-note", event.target.value === "note");
      }
    });
  }

  tick();
  setInterval(tick, 30000);
  openSocket();
})();
