/**
 * One byte-order-mark rule on every way in: `aos validate` (the CLI's file
 * reader), JSON `work_order_md`, a multipart file or text field, a urlencoded
 * form and the dashboard's upload and text box all go through
 * decodeWorkOrder (lib/work_order): one leading BOM is dropped, a second is
 * refused with the same message everywhere.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { CliError } from "../cli/errors.ts";
import { readWorkOrderFile } from "../cli/work_order_file.ts";
import {
  multipart,
  type TestApp,
  withTestApp,
  workOrderMd,
} from "../routes/testing.ts";

const BOM = "\uFEFF";
const enc = new TextEncoder();

type Verdict = { ok: true } | { ok: false; messages: string[] };

function messagesOf(details: unknown): string[] {
  return (details as { field: string; message: string }[]).map((d) =>
    `${d.field}: ${d.message}`
  );
}

async function apiVerdict(res: Response): Promise<Verdict> {
  const body = await res.json();
  if (res.status === 201) return { ok: true };
  assertEquals(res.status, 422, JSON.stringify(body));
  return { ok: false, messages: messagesOf(body.error.details) };
}

/** The dashboard answers a refused submit with its form and the issues listed. */
async function dashboardVerdict(res: Response): Promise<Verdict> {
  const html = await res.text();
  if (res.status === 303) return { ok: true };
  assertEquals(res.status, 422, html.slice(0, 300));
  assert(html.includes("more than one byte order mark"), html.slice(0, 300));
  return {
    ok: false,
    messages: [
      "work_order_md: Work order starts with more than one byte order mark (U+FEFF)",
    ],
  };
}

async function paths(
  t: TestApp,
  text: string,
  dir: string,
): Promise<Record<string, Verdict>> {
  const bytes = enc.encode(text);
  const file = `${dir}/wo.md`;
  await Deno.writeFile(file, bytes);
  const verdicts: Record<string, Verdict> = {};
  try {
    await readWorkOrderFile(file);
    verdicts["aos validate"] = { ok: true };
  } catch (error) {
    assert(error instanceof CliError, String(error));
    verdicts["aos validate"] = { ok: false, messages: messagesOf(error.data) };
  }
  const post = (path: string, init: RequestInit) =>
    t.app.request(path, { method: "POST", ...init });
  verdicts["JSON"] = await apiVerdict(
    await post("/runs", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ work_order_md: text }),
    }),
  );
  for (const filename of ["task.md", undefined]) {
    const form = multipart([{
      name: "work_order_md",
      body: bytes,
      ...(filename ? { filename } : {}),
    }]);
    verdicts[`multipart ${filename ? "file" : "text"}`] = await apiVerdict(
      await post("/runs/submit", {
        headers: { "content-type": form.contentType },
        body: form.body as Uint8Array<ArrayBuffer>,
      }),
    );
  }
  verdicts["urlencoded"] = await apiVerdict(
    await post("/runs/submit", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `work_order_md=${encodeURIComponent(text)}`,
    }),
  );
  // The dashboard, as its own page posts: the CSRF cookie and field.
  const page = await t.app.request("/ui/submit");
  const csrf = (await page.text()).match(
    /<meta name="csrf-token" content="([^"]+)"/,
  )![1]!;
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0])
    .join("; ");
  for (const asFile of [true, false]) {
    const form = new FormData();
    form.set("_csrf", csrf);
    if (asFile) {
      form.set(
        "work_order_file",
        new File([bytes as Uint8Array<ArrayBuffer>], "task.md"),
      );
      form.set("work_order_md", "");
    } else form.set("work_order_md", text);
    verdicts[`dashboard ${asFile ? "upload" : "text box"}`] =
      await dashboardVerdict(
        await post("/ui/submit", { headers: { cookie }, body: form }),
      );
  }
  return verdicts;
}

Deno.test("work orders with 0 to 3 byte order marks get one verdict on every path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos-bom-" });
  try {
    await withTestApp({}, async (t) => {
      for (const marks of [0, 1, 2, 3]) {
        const verdicts = await paths(t, BOM.repeat(marks) + workOrderMd(), dir);
        const expected: Verdict = marks < 2 ? { ok: true } : {
          ok: false,
          messages: [
            "work_order_md: Work order starts with more than one byte order mark (U+FEFF)",
          ],
        };
        for (const [path, verdict] of Object.entries(verdicts)) {
          assertEquals(verdict, expected, `${marks} marks via ${path}`);
        }
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
