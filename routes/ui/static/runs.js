// The runs page: rows and counts follow the server's live stream in place.
"use strict";
(() => {
  const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
  const live = document.getElementById("runs-live");
  if (!live || !("EventSource" in globalThis)) return;
  const url = new URL(live.dataset.live, location.href);
  for (const [key, value] of new URLSearchParams(location.search)) {
    url.searchParams.set(key, value);
  }
  const ids = [...live.querySelectorAll("tr[data-run-id]")]
    .filter((row) => !TERMINAL.has(row.dataset.status))
    .map((row) => row.dataset.runId);
  url.searchParams.set("ids", ids.join(","));
  const shownTotal = Number(live.dataset.total);
  const source = new EventSource(url);
  source.addEventListener("row", (message) => {
    const { id, html } = JSON.parse(message.data);
    const row = document.getElementById(`run-${id}`);
    const next = AOS.fragment(html);
    if (row && next) row.replaceWith(next);
  });
  source.addEventListener("counts", (message) => {
    const { total, html } = JSON.parse(message.data);
    const nav = document.getElementById("status-filter");
    const next = AOS.fragment(html);
    if (nav && next) nav.replaceWith(next);
    const notice = document.getElementById("new-runs");
    if (notice) notice.hidden = !(total > shownTotal);
  });
  addEventListener("pagehide", () => source.close());
})();
