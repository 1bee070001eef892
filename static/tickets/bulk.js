// Bulk actions on the queue: "select all" ticks the page's rows, the count says how many are ticked, and only
// the value the chosen action needs is shown (without this script every field shows and the server checks).
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = document.getElementById("bulk-all");
  const count = document.getElementById("bulk-count");
  const action = form.querySelector('[name="action"]');
  const boxes = () => Array.from(document.querySelectorAll('input[name="ticket"]'));
  const strings = JSON.parse(document.getElementById("bulk-strings").textContent);

  const showCount = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    count.textContent = ticked ? strings.selected.replace("%(n)s", ticked) : "";
  };

  const showFields = () => {
    form.querySelectorAll("[data-bulk-for]").forEach((wrapper) => {
      wrapper.hidden = wrapper.dataset.bulkFor !== action.value;
    });
  };

  all?.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
    showCount();
  });
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === "ticket") showCount();
  });
  action.addEventListener("change", showFields);
  showFields();
  showCount();
})();
