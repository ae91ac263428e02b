import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import {
  checkNewEvent,
  EVENT_KINDS,
  parseRunEvent,
  payloadOf,
  typedEvent,
} from "./events.ts";
import { StoredValueError } from "./stored_value.ts";

const stored = (kind: string, payload: Record<string, unknown>) => ({
  seq: "000042",
  ts: "2026-01-01T00:00:00Z",
  level: "INFO",
  kind,
  iteration: 1,
  payload,
});

Deno.test("parseRunEvent() types a stored event by its kind", () => {
  const event = parseRunEvent(
    stored("PUSH", { branch: "aos/x", commit: "abc", pushed: true }),
  );
  assert(event.kind === "PUSH");
  assertEquals(event.payload.branch, "aos/x");
});

Deno.test("parseRunEvent() names the event and the field when a stored event does not parse", () => {
  assertThrows(
    () => parseRunEvent(stored("PUSH", { branch: 7, commit: "abc" })),
    (error: unknown) =>
      error instanceof StoredValueError &&
      error.what === "event 000042 (PUSH)" &&
      /Stored event 000042 \(PUSH\) does not parse: payload\.branch/.test(
        error.message,
      ),
  );
  assertThrows(
    () => parseRunEvent(stored("NOT_A_KIND", {})),
    /Stored event 000042 \(NOT_A_KIND\) does not parse/,
  );
});

Deno.test("typedEvent() and payloadOf() read what fits and give null otherwise", () => {
  assertEquals(typedEvent(stored("FROM_A_NEWER_BUILD", {})), null);
  assertEquals(payloadOf(stored("PUSH", { branch: 1 }), "PUSH"), null);
  assertEquals(payloadOf(stored("ERROR", { stage: "s" }), "PUSH"), null);
  // A field a newer writer added passes through untouched.
  assertEquals(
    payloadOf(
      stored("RUN_CANCELLED", { phase: "applying", by: "x" }),
      "RUN_CANCELLED",
    ),
    { phase: "applying", by: "x" },
  );
});

Deno.test("payloadOf() reads an older run's usage without cache or reasoning tokens as zero", () => {
  const usage = {
    prompt_tokens: 1,
    completion_tokens: 2,
    total_tokens: 3,
    cost_usd: 0,
  };
  const payload = payloadOf(
    stored("PO_RESULT", { decision: "PASS", feedback: "ok", usage }),
    "PO_RESULT",
  );
  assertEquals(payload?.usage, {
    ...usage,
    cached_tokens: 0,
    reasoning_tokens: 0,
  });
});

Deno.test("checkNewEvent() refuses an undeclared kind and a payload that does not fit its row", () => {
  assertThrows(
    () => checkNewEvent({ kind: "RUN_PAUSED_TYPO", payload: {} }),
    /Event kind 'RUN_PAUSED_TYPO' is not declared in lib\/factory\/events\.ts EVENTS/,
  );
  assertThrows(
    () => checkNewEvent({ kind: "ERROR", payload: { stage: "x" } }),
    /new event \(ERROR\) does not parse: message/,
  );
  const ok = { kind: "ERROR", payload: { stage: "x", message: "m" } };
  assertEquals(checkNewEvent(ok), ok);
});

Deno.test("EVENT_KINDS lists each kind once, in upper snake case", () => {
  assertEquals(new Set(EVENT_KINDS).size, EVENT_KINDS.length);
  for (const kind of EVENT_KINDS) assert(/^[A-Z][A-Z_]+$/.test(kind), kind);
});
