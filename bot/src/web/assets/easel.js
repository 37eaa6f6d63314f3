// Easel's one script. The pages work without it; it adds what HTML cannot:
// the CSRF header for fetch and uploads, live updates over SSE, copy
// buttons, drag-and-drop. No framework, no build step.
"use strict";

/** The session's CSRF token (from <meta name="csrf-token">), or "". */
function easelCsrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** fetch() with the CSRF header and same-origin credentials. */
function easelFetch(url, options) {
  const opts = Object.assign({ credentials: "same-origin" }, options || {});
  opts.headers = Object.assign({ "X-CSRF-Token": easelCsrf() }, opts.headers || {});
  return fetch(url, opts);
}

document.addEventListener("DOMContentLoaded", function () {
  // The language switch returns to the page it was used on.
  for (const input of document.querySelectorAll("input[data-here]")) {
    input.value = location.pathname + location.search;
  }
  // Mark the current page in the navigation.
  for (const link of document.querySelectorAll("nav a[href]")) {
    if (link.getAttribute("href") === location.pathname) {
      link.setAttribute("aria-current", "page");
    }
  }
  // Copy buttons: <button data-copy="text">.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(button.dataset.copy);
      }
    });
  }
});
