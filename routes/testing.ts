/**
 * For the routes' `app.request()` tests: the real app over a real (in-memory)
 * KV store and RunService; the actor system is not started, so submitted
 * runs stay PENDING and nothing calls a model.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { RunService } from "../actors/run/service.ts";
import { loadConfig } from "../lib/config.ts";
import { Redactor } from "../lib/redact.ts";
import { RunStore } from "../lib/store/mod.ts";
import { ActorSystem } from "../runtime/mod.ts";
import { createApp } from "./mod.ts";

/** What a route test gets. */
export interface TestApp {
  app: OpenAPIHono;
  store: RunStore;
  kv: Deno.Kv;
}

/** Builds the app for `env` (AOS_* variables), runs `fn`, closes the KV. */
export async function withTestApp(
  env: Record<string, string>,
  fn: (t: TestApp) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    const config = loadConfig(env);
    const store = new RunStore(kv);
    const system = new ActorSystem(kv, {
      logKey: (owner, seq) => store.eventKey(owner.id, seq),
    });
    const runs = new RunService({
      store,
      system,
      repoAllowlist: config.repoAllowlist,
      allowLocalRepos: config.allowLocalRepos,
      repoAddresses: config.repoAddresses,
      secretNames: config.secrets.names(),
      networkAllowMax: config.networkAllowMax,
    });
    const app = createApp({
      config,
      store,
      runs,
      redactor: new Redactor([
        config.apiToken,
        config.openaiApiKey,
        ...config.secrets.values(),
      ]),
      isReady: () => true,
    });
    await fn({ app, store, kv });
  } finally {
    kv.close();
  }
}

/** A work order file for a public https repository. */
export function workOrderMd(front = "", task = "Do the task."): string {
  return `---\nrepo: https://github.com/user/repo\n${front}---\n\n${task}\n`;
}

/** A multipart/form-data body built by hand, so parts can hold any bytes. */
export function multipart(
  parts: { name: string; filename?: string; body: string | Uint8Array }[],
  boundary = "aos-test-boundary",
): { body: Uint8Array; contentType: string } {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const file = part.filename === undefined
      ? ""
      : `; filename="${part.filename}"`;
    chunks.push(enc.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${file}\r\n\r\n`,
    ));
    chunks.push(
      typeof part.body === "string" ? enc.encode(part.body) : part.body,
    );
    chunks.push(enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The `error` object of an error response, with its status. */
export async function errorOf(
  res: Response,
): Promise<
  { status: number; code: string; message: string; details?: unknown }
> {
  const body = await res.json();
  return { status: res.status, ...body.error };
}
