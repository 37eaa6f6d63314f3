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

// ---------------------------------------------------------------------------
// Playground (/play): submit with the CSRF header, photos by drag and drop,
// progress and partial previews over SSE (EventSource resumes with
// Last-Event-ID by itself), result cards inserted as the server rendered
// them, Refine / Again / Vary on any card. Every text comes from the server.
// ---------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", function () {
  const form = document.querySelector("form[data-play-form]");
  if (!form) {
    return;
  }
  const status = document.querySelector("[data-play-status]");
  const preview = document.querySelector("[data-play-preview]");
  const results = document.querySelector("[data-play-results]");
  const quota = document.querySelector("[data-play-quota]");
  const refineField = form.querySelector("[data-play-refine]");
  const refining = form.querySelector("[data-play-refining]");
  const photos = form.querySelector("input[type=file]");
  const drop = form.querySelector("[data-play-drop]");
  const chosen = form.querySelector("[data-play-chosen]");
  const prompt = form.querySelector("textarea[name=prompt]");
  let dropped = [];

  function say(text, kind) {
    status.textContent = "";
    const p = document.createElement("p");
    p.textContent = text;
    if (kind) {
      p.className = kind;
    }
    status.appendChild(p);
  }

  function setRefine(id) {
    refineField.value = id;
    refining.hidden = !id;
    for (const card of results.querySelectorAll("[data-play-result]")) {
      card.classList.toggle("refining", card.dataset.playResult === id);
    }
  }

  function showChosen() {
    const names = Array.from(photos.files).concat(dropped).map(function (f) {
      return f.name;
    });
    chosen.textContent = names.join(", ");
  }

  function follow(job) {
    const source = new EventSource("/play/jobs/" + encodeURIComponent(job) + "/events");
    const data = function (e) {
      return JSON.parse(e.data);
    };
    source.addEventListener("progress", function (e) {
      const d = data(e);
      say(d.text);
      if (d.cancel) {
        // Still queued: it may be cancelled (refunded in full).
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = form.dataset.playCancel;
        button.addEventListener("click", function () {
          button.disabled = true;
          easelFetch("/play/jobs/" + encodeURIComponent(job) + "/cancel", { method: "POST" });
        });
        status.appendChild(button);
      }
    });
    source.addEventListener("partial", function (e) {
      const d = data(e);
      preview.textContent = "";
      const img = document.createElement("img");
      img.src = d.src;
      img.alt = "";
      img.dataset.playPartial = String(d.image);
      preview.appendChild(img);
    });
    source.addEventListener("done", function (e) {
      const d = data(e);
      source.close();
      status.textContent = "";
      preview.textContent = "";
      const empty = results.querySelector("[data-play-empty]");
      if (empty) {
        empty.remove();
      }
      results.insertAdjacentHTML("afterbegin", d.html);
      if (d.quota) {
        quota.textContent = d.quota;
      }
    });
    source.addEventListener("failed", function (e) {
      const d = data(e);
      source.close();
      preview.textContent = "";
      say(d.text, "error");
      if (d.quota) {
        quota.textContent = d.quota;
      }
    });
  }

  async function send(body) {
    let answer = null;
    let ok = false;
    try {
      const r = await easelFetch("/play/jobs", {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
      });
      ok = r.ok;
      answer = await r.json();
    } catch (_) {
      answer = null;
    }
    if (ok && answer && answer.job) {
      follow(answer.job);
      return true;
    }
    say(answer && answer.error ? answer.error.message : form.dataset.playFailed, "error");
    return false;
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    const body = new FormData(form);
    for (const file of dropped) {
      body.append("photos", file);
    }
    if (await send(body)) {
      dropped = [];
      photos.value = "";
      showChosen();
      setRefine("");
      prompt.value = "";
    }
  });

  results.addEventListener("click", function (e) {
    const button = e.target.closest("button[data-play-do]");
    if (!button) {
      return;
    }
    const id = button.dataset.id;
    if (button.dataset.playDo === "refine") {
      setRefine(id);
      prompt.focus();
      return;
    }
    const body = new FormData();
    body.append(button.dataset.playDo, id);
    send(body);
  });

  form.querySelector("[data-play-unrefine]").addEventListener("click", function () {
    setRefine("");
  });
  photos.addEventListener("change", showChosen);
  drop.addEventListener("dragover", function (e) {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", function () {
    drop.classList.remove("over");
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    drop.classList.remove("over");
    for (const file of e.dataTransfer.files) {
      if (file.type.startsWith("image/")) {
        dropped.push(file);
      }
    }
    showChosen();
  });

  // Jobs still running when the page was (re)loaded.
  for (const item of document.querySelectorAll("[data-play-running] [data-play-job]")) {
    follow(item.dataset.playJob);
  }
});
