// Shared by every dashboard page: the CSRF token, relative ages kept fresh.
"use strict";
(() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  /** The token state-changing requests must send back. */
  const csrf = () => (meta ? meta.getAttribute("content") : "") || "";

  /** How long ago `iso` was, as the server writes it. */
  function age(iso) {
    const ms = Date.now() - Date.parse(iso);
    if (!Number.isFinite(ms)) return "—";
    if (ms < 10_000) return "just now";
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s} s ago`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ago`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ago`;
    return `${Math.floor(h / 24)} d ago`;
  }

  function refreshAges() {
    for (const el of document.querySelectorAll("time[data-age]")) {
      el.textContent = age(el.getAttribute("datetime"));
    }
  }
  setInterval(refreshAges, 15_000);

  /** Parses an HTML fragment the server rendered into a node. */
  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  globalThis.AOS = { csrf, fragment, refreshAges };
})();
