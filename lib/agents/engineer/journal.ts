/**
 * The SE turn's journal: every model reply and every tool result, in order,
 * as it happens. A turn that is started again (crash, takeover, redelivery)
 * replays it and goes on from where it stopped, so at most the model call
 * that was in flight is asked again. Pending file changes ride along as
 * deltas, so the working copy can be rebuilt on any worker.
 */
import type { ChatCompletionMessageParam, TokenUsage } from "../../llm/mod.ts";

/** An SE packet's changes: whole-file writes and deletes. */
export interface PendingPacket {
  writes: { path: string; content: string }[];
  deletes: string[];
}

/** What changed in the pending packet since the previous entry: a path's content, deleted, or back to base (null). */
export type PacketDelta = Record<
  string,
  { content: string } | "deleted" | null
>;

/** One journal entry. */
export type TurnEntry =
  /** The opening messages (system prompt and task), as first sent. */
  | {
    type: "start";
    messages: ChatCompletionMessageParam[];
    /** Files the first message shows whole (compact profile): a read of one unchanged is not repeated. */
    shown?: string[];
  }
  /** A model reply, with its cost and the size of the request that got it. */
  | {
    type: "reply";
    message: ChatCompletionMessageParam;
    usage: TokenUsage;
    finish_reason: string | null;
    request_tokens: number;
    stubbed: number;
    condensed: number;
    /** The endpoint reported no usage: it was counted here. */
    usage_estimated?: boolean;
    /** How many of the calls were read from the message text (the server did not parse them). */
    text_tool_calls?: number;
    /** The reply's text as the model wrote it, when calls were read from it. */
    raw_content?: string;
  }
  /** One tool call's result; `packet` holds the changes it made. */
  | {
    type: "tool";
    call_id: string;
    name: string;
    content: string;
    error?: string;
    /** The summary, when the call was `finish`. */
    finish?: string;
    packet?: PacketDelta;
    /** Opaque workspace counters (commands run, seconds used) after the call. */
    workspace?: unknown;
    /** A directory's AGENTS.md shown with this result (nested_instructions.ts). */
    instructions?: string;
    /** A finish answered with the acceptance commands' failures instead (compact profile). */
    finish_check?: boolean;
  }
  /**
   * A reply with neither text nor a tool call: counted, never put in the
   * conversation (a small model copies an empty turn it sees), and the
   * request is sent again at a higher temperature.
   */
  | {
    type: "empty";
    usage: TokenUsage;
    finish_reason: string | null;
    request_tokens: number;
    stubbed: number;
    condensed: number;
    usage_estimated?: boolean;
  }
  /** The endpoint said the request was too long: later requests are built smaller. */
  | { type: "shrink"; budget_tokens: number; message: string };

/** Where a turn's entries are kept. */
export interface TurnJournal {
  /** Entries an earlier attempt of this turn persisted, in order. */
  load(): Promise<TurnEntry[]>;
  /** Persists one entry before the turn goes on. */
  append(entry: TurnEntry): Promise<void>;
}

/** A journal in memory (one attempt only; tests and callers without a store). */
export class MemoryJournal implements TurnJournal {
  /** Everything appended, in order. */
  readonly entries: TurnEntry[];

  constructor(entries: TurnEntry[] = []) {
    this.entries = [...entries];
  }

  /** The entries so far (copies, as a store would return). */
  load(): Promise<TurnEntry[]> {
    return Promise.resolve(structuredClone(this.entries));
  }

  /** Keeps a copy of `entry`. */
  append(entry: TurnEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
    return Promise.resolve();
  }
}

/** A packet as a map: path → new content, or null for a delete. */
export type PacketState = Map<string, string | null>;

/** The packet as a map. */
export function packetState(packet: PendingPacket): PacketState {
  const state: PacketState = new Map();
  for (const path of packet.deletes) state.set(path, null);
  for (const { path, content } of packet.writes) state.set(path, content);
  return state;
}

/** What changed from `before` to `after`; null when nothing did. */
export function packetDelta(
  before: PacketState,
  after: PacketState,
): PacketDelta | null {
  const delta: PacketDelta = {};
  let changed = false;
  for (const [path, content] of after) {
    if (before.has(path) && before.get(path) === content) continue;
    delta[path] = content === null ? "deleted" : { content };
    changed = true;
  }
  for (const path of before.keys()) {
    if (!after.has(path)) {
      delta[path] = null;
      changed = true;
    }
  }
  return changed ? delta : null;
}

/** Applies a delta to a packet state, in place. */
export function applyDelta(state: PacketState, delta: PacketDelta): void {
  for (const [path, change] of Object.entries(delta)) {
    if (change === null) state.delete(path);
    else if (change === "deleted") state.set(path, null);
    else state.set(path, change.content);
  }
}

/** The packet a state stands for (sorted by path). */
export function packetOf(state: PacketState): PendingPacket {
  const paths = [...state.keys()].sort();
  return {
    writes: paths.flatMap((path) => {
      const content = state.get(path);
      return typeof content === "string" ? [{ path, content }] : [];
    }),
    deletes: paths.filter((path) => state.get(path) === null),
  };
}

/** The pending packet the journal's entries add up to. */
export function journaledPacket(entries: readonly TurnEntry[]): PendingPacket {
  const state: PacketState = new Map();
  for (const entry of entries) {
    if (entry.type === "tool" && entry.packet) applyDelta(state, entry.packet);
  }
  return packetOf(state);
}

/** The workspace counters of the journal's last tool entry that had them. */
export function journaledWorkspaceState(
  entries: readonly TurnEntry[],
): unknown {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.type === "tool" && entry.workspace !== undefined) {
      return entry.workspace;
    }
  }
  return undefined;
}

/** The tool calls of the last reply that have no result yet: what a stopped turn was doing. */
export function callsInFlight(
  entries: readonly TurnEntry[],
): { name: string; arguments: string }[] {
  let calls: { id: string; name: string; arguments: string }[] = [];
  for (const entry of entries) {
    if (entry.type === "reply") {
      const toolCalls = (entry.message as { tool_calls?: unknown }).tool_calls;
      calls = Array.isArray(toolCalls)
        ? (toolCalls as {
          id: string;
          function: { name: string; arguments: string };
        }[]).map((c) => ({
          id: c.id,
          name: c.function.name,
          arguments: c.function.arguments,
        }))
        : [];
    } else if (entry.type === "tool") {
      calls = calls.filter((c) => c.id !== entry.call_id);
    }
  }
  return calls.map(({ name, arguments: args }) => ({ name, arguments: args }));
}
