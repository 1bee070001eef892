// Live preview of an article's Markdown in the admin: the server renders and sanitizes (nh3) it,
// so the preview shows exactly what readers will get. No library, no build step.
(function () {
  "use strict";
  var PREVIEW_URL = "/help/preview/";
  var DELAY_MS = 300;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function attach(textarea) {
    var box = document.createElement("div");
    box.className = "kb-preview kb-body";
    box.setAttribute("aria-live", "polite");
    box.dataset.previewFor = textarea.id;
    textarea.insertAdjacentElement("afterend", box);
    var timer = null;
    var sent = 0;

    function render() {
      var ticket = ++sent;
      var body = new FormData();
      body.append("body", textarea.value);
      fetch(PREVIEW_URL, { method: "POST", body: body, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" })
        // 400: the body is over a limit, and the answer names it.
        .then(function (response) { return response.ok || response.status === 400 ? response.text() : ""; })
        .then(function (html) {
          // Only the answer to the latest keystroke is shown; older, slower answers are dropped.
          if (ticket === sent) { box.innerHTML = html; }
        });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, DELAY_MS);
    });
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["id_body_zh", "id_body_en"].forEach(function (id) {
      var textarea = document.getElementById(id);
      if (textarea) { attach(textarea); }
    });
  });
})();
