/**
 * The dashboard's static files, all served by the service itself (no CDN):
 * its own stylesheet and scripts, and diff2html's and highlight.js's
 * published browser bundles read from the pinned npm packages. URLs carry a
 * content hash, so browsers may cache them forever.
 */
import type { Env, Hono } from "hono";
import diff2htmlJs from "diff2html/bundles/js/diff2html-ui-slim.min.js" with {
  type: "text",
};
import diff2htmlCss from "diff2html/bundles/css/diff2html.min.css" with {
  type: "text",
};
import highlightCss from "highlight.js/styles/github.min.css" with {
  type: "text",
};
import appCss from "./static/app.css" with { type: "text" };
import appJs from "./static/app.js" with { type: "text" };
import runsJs from "./static/runs.js" with { type: "text" };
import runJs from "./static/run.js" with { type: "text" };
import submitJs from "./static/submit.js" with { type: "text" };

const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

const FILES: Record<string, { body: string; type: string }> = {
  "app.css": { body: appCss, type: CSS },
  "app.js": { body: appJs, type: JS },
  "runs.js": { body: runsJs, type: JS },
  "run.js": { body: runJs, type: JS },
  "submit.js": { body: submitJs, type: JS },
  "diff2html-ui-slim.min.js": { body: diff2htmlJs, type: JS },
  "diff2html.min.css": { body: diff2htmlCss, type: CSS },
  "highlight-github.min.css": { body: highlightCss, type: CSS },
};

/** One served file: bytes, type and the hash in its URL. */
interface Asset {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  hash: string;
}

async function hashOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

const ASSETS = new Map<string, Asset>();
for (const [name, file] of Object.entries(FILES)) {
  const bytes = new TextEncoder().encode(file.body);
  ASSETS.set(name, { bytes, type: file.type, hash: await hashOf(bytes) });
}

/** The URL of a dashboard asset, e.g. `assetUrl("app.css")`. */
export function assetUrl(name: keyof typeof FILES & string): string {
  const asset = ASSETS.get(name);
  if (!asset) throw new RangeError(`No dashboard asset named '${name}'`);
  return `/ui/assets/${asset.hash}/${name}`;
}

/** Serves `/ui/assets/{hash}/{name}`; an old hash still gets the current file, uncached. */
export function assetRoutes<E extends Env>(ui: Hono<E>): void {
  ui.get("/ui/assets/:hash/:name", (c) => {
    const asset = ASSETS.get(c.req.param("name"));
    if (!asset) {
      return c.text(`No asset named '${c.req.param("name")}'`, 404);
    }
    const current = asset.hash === c.req.param("hash");
    return c.body(asset.bytes, 200, {
      "content-type": asset.type,
      "cache-control": current
        ? "public, max-age=31536000, immutable"
        : "no-cache",
      "x-content-type-options": "nosniff",
    });
  });
}
