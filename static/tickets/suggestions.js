// Knowledge suggestions beside a desk ticket: asks the knowledge API for articles about the
// ticket's subject and the customer's latest words, and lists them as links to the help center.
// Titles are set as text, never as HTML.
(function () {
  "use strict";

  var panel = document.getElementById("kb-suggestions");
  if (!panel) {
    return;
  }
  var list = panel.querySelector("ol");
  var loading = panel.querySelector("[data-state=loading]");
  var empty = panel.querySelector("[data-state=empty]");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");

  function plain(html) {
    return new DOMParser().parseFromString(html || "", "text/html").body.textContent || "";
  }

  function show(hits) {
    loading.hidden = true;
    empty.hidden = hits.length > 0;
    hits.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hit.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = hit.title;
      var snippet = document.createElement("p");
      snippet.className = "small muted";
      snippet.textContent = plain(hit.snippet_html);
      item.appendChild(link);
      item.appendChild(snippet);
      list.appendChild(item);
    });
  }

  fetch(panel.dataset.endpoint, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
    body: JSON.stringify({ text: panel.dataset.text })
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(show)
    .catch(function () {
      loading.hidden = true;
      empty.hidden = false;
    });
})();
