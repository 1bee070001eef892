// Macros on the ticket page: "m" jumps to the search box; typing narrows the list, and a single match is
// chosen (its preview loads through htmx, which listens for "change" on the form).
(() => {
  const search = document.getElementById("macro-search");
  const picker = document.getElementById("macro-picker");
  if (!search || !picker) return;

  const typing = (target) => target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.key !== "m" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    event.preventDefault();
    search.focus();
  });

  search.addEventListener("input", () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const options = Array.from(picker.options).filter((option) => option.value);
    const shown = options.filter((option) => {
      const matches = words.every((word) => option.dataset.search.includes(word));
      option.hidden = !matches;
      return matches;
    });
    if (shown.length === 1 && picker.value !== shown[0].value) {
      picker.value = shown[0].value;
      picker.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      picker.focus();
    }
  });
})();
