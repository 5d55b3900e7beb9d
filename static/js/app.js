// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  function formatLeft(seconds, daysLabel) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return (d > 0 ? d + " " + daysLabel + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function startCountdowns() {
    document.querySelectorAll(".countdown[data-seconds]").forEach(function (el) {
      const end = Date.now() + Number(el.dataset.seconds) * 1000;
      const label = el.dataset.labelDays || "d";
      function tick() {
        const left = Math.max(0, Math.round((end - Date.now()) / 1000));
        el.textContent = "(" + formatLeft(left, label) + ")";
        if (left > 0) setTimeout(tick, 1000);
      }
      tick();
    });
  }

  // A button marked data-once is disabled after its form is sent, so a double click sends
  // one request (the server also deduplicates: this only spares the second round trip).
  function guardDoubleSubmit() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        const btn = ev.submitter;
        if (btn && btn.hasAttribute("data-once")) {
          if (form.dataset.sent === "1") { ev.preventDefault(); return; }
          form.dataset.sent = "1";
          setTimeout(function () { btn.disabled = true; }, 0);
        }
      });
    });
  }

  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns();
    guardDoubleSubmit();
    printButtons();
  });
})();
