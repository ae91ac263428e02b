// The run page: follows the event log over SSE (resuming from the last seq),
// re-reads the page's sections when an event changes them, draws the diff
// with diff2html, and cancels without a reload.
"use strict";
(() => {
  const log = document.getElementById("event-log");
  const runId = log?.dataset.runId;
  const FORMAT_KEY = "aos.diffFormat";

  // Side by side halves the width: offered only where both halves keep room.
  const SIDE_BY_SIDE_MIN_WIDTH = 1200;
  const wide = () => innerWidth >= SIDE_BY_SIDE_MIN_WIDTH;

  function preferredFormat() {
    return wide() && localStorage.getItem(FORMAT_KEY) === "side-by-side"
      ? "side-by-side"
      : "line-by-line";
  }

  function drawDiff(format = preferredFormat()) {
    const source = document.getElementById("diff-source");
    const target = document.getElementById("diff-view");
    if (!source || !target || !globalThis.Diff2HtmlUI) return;
    const ui = new Diff2HtmlUI(target, source.textContent, {
      drawFileList: true,
      fileListToggle: false,
      fileContentToggle: false,
      matching: "lines",
      outputFormat: format,
      highlight: true,
      synchronisedScroll: true,
    });
    ui.draw();
    ui.highlightCode();
    source.hidden = true;
    for (const button of document.querySelectorAll("[data-diff-format]")) {
      button.hidden = !wide();
      button.setAttribute(
        "aria-pressed",
        String(button.dataset.diffFormat === format),
      );
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-diff-format]");
    if (!button) return;
    localStorage.setItem(FORMAT_KEY, button.dataset.diffFormat);
    drawDiff(button.dataset.diffFormat);
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches?.("form.cancel")) return;
    event.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    // Not `disabled`: that would drop the keyboard focus to the page.
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    form.querySelector("button")?.setAttribute("aria-disabled", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "accept": "application/json", "x-csrf-token": AOS.csrf() },
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        alert(body.error?.message ?? `Cancel failed (${response.status})`);
      }
    } finally {
      delete form.dataset.busy;
      form.querySelector("button")?.removeAttribute("aria-disabled");
      refresh();
    }
  });

  let refreshing = null;
  let again = false;
  /** Swaps in freshly rendered sections, keeping open outputs and a drawn diff. */
  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = (async () => {
      const response = await fetch(`/ui/runs/${runId}/body`, {
        headers: { accept: "text/html" },
      });
      if (!response.ok) return;
      const next = AOS.fragment(await response.text());
      const current = document.getElementById("run-body");
      if (!next || !current) return;
      for (const details of current.querySelectorAll("details[data-key]")) {
        const twin = next.querySelector(
          `details[data-key="${details.dataset.key}"]`,
        );
        if (twin) twin.open = details.open;
      }
      const oldSource = document.getElementById("diff-source");
      const newSource = next.querySelector("#diff-source");
      const keepDiff = oldSource && newSource &&
        oldSource.dataset.digest === newSource.dataset.digest;
      if (keepDiff) {
        next.querySelector("#diff").replaceWith(
          document.getElementById("diff"),
        );
      }
      const hadFocus = current.contains(document.activeElement);
      current.replaceWith(next);
      if (!keepDiff) drawDiff();
      // Keyboard users keep their place: focus that went with the old
      // sections lands on the run's heading.
      if (hadFocus) next.querySelector(".run-title")?.focus();
    })();
    try {
      await refreshing;
    } finally {
      refreshing = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function follow() {
    const stream = log?.dataset.stream;
    if (!stream || !("EventSource" in globalThis)) return;
    const dot = document.getElementById("live-state");
    if (dot) dot.hidden = false;
    // The browser resends the last `id:` as Last-Event-ID when it reconnects.
    const source = new EventSource(stream);
    let timer = 0;
    source.addEventListener("run-event", (message) => {
      const event = JSON.parse(message.data);
      if (!log.querySelector(`[data-seq="${CSS.escape(event.seq)}"]`)) {
        const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight <
          40;
        const line = AOS.fragment(event.html);
        if (line) log.append(line);
        if (atBottom) log.scrollTop = log.scrollHeight;
      }
      if (event.refresh) {
        clearTimeout(timer);
        timer = setTimeout(refresh, 150);
      }
    });
    source.addEventListener("end", () => {
      source.close();
      if (dot) dot.hidden = true;
      clearTimeout(timer);
      refresh();
    });
    addEventListener("pagehide", () => source.close());
  }

  drawDiff();
  follow();
})();
