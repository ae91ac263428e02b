/** What the run actor accepts, and how other actors address it. */
import { z } from "zod";
import {
  usageSchema as usage,
  verdictDecisionSchema,
} from "../../lib/factory/mod.ts";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";
import type { Usage } from "../../lib/factory/mod.ts";

/** Messages the run actor handles: commands from the API and replies from its children. */
export const runMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start") }),
  z.object({ type: z.literal("cancel") }),
  /** A person's decision on a run in AWAITING_APPROVAL (POST /runs/{id}/approve|reject). */
  z.object({
    type: z.literal("approve"),
    comment: z.string().nullable().optional(),
  }),
  z.object({
    type: z.literal("reject"),
    comment: z.string().nullable().optional(),
  }),
  z.object({ type: z.literal("deadline") }),
  /** New limits for a PAUSED run (POST /runs/{id}/resume); absent ones are kept. */
  z.object({
    type: z.literal("resume"),
    limits: z.object({
      max_total_tokens: z.number().int().optional(),
      max_cost_usd: z.number().optional(),
      max_wall_time_s: z.number().int().optional(),
    }),
  }),
  /** The SE stopped its turn at a budget (`on_budget: pause`), its journal kept to go on. */
  z.object({
    type: z.literal("budget_reached"),
    iteration: z.number(),
    reason: z.enum(["token_budget", "cost_budget", "wall_time"]),
    message: z.string(),
    /** What the turn has used so far, in all. */
    usage,
  }),
  z.object({
    type: z.literal("prepared"),
    baseCommit: z.string(),
    /** The branch the push check chose (absent in messages from before push_mode). */
    pushBranch: z.string().nullable().optional(),
  }),
  z.object({
    type: z.literal("se_done"),
    iteration: z.number(),
    /** Which attempt of a best-of-N iteration (`attempts` > 1); absent otherwise. */
    attempt: z.number().int().optional(),
    writes: z.number(),
    deletes: z.number(),
    summary: z.string(),
    usage,
  }),
  z.object({
    type: z.literal("tr_done"),
    iteration: z.number(),
    /** Which attempt of a best-of-N iteration (`attempts` > 1); absent otherwise. */
    attempt: z.number().int().optional(),
    applied: z.number(),
    rejected: z.number(),
    ok: z.boolean(),
    failedCommands: z.number(),
    /** Whether the packet changed the tree (absent from replies before best-of-N). */
    changed: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("po_done"),
    iteration: z.number(),
    decision: verdictDecisionSchema,
    feedback: z.string(),
    usage,
    /** Best-of-N: the attempt picked (PASS) or the best one (FAIL), whose packet the iteration keeps. */
    attempt: z.number().int().optional(),
    /** Best-of-N: the attempts the PO judged. */
    candidates: z.array(z.number().int()).optional(),
  }),
  z.object({
    type: z.literal("finalized"),
    commit: z.string().nullable(),
    pushed: z.boolean(),
    branch: z.string().nullable(),
  }),
  z.object({
    type: z.literal("pr_done"),
    url: z.string(),
    number: z.number(),
    action: z.enum(["opened", "updated"]),
  }),
  z.object({
    type: z.literal("failed"),
    stage: z.string(),
    message: z.string(),
    iteration: z.number().nullable(),
    /** Which attempt of a best-of-N iteration (`attempts` > 1); absent otherwise. */
    attempt: z.number().int().optional(),
    /** What the failed step had used (a model turn that failed midway was still paid). */
    usage: usage.optional(),
  }),
]);

/** A message to the run actor. */
export type RunMessage = z.infer<typeof runMessages>;

/** The run actor of a run: children reply to it, the API starts and cancels through it. */
export function runRef(runId: string): ActorRef<RunMessage> {
  return actorRef<RunMessage>(ACTOR.run, runId);
}

/** Where the run is in the factory loop. */
export type RunPhase =
  | "new"
  /** Created held (a trigger from an untrusted author): nothing has run; approve starts it. */
  | "awaiting_start"
  | "preparing"
  | "engineering"
  | "applying"
  | "reviewing"
  | "committing"
  | "awaiting_approval"
  | "paused"
  | "finalizing"
  | "pull_request"
  | "done";

/** The run actor's own state (the run record lives in the store). */
export interface RunState {
  phase: RunPhase;
  iteration: number;
  baseCommit: string | null;
  /** The PASS commit awaiting approval (`approval: before_push`); absent otherwise. */
  commit?: string | null;
  /** Wall time worked before `since` (ms), and when the run last started working (null while paused). */
  wall?: { usedMs: number; since: number | null };
  /** The part of the current SE turn's usage already charged to the record (at a pause). */
  charged?: Usage | null;
  /** Where a PAUSED run goes on when resumed. */
  resumeTo?: ResumePoint | null;
  /** A best-of-N iteration in flight (`attempts` > 1); null or absent otherwise. */
  attempts?: AttemptsState | null;
}

/** What each attempt of a best-of-N iteration has done so far (keys: attempt numbers). */
export interface AttemptsState {
  count: number;
  /** The SE turn of an attempt ended: true with a packet, false when it failed. */
  engineered: Record<string, boolean>;
  /** The Tool Runner checked an attempt: whether it reaches the PO, else why not. */
  checked: Record<string, { passes: boolean; reason: string | null }>;
}

/** A step of the loop a paused run resumes at. */
export interface ResumePoint {
  phase: "engineering" | "applying" | "reviewing";
  iteration: number;
}
