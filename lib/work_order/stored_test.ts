import {
  deepStrictEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import { parseWorkOrder } from "./parse.ts";
import { storedWorkOrder } from "./stored.ts";
import { StoredValueError } from "../factory/mod.ts";

const FULL = `---
repo: https://example.com/o/r.git
clone_branch: dev
push_branch: aos/x
title: A task
max_iterations: 3
acceptance_commands: ["deno test"]
allowed_paths: ["src/**"]
forbidden_paths: ["src/secret/**"]
context_files: ["README.md"]
env: { CI: "1" }
setup_commands: ["npm ci"]
pull_request: true
approval: before_push
on_budget: pause
max_cost_usd: 2
instructions_files: false
---

Do the thing.
`;

Deno.test("storedWorkOrder() reads back the JSON a submit stored, unchanged", () => {
  for (const md of [FULL, "---\nrepo: /tmp/r\n---\nTask\n"]) {
    const workOrder = parseWorkOrder(md);
    const stored = JSON.parse(JSON.stringify(workOrder));
    assertEquals(storedWorkOrder(stored, "r1"), workOrder);
  }
});

Deno.test("storedWorkOrder() gives a field newer than the stored work order its default", () => {
  const stored = JSON.parse(JSON.stringify(parseWorkOrder(FULL)));
  // Stored by a build that knew none of these fields.
  delete stored.on_budget;
  delete stored.max_cost_usd;
  delete stored.push_mode;
  delete stored.network_allow;
  const workOrder = storedWorkOrder(stored, "r1");
  assertEquals(workOrder.on_budget, "fail");
  assertEquals(workOrder.max_cost_usd, null);
  assertEquals(workOrder.push_mode, "update");
  assertEquals(workOrder.network_allow, []);
  assertEquals(workOrder.title, "A task");
});

Deno.test("storedWorkOrder() names the run's work order when it does not parse", () => {
  assertThrows(
    () =>
      storedWorkOrder({ repo: "/tmp/r", task: "t", max_iterations: "x" }, "r7"),
    (error: unknown) =>
      error instanceof StoredValueError &&
      /Stored work order of run 'r7' does not parse: max_iterations/.test(
        error.message,
      ),
  );
});
