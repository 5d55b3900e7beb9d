// Progress of a background job (similarity scan): polls the job's JSON while it runs and
// reloads the page when it ends, so the results appear. Without JavaScript the page refreshes
// itself (a <noscript> meta refresh), so this is only an enhancement.
(function () {
  "use strict";

  const box = document.getElementById("scan-progress");
  if (!box || !box.dataset.url) return;
  const bar = document.getElementById("scan-bar");
  const text = document.getElementById("scan-text");
  let delay = 1000;

  function show(data) {
    if (bar) {
      bar.max = Math.max(1, data.total);
      bar.value = data.state === "done" ? bar.max : data.done;
    }
    if (text && data.text) text.textContent = data.text;
  }

  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          window.location.reload();
          return;
        }
        delay = 1000;
        setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting: try again, less often.
        delay = Math.min(delay * 2, 15000);
        setTimeout(poll, delay);
      });
  }

  document.addEventListener("DOMContentLoaded", function () { setTimeout(poll, delay); });
})();
