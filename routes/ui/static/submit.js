// The submit page: the server's validator runs as you type; problems sit
// beside the editor, each one a button that selects the line it names.
"use strict";
(() => {
  const form = document.getElementById("submit-form");
  const textarea = document.getElementById("work-order-md");
  const file = document.getElementById("work-order-file");
  const list = document.getElementById("issues");
  const state = document.getElementById("issues-state");
  if (!form || !textarea || !list || !state) return;
  let timer = 0;
  let generation = 0;
  /** A check is scheduled or in flight: the list may be out of date. */
  let pending = false;

  function selectLine(line) {
    const lines = textarea.value.split("\n");
    let start = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) {
      start += lines[i].length + 1;
    }
    const end = start + (lines[line - 1] ?? "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
  }

  function show(issues) {
    list.replaceChildren(...issues.map((issue) => {
      const item = document.createElement("li");
      item.dataset.field = issue.field;
      const body = issue.line ? document.createElement("button") : item;
      if (issue.line) {
        body.type = "button";
        body.className = "issue-jump";
        body.title = `Go to line ${issue.line}`;
        body.addEventListener("click", () => selectLine(issue.line));
        const line = document.createElement("span");
        line.className = "line";
        line.textContent = `line ${issue.line}`;
        body.append(line);
        item.append(body);
      }
      const field = document.createElement("strong");
      field.className = "field";
      field.textContent = issue.field || "work order";
      const text = document.createElement("span");
      text.className = "message";
      text.textContent = issue.message;
      body.append(field, " ", text);
      return item;
    }));
    state.textContent = issues.length === 0
      ? "No problems"
      : `${issues.length} problem${issues.length === 1 ? "" : "s"}`;
    state.parentElement.classList.toggle("ok", issues.length === 0);
    if (issues.length > 0) textarea.setAttribute("aria-invalid", "true");
    else textarea.removeAttribute("aria-invalid");
  }

  async function validate() {
    const mine = ++generation;
    pending = true;
    if (textarea.value.trim() === "") {
      pending = false;
      show([]);
      state.textContent = "Problems";
      return;
    }
    try {
      const response = await fetch("/ui/validate", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "accept": "application/json",
          "x-csrf-token": AOS.csrf(),
        },
        body: JSON.stringify({ work_order_md: textarea.value }),
      });
      if (mine !== generation) return;
      pending = false;
      if (!response.ok) {
        state.textContent = `Could not check (${response.status})`;
        return;
      }
      show((await response.json()).issues);
    } catch {
      if (mine === generation) {
        state.textContent = "Could not reach the service";
      }
    }
  }

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    pending = true;
    timer = setTimeout(validate, 250);
  });
  file?.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    textarea.value = await chosen.text();
    validate();
  });
  // Problems already shown: say so instead of sending a work order the
  // server will refuse (without scripts the server answers 422 instead).
  form.addEventListener("submit", (event) => {
    const first = list.querySelector("li");
    if (!first || pending) return;
    event.preventDefault();
    (first.querySelector("button") ?? textarea).focus();
  });
  if (textarea.value.trim() !== "") validate();
})();
