// GOV.UK Frontend components (conditional reveals, password "Show", ...) on the page and
// on every piece of page htmx swaps in later.
import { initAll } from "./govuk-frontend.min.js";

initAll();

document.addEventListener("htmx:load", (event) => {
  if (event.target !== document.body) {
    initAll({ scope: event.target });
  }
});
