// The article editor's images panel: put an uploaded image's Markdown where the editor's cursor was,
// and let htmx show the upload form's errors (a 400 answer) instead of dropping them.
(function () {
  "use strict";
  var lastBody = null;

  function bodyField() {
    return lastBody || document.getElementById("id_body_zh");
  }

  function insert(textarea, snippet) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    // An image is its own paragraph in Markdown.
    var text = (before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "") + snippet + "\n\n";
    textarea.value = before + text + after;
    var caret = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    // The live preview listens for input.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.id === "id_body_zh" || event.target.id === "id_body_en") { lastBody = event.target; }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-snippet]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-insert-snippet"));
    var textarea = bodyField();
    if (source && textarea) { insert(textarea, source.value); }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // A refused upload and a refused preview (a body over a limit) answer 400 with the reason to show.
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && (target.id === "kb-images" || target.id.indexOf("preview-") === 0)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
