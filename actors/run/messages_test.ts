import { ok as assert } from "node:assert/strict";
import type { ActorContext, ActorRef, Message } from "../../runtime/mod.ts";
import { engineerRef } from "../engineer/messages.ts";
import { toolRunnerRef } from "../tool_runner/messages.ts";
import { runMessages, runRef } from "./messages.ts";

/** A `send` that records what it was given (the runtime's ctx only records too). */
function recordingSend(): {
  send: ActorContext<null, Message>["send"];
  sent: { to: ActorRef<never>; msg: unknown }[];
} {
  const sent: { to: ActorRef<never>; msg: unknown }[] = [];
  return { send: (to, msg) => void sent.push({ to, msg }), sent };
}

Deno.test("ctx.send() to a typed ref refuses a misspelled reply at compile time", () => {
  const { send, sent } = recordingSend();
  send(runRef("r1"), {
    type: "tr_done",
    iteration: 1,
    applied: 1,
    rejected: 0,
    ok: true,
    failedCommands: 0,
  });
  send(runRef("r1"), {
    type: "tr_done",
    // @ts-expect-error -- misspelled: the field is `iteration`
    iteraton: 1,
    applied: 1,
    rejected: 0,
    ok: true,
    failedCommands: 0,
  });
  // @ts-expect-error -- `baseCommit` is required: finalize must build on the tested base
  send(toolRunnerRef("r1"), { type: "finalize", iteration: 2 });
  // @ts-expect-error -- the engineer handles `turn`, not the PO's `review`
  send(engineerRef("r1"), { type: "review", iteration: 1 });
  // What the compiler refused, the receiver's schema refuses too.
  assert(runMessages.safeParse(sent[0]!.msg).success);
  assert(!runMessages.safeParse(sent[1]!.msg).success);
  assert(sent.every((s) => s.to.id === "r1"));
});
