// Files and images in the chat (static/chat/chat.js): uploaded first over HTTP, then sent as a message
// naming the upload's id.

export function watchUploads(fileInput, kind, { url, csrf, onUploaded, onError, failedText }) {
  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    if (!file) {
      return;
    }
    const data = new FormData();
    data.append("kind", kind);
    data.append("file", file);
    onError("");
    fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then((response) => response.json().then((body) => {
        if (!response.ok) {
          throw new Error((body.error && body.error.message) || failedText);
        }
        onUploaded(body.id);
      }))
      .catch((error) => onError(error.message || failedText))
      .finally(() => {
        fileInput.value = "";
      });
  });
}
