// GOV.UK Frontend components (conditional reveals, password "Show", ...) on the page and
// on every piece of page htmx swaps in later.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

document.addEventListener("htmx:load", (event) => {
  if (event.target !== document.body) {
    initAll({ scope: event.target });
  }
});

// "Select all" in the amendment queue (no inline handlers: the CSP forbids them).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.id === "select-all") {
    document.querySelectorAll("input[name=task_id]").forEach((c) => {
      c.checked = box.checked;
    });
  }
});
