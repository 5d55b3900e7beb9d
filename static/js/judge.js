// The reading page: autosave of the draft score, a copy in the browser when the connection
// drops (sent again when it returns), version checks, font size and a reading mode.
(function () {
  "use strict";

  const root = document.getElementById("reading");
  if (!root) return;
  const form = document.getElementById("score-form");
  const statusEl = document.getElementById("save-status");
  const totalEl = document.getElementById("total");
  const key = root.dataset.storageKey;
  const url = root.dataset.draftUrl;
  const msg = root.dataset;
  let timer = null;
  let sending = false;
  let pending = false;

  function inputs() { return Array.from(form.querySelectorAll("input[name^='points-']")); }
  function versionInput() { return form.querySelector("input[name='version']"); }

  function currentValues() {
    const points = {};
    inputs().forEach(function (i) { points[i.name] = i.value; });
    return { points: points, comment: form.querySelector("#comment").value, version: versionInput().value };
  }

  function showStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "save-status" + (kind ? " is-" + kind : "");
  }

  function updateTotal() {
    let total = 0;
    inputs().forEach(function (i) {
      const v = parseFloat(String(i.value).replace(",", "."));
      if (!isNaN(v)) total += v * parseFloat(i.dataset.weight || "1");
    });
    totalEl.textContent = (Math.round(total * 100) / 100).toLocaleString(document.documentElement.lang || "vi");
  }

  function keepLocally() {
    try { localStorage.setItem(key, JSON.stringify(Object.assign(currentValues(), { at: Date.now() }))); } catch (e) { /* private mode */ }
  }
  function forgetLocal() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }
  function localDraft() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function fill(values) {
    inputs().forEach(function (i) {
      const id = i.name.replace("points-", "");
      const v = values.points ? (values.points[i.name] !== undefined ? values.points[i.name] : values.points[id]) : undefined;
      i.value = v === undefined || v === null ? "" : v;
    });
    form.querySelector("#comment").value = values.comment || "";
    if (values.version !== undefined && values.version !== null) versionInput().value = values.version;
    updateTotal();
  }

  function body() {
    const fd = new FormData(form);
    return fd;
  }

  function send() {
    if (sending) { pending = true; return; }
    sending = true;
    showStatus(msg.msgSaving, "saving");
    fetch(url, { method: "POST", body: body(), headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      })
      .then(function (res) {
        if (res.status === 200) {
          versionInput().value = res.data.score.version;
          forgetLocal();
          const t = new Date();
          showStatus(msg.msgSaved + " " + t.toLocaleTimeString(document.documentElement.lang || "vi"), "saved");
        } else if (res.status === 409 && res.data.score) {
          forgetLocal();
          fill(res.data.score);
          showStatus(res.data.message || msg.msgStale, "stale");
        } else if (res.status === 422 || res.status === 400 || res.status === 403) {
          showStatus(msg.msgError + " " + (res.data.message || res.status), "error");
        } else {
          throw new Error("server " + res.status);
        }
      })
      .catch(function () {
        keepLocally();
        showStatus(msg.msgOffline, "offline");
      })
      .finally(function () {
        sending = false;
        if (pending) { pending = false; schedule(300); }
      });
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(send, delay);
  }

  function changed() {
    updateTotal();
    keepLocally(); // every keystroke is safe in the browser first
    schedule(1200);
  }

  if (form && inputs().some(function (i) { return i.disabled; })) {
    forgetLocal(); // submitted and locked: a copy kept at submit time is no longer needed
  }
  if (form && !inputs().some(function (i) { return i.disabled; })) {
    form.addEventListener("input", changed);
    window.addEventListener("online", function () { if (localDraft()) send(); });
    setInterval(function () { if (localDraft() && navigator.onLine !== false) send(); }, 15000);
    // Leaving the page: send what is not yet on the server.
    window.addEventListener("pagehide", function () {
      if (localDraft() && navigator.sendBeacon) navigator.sendBeacon(url, body());
    });
    const saved = localDraft();
    if (saved) {
      const server = currentValues();
      if (JSON.stringify(saved.points) !== JSON.stringify(server.points) || saved.comment !== server.comment) {
        fill(saved);
        // The version this copy was based on: if the server moved on since (another device),
        // the save is refused with 409 and the newer values are shown instead.
        versionInput().value = saved.version !== undefined && saved.version !== "" ? saved.version : server.version;
        showStatus(msg.msgRestored, "restored");
        schedule(1500); // long enough for the judge to read that the draft came back
      } else {
        forgetLocal();
      }
    }
    form.addEventListener("submit", function () { keepLocally(); });
  }
  updateTotal();

  // Reading comfort: font size (remembered) and a reading mode for phones.
  const essay = document.getElementById("essay");
  let size = parseFloat(localStorage.getItem("essay-font") || "1.1");
  function applySize() { essay.style.setProperty("--essay-size", size + "rem"); }
  applySize();
  document.querySelectorAll("[data-font]").forEach(function (b) {
    b.addEventListener("click", function () {
      size = Math.min(2, Math.max(0.8, size + 0.1 * Number(b.dataset.font)));
      try { localStorage.setItem("essay-font", String(size)); } catch (e) { /* ignore */ }
      applySize();
    });
  });
  const modeBtn = document.querySelector("[data-reading-mode]");
  if (modeBtn) {
    modeBtn.addEventListener("click", function () {
      const on = document.body.classList.toggle("reading-mode");
      modeBtn.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
})();
