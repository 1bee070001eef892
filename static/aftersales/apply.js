// Apply form: offer only the reasons of the chosen request type (the server checks again).
(function () {
  "use strict";
  var data = document.getElementById("reason-types");
  var select = document.getElementById("id_reason");
  if (!data || !select) return;
  var types = JSON.parse(data.textContent);
  function filter() {
    var chosen = document.querySelector('input[name="request_type"]:checked');
    var type = chosen ? chosen.value : null;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var show = !type || types[option.value] === type;
      option.hidden = !show;
      option.disabled = !show;
    });
    var current = select.options[select.selectedIndex];
    if (current && current.disabled) select.value = "";
  }
  document.querySelectorAll('input[name="request_type"]').forEach(function (radio) {
    radio.addEventListener("change", filter);
  });
  filter();
})();

// The refund amount follows the quantity (its share of the line, in yuan from the server's one rule)
// until the customer types an amount of their own.
(function () {
  "use strict";
  var data = document.getElementById("refund-caps");
  var quantity = document.getElementById("id_quantity");
  var amount = document.getElementById("id_amount");
  if (!data || !quantity || !amount) return;
  var caps = JSON.parse(data.textContent);
  var typed = false;
  amount.addEventListener("input", function () { typed = true; });
  quantity.addEventListener("input", function () {
    var cap = caps[String(Number(quantity.value))];
    if (!typed && cap !== undefined) {
      amount.value = cap;
    }
  });
})();
