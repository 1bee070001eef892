// Chat console: the canned-response picker puts the chosen text (variables already filled by the
// server for this chat) at the cursor in the message box; the agent still reviews it and presses Send.
(function () {
  "use strict";

  var picker = document.getElementById("canned-picker");
  var data = document.getElementById("canned-data");
  if (!picker || !data) {
    return;
  }
  var canned = JSON.parse(data.textContent);
  picker.addEventListener("change", function () {
    var item = canned[Number(picker.value)];
    var input = document.getElementById("chat-input");
    if (item && input) {
      var start = input.selectionStart === null ? input.value.length : input.selectionStart;
      var end = input.selectionEnd === null ? start : input.selectionEnd;
      input.value = input.value.slice(0, start) + item.text + input.value.slice(end);
      input.focus();
      input.selectionStart = input.selectionEnd = start + item.text.length;
    }
    picker.value = "";
  });
})();
