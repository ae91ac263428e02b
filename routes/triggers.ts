/**
 * POST /triggers/{kind}: forge deliveries (DESIGN §8). Authenticated by the
 * delivery's signature with the repository host's `webhook_secret`, not the
 * bearer token (a forge cannot send one). Read, verified, refused as a
 * replay (the delivery id is remembered in the same atomic commit that
 * hands the delivery to its trigger actor), and answered 202 at once: the
 * work (trust, defaults, the run) happens in the actor, durably.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { every } from "hono/combine";
import { CommitConflictError } from "../runtime/mod.ts";
import { triggerRef } from "../actors/trigger/mod.ts";
import {
  isTriggerKind,
  PayloadError,
  TRIGGER_SOURCES,
  TriggerKeys,
} from "../lib/trigger/mod.ts";
import type { AppDeps } from "./deps.ts";
import { HttpError } from "./errors.ts";
import { parseJsonBody } from "./json_body.ts";
import { limitBody } from "./middleware/body_limit.ts";
import { acceptedMediaType } from "./middleware/content_type.ts";
import { OPEN } from "./middleware/auth.ts";
import { ErrorSchema, json } from "./schemas.ts";

/** Largest delivery read (an issue body is at most 65,536 characters). */
export const MAX_DELIVERY_BYTES = 1024 * 1024;

const KindParam = z.object({
  kind: z.string().openapi({
    param: { name: "kind", in: "path" },
    example: "github",
    description: "`github`, `gitlab` or `gitea`",
  }),
});

const AcceptedSchema = z.object({
  delivery: z.string(),
  accepted: z.boolean().openapi({
    description: "true: a trigger, acted on asynchronously",
  }),
  ignored: z.string().optional().openapi({
    description:
      "Why the delivery is not a trigger (another event, label or author)",
  }),
}).openapi("TriggerDelivery");

/** The route sub-app. */
export function triggerRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const keys = new TriggerKeys(deps.store.keys.prefix);
  const body = limitBody(MAX_DELIVERY_BYTES);
  app.openAPIRegistry.registerPath(createRoute({
    method: "post",
    path: "/triggers/{kind}",
    operationId: "triggerDelivery",
    tags: ["triggers"],
    summary:
      "A forge's webhook delivery: an issue labeled AOS_TRIGGER_LABEL or a `/aos` comment starts a run; a `/aos` comment or review on AOS's pull request starts a follow-up",
    description:
      "Authenticated by the delivery's signature with `webhook_secret` of the repository host's AOS_GIT_CREDENTIALS entry (GitHub `X-Hub-Signature-256`, GitLab `X-Gitlab-Token`, Gitea `X-Gitea-Signature`), not the bearer token.",
    // The delivery's signature authenticates it: a forge cannot send the bearer token.
    security: OPEN,
    request: {
      params: KindParam,
      body: {
        content: { "application/json": { schema: z.object({}).passthrough() } },
        required: true,
      },
    },
    responses: {
      202: json(
        AcceptedSchema,
        "Accepted (acted on asynchronously) or ignored",
      ),
      400: json(ErrorSchema, "Malformed delivery, naming what is wrong"),
      401: json(ErrorSchema, "The signature does not verify"),
      404: json(
        ErrorSchema,
        "Unknown forge kind or host (no webhook_secret for it)",
      ),
      409: json(ErrorSchema, "A delivery already received (a replay)"),
      413: json(ErrorSchema, "Delivery over 1 MiB"),
      415: json(ErrorSchema, "Not application/json"),
    },
  }));
  app.post("/triggers/:kind", every(body), async (c) => {
    return c.json(await receive(c, deps, keys), 202);
  });
  return app;
}

async function receive(
  c: Context,
  deps: AppDeps,
  keys: TriggerKeys,
): Promise<z.infer<typeof AcceptedSchema>> {
  const kind = c.req.param("kind") ?? "";
  if (!isTriggerKind(kind)) {
    throw new HttpError(
      404,
      "not_found",
      `No trigger kind '${kind.slice(0, 40)}': use github, gitlab or gitea`,
    );
  }
  const source = TRIGGER_SOURCES[kind];
  acceptedMediaType(c.req.header("content-type"), ["application/json"]);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw bad("the delivery has no body");
  const payload = parseJsonBody(bytes);
  const event = source.eventName(c.req.raw.headers);
  if (event === null || event.trim() === "") {
    throw bad(`header '${source.eventHeader}' is missing`);
  }
  let repoUrl: string;
  try {
    repoUrl = source.repoUrl(event, payload);
  } catch (error) {
    throw asBad(error);
  }
  let host: string;
  try {
    host = new URL(repoUrl).host;
  } catch {
    throw bad(`the repository URL '${repoUrl.slice(0, 200)}' is not a URL`);
  }
  const credential = deps.config.gitCredentials.forUrl(repoUrl);
  if (!credential || credential.kind !== kind || !credential.webhookSecret) {
    throw new HttpError(
      404,
      "unknown_host",
      `No ${source.forge} host '${
        host.slice(0, 200)
      }' with a webhook_secret in AOS_GIT_CREDENTIALS`,
    );
  }
  if (
    !(await source.verify(c.req.raw.headers, bytes, credential.webhookSecret))
  ) {
    throw new HttpError(
      401,
      "bad_signature",
      `The delivery's ${source.signatureHeader} does not verify with the webhook_secret of '${credential.host}'`,
    );
  }
  let deliveryId: string;
  let read;
  try {
    deliveryId = source.deliveryId(c.req.raw.headers);
    read = source.read(event, payload, {
      kind,
      deliveryId,
      label: deps.config.trigger.label,
    });
  } catch (error) {
    throw asBad(error);
  }
  // Nothing is done for a delivery that is no trigger, so a replay of one is harmless.
  if ("ignored" in read) {
    return { delivery: deliveryId, accepted: false, ignored: read.ignored };
  }
  const seen = keys.delivery(kind, deliveryId);
  const mark = [
    { kind: "check" as const, key: seen, versionstamp: null },
    {
      kind: "set" as const,
      key: seen,
      value: { at: new Date().toISOString() },
    },
  ];
  try {
    await deps.runs.deliver(triggerRef(kind, deliveryId), {
      type: "handle",
      event: read,
    }, mark);
  } catch (error) {
    if (error instanceof CommitConflictError) {
      throw new HttpError(
        409,
        "replayed_delivery",
        `Delivery '${deliveryId}' was already received`,
      );
    }
    throw error;
  }
  return { delivery: deliveryId, accepted: true };
}

function bad(message: string): HttpError {
  return new HttpError(400, "bad_delivery", `Malformed delivery: ${message}`);
}

function asBad(error: unknown): unknown {
  return error instanceof PayloadError ? bad(error.message) : error;
}
