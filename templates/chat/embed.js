// Service Center chat widget for other sites. Include it with the customer's signed token:
//   <script src="https://<service center>/help/chat/embed.js" data-token="<token>" async></script>
// It adds a chat button; the chat itself runs in an iframe on the Service Center's origin.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.dataset.token || document.getElementById("sc-chat-frame")) {
    return;
  }
  var origin = new URL(script.src).origin;
  var src = origin + "/help/chat/embed/?token=" + encodeURIComponent(script.dataset.token);
  var label = script.dataset.label || "{{ button_label|escapejs }}";
  var close = "{{ close_label|escapejs }}";

  var button = document.createElement("button");
  button.type = "button";
  button.id = "sc-chat-button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  // Styles are set from script (CSSOM), which a host page's style-src policy does not block.
  Object.assign(button.style, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", padding: "12px 18px",
    border: "0", borderRadius: "24px", background: "#1f6fae", color: "#fff", font: "600 15px sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", cursor: "pointer"
  });

  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "sc-chat-frame";
      frame.title = label;
      frame.src = src;
      frame.allow = "microphone";
      Object.assign(frame.style, {
        position: "fixed", right: "20px", bottom: "76px", zIndex: "2147483000", width: "min(400px, calc(100vw - 40px))",
        height: "min(640px, calc(100vh - 100px))", border: "1px solid #d0d7de", borderRadius: "12px",
        background: "#fff", boxShadow: "0 8px 28px rgba(0,0,0,.25)"
      });
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    var open = !frame.hidden;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? close : label;
  });
  document.body.appendChild(button);
})();
