// Name suggestions for the ticket page's agent and team fields: the page lists none of them up front;
// while one types, the matching names (at most 20) are fetched and offered through the field's <datalist>.
(function () {
  "use strict";
  var script = document.getElementById("lookup-script");
  if (!script) {
    return;
  }
  var base = script.dataset.url;
  var DELAY_MS = 200;

  function datalistFor(input) {
    var id = input.getAttribute("list");
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("datalist");
      list.id = id;
      document.body.appendChild(list);
    }
    return list;
  }

  function fill(list, results) {
    list.replaceChildren();
    results.forEach(function (result) {
      var option = document.createElement("option");
      option.value = result.value;
      option.label = result.label;
      list.appendChild(option);
    });
  }

  function attach(input) {
    var timer = null;
    var asked = null;
    function ask() {
      var text = input.value.trim();
      if (text === asked) {
        return;
      }
      asked = text;
      var url = base.replace("KIND", input.dataset.lookup) + "?q=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { fill(datalistFor(input), data.results || []); })
        .catch(function () { asked = null; });
    }
    input.addEventListener("focus", ask);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
  }

  document.querySelectorAll("input[data-lookup]").forEach(attach);
})();
