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

// A choice that was not saved says so on its own row. The server is the record: when a
// post fails (5xx), gets no answer (network) or times out, nothing is swapped in, so the
// counter does not move, and the row keeps what was chosen or typed, marked "Not saved"
// with a button that posts it again. Leaving a page with such a row, or with a choice
// still on its way, asks first.
const DECISION = "form[data-decision]";
let inFlight = 0;

function decisionForm(event) {
  // The element that made the request (a radio, the value input or the form itself).
  const d = event.detail || {};
  const elt = (d.requestConfig && d.requestConfig.elt) || d.elt || event.target;
  return elt instanceof Element ? elt.closest(DECISION) : null;
}

function markUnsaved(form, why) {
  const row = form.closest("tr");
  if (!row) return;
  row.classList.add("app-row--unsaved");
  form.querySelectorAll("[role=status]").forEach((s) => s.remove());  // an older "Saved."
  let note = form.querySelector(".app-not-saved");
  if (!note) {
    note = document.createElement("div");
    note.className = "app-not-saved";
    note.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.className = "govuk-error-message govuk-!-margin-bottom-1";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0 app-retry";
    button.textContent = "Try again";
    note.append(text, button);
    form.append(note);
  }
  note.querySelector("p").textContent = `Not saved: ${why}. Your answer is still here.`;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  if (decisionForm(event)) inFlight += 1;
});

document.addEventListener("htmx:afterRequest", (event) => {
  if (decisionForm(event)) inFlight = Math.max(0, inFlight - 1);
});

document.addEventListener("htmx:beforeSwap", (event) => {
  const form = decisionForm(event);
  if (form && event.detail.xhr.status >= 500) {
    event.detail.shouldSwap = false;  // the error page is not this row
    markUnsaved(form, "the service had a problem");
  }
});

document.addEventListener("htmx:sendError", (event) => {
  const form = decisionForm(event);
  if (form) markUnsaved(form, "the connection failed");
});

document.addEventListener("htmx:timeout", (event) => {
  const form = decisionForm(event);
  if (form) markUnsaved(form, "no answer came");
});

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest(".app-retry") : null;
  const form = button ? button.closest(DECISION) : null;
  if (form) htmx.trigger(form, "submit");
});

window.addEventListener("beforeunload", (event) => {
  if (inFlight > 0 || document.querySelector(".app-row--unsaved")) {
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  }
});
