/** `/ui/submit`: paste or upload a work order, see the validator's problems as you type. */
import type { FieldIssue } from "../../lib/errors.ts";
import { Layout } from "./layout.tsx";
import type { UiAuth } from "./session.ts";

/** The 1-based line of the frontmatter key a field issue names, if it is there. */
export function lineOfField(md: string, field: string): number | null {
  const key = field.split(".")[0];
  if (!key || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return null;
  const lines = md.replace(/\r\n?/g, "\n").split("\n");
  if (lines[0]?.trimEnd() !== "---") return null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trimEnd() === "---") break;
    if (new RegExp(`^${key}\\s*:`).test(line)) return i + 1;
  }
  return null;
}

/** Issues with the line each one points at. */
export function locateIssues(
  md: string,
  issues: FieldIssue[],
): (FieldIssue & { line: number | null })[] {
  return issues.map((issue) => {
    const fromMessage = issue.message.match(/\bline (\d+)\b/i);
    return {
      ...issue,
      line: lineOfField(md, issue.field) ??
        (fromMessage ? Number(fromMessage[1]) : null),
    };
  });
}

/** The problem list beside the editor (also rendered by the server after a failed submit). */
export function IssueList(
  props: { issues: (FieldIssue & { line: number | null })[] },
) {
  return (
    <ul class="issues" id="issues">
      {props.issues.map((issue) => (
        <li data-field={issue.field} data-line={issue.line ?? undefined}>
          {issue.line !== null && (
            <span class="line">{`line ${issue.line}`}</span>
          )}
          <strong class="field">{issue.field || "work order"}</strong>{" "}
          <span class="message">{issue.message}</span>
        </li>
      ))}
    </ul>
  );
}

const EXAMPLE = `---
title: Add multiply to the calculator
repo: https://github.com/you/calculator
push_branch: aos/multiply
max_iterations: 3
acceptance_commands:
  - python3 -m unittest -q
---

Add a \`multiply(a, b)\` function to calculator.py, with a test.
`;

/** The submit page. */
export function SubmitPage(
  props: {
    auth: UiAuth;
    workOrderMd?: string;
    issues?: FieldIssue[];
  },
) {
  const md = props.workOrderMd ?? "";
  const issues = locateIssues(md, props.issues ?? []);
  return (
    <Layout
      title="Submit"
      auth={props.auth}
      current="submit"
      scripts={["submit.js"]}
    >
      <h1>Submit a work order</h1>
      <p class="muted">
        Markdown with YAML frontmatter; the body is the task. Problems are
        checked by the service's own validator as you type.
      </p>
      <form
        method="post"
        action="/ui/submit"
        enctype="multipart/form-data"
        id="submit-form"
        class="submit"
      >
        <input type="hidden" name="_csrf" value={props.auth.csrf} />
        <label for="work-order-file">Upload a file</label>
        <input
          type="file"
          id="work-order-file"
          name="work_order_file"
          accept=".md,.markdown,text/markdown,text/plain"
        />
        <div class="editor">
          <div class="editor-field">
            <label for="work-order-md">Or paste it</label>
            <textarea
              id="work-order-md"
              name="work_order_md"
              rows={18}
              spellcheck={false}
              placeholder={EXAMPLE}
              aria-describedby="issues-h"
              aria-invalid={issues.length > 0 ? "true" : undefined}
            >
              {md}
            </textarea>
          </div>
          <div class="editor-issues" aria-live="polite">
            <h2 id="issues-h" class="small">
              <span id="issues-state">
                {issues.length > 0
                  ? `${issues.length} problem${issues.length === 1 ? "" : "s"}`
                  : "Problems"}
              </span>
            </h2>
            <IssueList issues={issues} />
          </div>
        </div>
        <button type="submit" class="primary" id="submit-button">
          Submit
        </button>
      </form>
    </Layout>
  );
}
