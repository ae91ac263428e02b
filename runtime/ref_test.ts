import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { actorRef, refTo } from "./ref.ts";
import type { ActorAddress, ActorRef } from "./types.ts";

type Greeting = { type: "hello"; name: string } | { type: "bye" };

const greeter = defineActor<null, Greeting>({
  type: "greeter",
  messages: z.discriminatedUnion("type", [
    z.object({ type: z.literal("hello"), name: z.string() }),
    z.object({ type: z.literal("bye") }),
  ]),
  initialState: () => null,
  handlers: { hello() {}, bye() {} },
});

Deno.test("refTo() and actorRef() make plain addresses typed only at compile time", () => {
  const ref = refTo(greeter, "g1");
  assertEquals({ ...ref }, { type: "greeter", id: "g1" });
  assertEquals(JSON.parse(JSON.stringify(ref)), { type: "greeter", id: "g1" });
  // Any typed ref is an address (cancel, getState and logs take addresses).
  const address: ActorAddress = ref;
  // An actor that accepts more may stand in for one that accepts less ...
  const onlyBye: ActorRef<{ type: "bye" }> = ref;
  // ... never the other way round.
  // @ts-expect-error -- a ref to an actor accepting only `bye` cannot take `hello`
  const both: ActorRef<Greeting> = actorRef<{ type: "bye" }>("greeter", "g2");
  // @ts-expect-error -- a plain `{ type, id }` is not a typed ref
  const plain: ActorRef<Greeting> = { type: "greeter", id: "g3" };
  assertEquals([address.id, onlyBye.id, both.id, plain.id], [
    "g1",
    "g1",
    "g2",
    "g3",
  ]);
});
