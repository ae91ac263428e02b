/** Submitting and cancelling runs: the one place the API touches the actor system. */
import type { ActorSystem } from "../../runtime/mod.ts";
import {
  type ActorRef,
  CommitConflictError,
  type Message,
  type Mutation,
  nextSeq,
} from "../../runtime/mod.ts";
import { ConflictError, ValidationError } from "../../lib/errors.ts";
import { pullRequestProblem } from "../../lib/forge/mod.ts";
import type { GitCredentials } from "../../lib/git/mod.ts";
import {
  checkRepoAddress,
  GUARD_ALL,
  type RepoAddressPolicy,
} from "../../lib/git/mod.ts";
import { noUsage } from "../../lib/factory/mod.ts";
import { newRunId } from "../../lib/ids.ts";
import { newTraceparent } from "../../lib/telemetry/mod.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { type RunRecord, TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import {
  parseWorkOrder,
  type WorkOrder,
  workOrderMdFromFields,
} from "../../lib/work_order/mod.ts";
import { followUpFields, type FollowUpRequest } from "./follow_up.ts";
import { runRef } from "./messages.ts";
import { decide, type Decision } from "./approval.ts";
import { type ResumeLimits, resumeRun } from "./resume.ts";

/** How a run is created besides its work order. */
export interface CreateOptions {
  idempotencyKey?: string;
  /**
   * The run waits in AWAITING_APPROVAL before anything runs (a trigger from
   * an untrusted author): no clone, no model call until approved.
   */
  hold?: boolean;
  /** More mutations committed with the run (a trigger's origin and index). */
  extra?: (runId: string) => Mutation[];
  /** The schedule firing this run (its record's `schedule_id`). */
  scheduleId?: string;
}

/** What a client submits: a whole work order, or its fields plus `task`. */
export type SubmitInput = { workOrderMd: string } | {
  fields: Record<string, unknown>;
};

/** Creates runs (record + first message in one commit) and cancels them. */
export class RunService {
  readonly #store: RunStore;
  readonly #system: ActorSystem;
  readonly #allowlist: string[];
  readonly #credentials: GitCredentials | null;
  readonly #allowLocalRepos: boolean;
  readonly #addresses: RepoAddressPolicy;
  readonly #secretNames: readonly string[];
  readonly #networkAllowMax: readonly string[];

  constructor(
    opts: {
      store: RunStore;
      system: ActorSystem;
      repoAllowlist: string[];
      /** When given, a `pull_request` no credential can open is refused at submit. */
      gitCredentials?: GitCredentials;
      /** AOS_ALLOW_LOCAL_REPOS (default false). */
      allowLocalRepos?: boolean;
      /** AOS_REPO_ALLOW_PRIVATE / AOS_REPO_ALLOWLIST (default: every host guarded). */
      repoAddresses?: RepoAddressPolicy;
      /** AOS_SECRETS' names: a work order naming another secret is refused (default: none). */
      secretNames?: readonly string[];
      /** AOS_NETWORK_ALLOW_MAX: what network_allow may ask (default: nothing). */
      networkAllowMax?: readonly string[];
    },
  ) {
    this.#store = opts.store;
    this.#system = opts.system;
    this.#allowlist = opts.repoAllowlist;
    this.#credentials = opts.gitCredentials ?? null;
    this.#allowLocalRepos = opts.allowLocalRepos ?? false;
    this.#addresses = opts.repoAddresses ?? GUARD_ALL;
    this.#secretNames = opts.secretNames ?? [];
    this.#networkAllowMax = opts.networkAllowMax ?? [];
  }

  /** Validates and stores a run, and starts it; a repeated Idempotency-Key returns the first run. */
  async submit(
    input: SubmitInput,
    opts: CreateOptions = {},
  ): Promise<{ run: RunRecord; created: boolean }> {
    const { workOrder, md } = await this.validate(input);
    return await this.#create(workOrder, md, opts);
  }

  /** The checks of `submit` without storing anything (a schedule's work order); 422 naming the field. */
  async validate(
    input: SubmitInput,
  ): Promise<{ workOrder: WorkOrder; md: string }> {
    const options = {
      repoAllowlist: this.#allowlist,
      allowLocalRepos: this.#allowLocalRepos,
      secretNames: this.#secretNames,
      networkAllowMax: this.#networkAllowMax,
    };
    let workOrder: WorkOrder;
    let md: string;
    if ("workOrderMd" in input) {
      workOrder = parseWorkOrder(input.workOrderMd, options);
      md = input.workOrderMd;
    } else {
      ({ workOrder, md } = workOrderMdFromFields(input.fields, options));
    }
    // Refused now when the host is known to be private; a name that does not
    // resolve yet is left to the fetch, which checks again and pins.
    const address = await checkRepoAddress(workOrder.repo, this.#addresses);
    if (!address.ok && !address.retry) {
      throw new ValidationError([{ field: "repo", message: address.message }]);
    }
    if (workOrder.pull_request && this.#credentials) {
      // Refused now rather than after the whole loop has spent its tokens.
      const problem = pullRequestProblem(workOrder.repo, this.#credentials);
      if (problem) {
        throw new ValidationError([{
          field: "pull_request",
          message: `Cannot open a pull request: ${problem}`,
        }]);
      }
    }
    return { workOrder, md };
  }

  /**
   * Starts a follow-up of finished run `parentId` (DESIGN §4): a new run with
   * `parent_run_id`, cloned from the parent's result, pushing to its branch
   * and updating its pull request. 404 unknown run, 409 not finished, 422
   * empty feedback.
   */
  async startFollowUp(
    parentId: string,
    request: FollowUpRequest,
    opts: CreateOptions = {},
  ): Promise<{ run: RunRecord; created: boolean }> {
    const parent = await this.#store.getRun(parentId);
    const fields = await followUpFields(this.#store, parent, request);
    const { workOrder, md } = workOrderMdFromFields(fields, {
      repoAllowlist: this.#allowlist,
      allowLocalRepos: this.#allowLocalRepos,
      secretNames: this.#secretNames,
      networkAllowMax: this.#networkAllowMax,
    });
    return await this.#create(workOrder, md, {
      ...opts,
      parentRunId: parentId,
    });
  }

  /** Stores the run and its first message in one commit (and a FOLLOW_UP event on its parent). */
  async #create(
    workOrder: WorkOrder,
    md: string,
    opts: CreateOptions & { parentRunId?: string },
  ): Promise<{ run: RunRecord; created: boolean }> {
    if (opts.idempotencyKey) {
      const existing = await this.#existing(opts.idempotencyKey);
      if (existing) return { run: existing, created: false };
    }
    const record: RunRecord = {
      id: newRunId(),
      status: opts.hold ? "AWAITING_APPROVAL" : "PENDING",
      title: workOrder.title,
      repo: workOrder.repo,
      clone_branch: workOrder.clone_branch,
      push_branch: workOrder.push_branch,
      iteration: 0,
      max_iterations: workOrder.max_iterations,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      result_summary: null,
      pull_request_url: null,
      error: null,
      usage: noUsage(),
      work_order_md: md,
      parent_run_id: opts.parentRunId ?? null,
      ...(opts.scheduleId ? { schedule_id: opts.scheduleId } : {}),
      traceparent: newTraceparent(),
    };
    const mutations = this.#store.createRunMutations(record, {
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      createdEventSeq: nextSeq(),
      workOrder,
    });
    if (opts.extra) mutations.push(...opts.extra(record.id));
    if (opts.parentRunId) {
      // The parent's log links to its follow-up, written with the run itself.
      const seq = nextSeq();
      mutations.push({
        kind: "set",
        key: this.#store.eventKey(opts.parentRunId, seq),
        value: {
          seq,
          ts: record.created_at,
          level: "INFO",
          kind: "FOLLOW_UP",
          iteration: null,
          payload: { run_id: record.id },
        },
      });
    }
    try {
      await this.#system.send(runRef(record.id), { type: "start" }, mutations);
    } catch (error) {
      if (error instanceof CommitConflictError && opts.idempotencyKey) {
        const existing = await this.#existing(opts.idempotencyKey);
        if (existing) return { run: existing, created: false };
      }
      throw error;
    }
    return { run: await this.#store.getRun(record.id), created: true };
  }

  /** Cancels a live (or waiting) run and waits briefly for it to be CANCELLED; 409 once it ended otherwise. */
  async cancel(id: string): Promise<{ run: RunRecord; done: boolean }> {
    let run = await this.#store.getRun(id);
    if (run.status === "CANCELLED") return { run, done: true };
    if (TERMINAL_STATUSES.has(run.status)) {
      throw new ConflictError(
        `Run '${id}' already ended with status ${run.status}`,
      );
    }
    await this.#system.send(runRef(id), { type: "cancel" });
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      run = await this.#store.getRun(id);
      if (TERMINAL_STATUSES.has(run.status)) return { run, done: true };
    }
    return { run, done: false };
  }

  /**
   * Approves (push, PR) or rejects a run in AWAITING_APPROVAL; 409 in any
   * other status. A rejection with a comment starts a follow-up run with the
   * comment as its feedback (issue #23), once the run is REJECTED;
   * `followUp.extra` is committed with it (a trigger's thread index).
   */
  async decide(
    id: string,
    decision: Decision,
    followUp: Pick<CreateOptions, "extra"> = {},
  ): Promise<{ run: RunRecord; done: boolean; followUp: RunRecord | null }> {
    const { run, done } = await decide(
      { store: this.#store, system: this.#system },
      id,
      decision,
    );
    // A run held before it started (a trigger from an untrusted author) has
    // nothing to follow up: a follow-up would run its task unapproved.
    if (
      decision.action !== "reject" || !decision.comment ||
      run.status !== "REJECTED" || run.started_at === null
    ) {
      return { run, done, followUp: null };
    }
    // The key makes a repeated start (a retried request) return the same run.
    const { run: started } = await this.startFollowUp(
      id,
      { feedback: decision.comment },
      { ...followUp, idempotencyKey: `aos-reject-follow-up:${id}` },
    );
    return { run, done, followUp: started };
  }

  /** Resumes a PAUSED run with raised limits; 409 in any other status, 422 naming a limit still reached. */
  async resume(
    id: string,
    limits: ResumeLimits,
  ): Promise<{ run: RunRecord; done: boolean }> {
    return await resumeRun(
      { store: this.#store, system: this.#system },
      id,
      limits,
    );
  }

  /**
   * Sends `msg` to `to` in one commit with `extra` (a forge delivery with
   * its replay guard); CommitConflictError when a checked key changed.
   */
  async deliver<T extends Message>(
    to: ActorRef<T>,
    msg: T,
    extra: Mutation[],
  ): Promise<void> {
    await this.#system.send(to, msg, extra);
  }

  async #existing(key: string): Promise<RunRecord | null> {
    const id = await this.#store.getRunIdByIdempotencyKey(key);
    return id ? await this.#store.getRun(id) : null;
  }
}
