// Length limits people can see (issue 18): every text field with a limit shows "used / limit" under it and
// says so when the text is too long. The browser's own maxlength would cut a long paste short without a
// word, so it is lifted here and the limit is enforced by the form's check and by the server's.
(function () {
  "use strict";

  // The page's translations ride on this script's own tag.
  var strings = document.currentScript ? document.currentScript.dataset : {};
  var countPattern = strings.count || "%(count)s / %(limit)s";
  var overPattern = strings.over || "Too long: at most %(limit)s characters.";
  function fill(pattern, count, limit) {
    return pattern.replace("%(count)s", String(count)).replace("%(limit)s", String(limit));
  }

  function counterFor(field) {
    // The field's own container first: a page may hold two forms whose fields share an id.
    var box = field.closest(".field");
    var existing = (box && box.querySelector("[data-limit-for]")) ||
      (field.id ? document.querySelector('[data-limit-for="' + field.id + '"]') : null);
    if (existing) {
      return existing;
    }
    var counter = document.createElement("div");
    counter.className = "field__help field__limit";
    field.insertAdjacentElement("afterend", counter);
    return counter;
  }

  function update(field) {
    var limit = Number(field.dataset.maxChars);
    var count = field.value.length;
    var tooLong = count > limit;
    var counter = field.limitCounter;
    counter.textContent = tooLong ? fill(overPattern, count, limit) : fill(countPattern, count, limit);
    counter.classList.toggle("field__limit--over", tooLong);
    field.setCustomValidity(tooLong ? fill(overPattern, count, limit) : "");
    field.toggleAttribute("aria-invalid", tooLong);
  }

  function watch(field) {
    if (field.dataset.maxChars) {
      return;
    }
    field.dataset.maxChars = field.getAttribute("maxlength");
    field.removeAttribute("maxlength");
    field.limitCounter = counterFor(field);
    if (!field.limitCounter.id) {
      field.limitCounter.id = (field.id || "field") + "-limit";
    }
    field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " +
      field.limitCounter.id).trim());
    field.addEventListener("input", function () { update(field); });
    update(field);
  }

  function scan(scope) {
    // Search boxes keep the browser's own cap: a query has no room for a counter, and the server reads any length.
    scope.querySelectorAll("textarea[maxlength], input[maxlength]:not([type=search])").forEach(watch);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  // Forms swapped in by htmx get their counters too.
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
