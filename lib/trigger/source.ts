/** What one forge's deliveries are to triggers: headers, signature, and the events read. */
import { isAosComment, parseCommand } from "./command.ts";
import { cleanText, cleanTitle } from "./payload.ts";
import type { TriggerEvent, TriggerKind } from "./types.ts";

/** What every reader is given besides the payload. */
export interface ReadBase {
  kind: TriggerKind;
  deliveryId: string;
  /** AOS_TRIGGER_LABEL. */
  label: string;
}

/** A delivery that is not a trigger, and why (answered 202 with the reason). */
export interface Ignored {
  ignored: string;
}

/** One forge's deliveries. */
export interface TriggerSource {
  /** The forge's name for messages. */
  forge: string;
  /** The header naming the event, for messages. */
  eventHeader: string;
  /** The header that authenticates a delivery, for messages. */
  signatureHeader: string;
  /** Whether the delivery is signed with `secret`. */
  verify(
    headers: Headers,
    body: Uint8Array<ArrayBuffer>,
    secret: string,
  ): Promise<boolean>;
  /** The forge's id of the delivery (the same on a redelivery); PayloadError when absent. */
  deliveryId(headers: Headers): string;
  /** The event header's value, or null. */
  eventName(headers: Headers): string | null;
  /** The repository's web URL (names the host whose secret verifies); PayloadError when absent. */
  repoUrl(event: string, json: unknown): string;
  /** The trigger in the payload, or why it is none; PayloadError when malformed. */
  read(event: string, json: unknown, base: ReadBase): TriggerEvent | Ignored;
}

/** The thread fields every forge gives. */
interface Thread {
  number: number;
  title: string;
  body?: string | null | undefined;
  pullRequest: boolean;
}

/**
 * The event of a label or a text on an issue or pull request, or why it is
 * not a trigger: another label, a bot or AOS itself, text without `/aos`.
 */
export function issueEvent(
  common: ReadBase & { repo: string; defaultBranch: string },
  parts: {
    target: Thread & { html_url?: string; url?: string };
    action: TriggerEvent["action"];
    /** The label added (labeled), null when unknown. */
    label: string | null;
    author: TriggerEvent["author"];
    text: string | null;
    changesRequested?: boolean;
  },
): TriggerEvent | Ignored {
  const { label, ...base } = common;
  if (parts.action === "labeled" && parts.label !== label) {
    return {
      ignored: `label '${(parts.label ?? "").slice(0, 100)}' is not '${label}'`,
    };
  }
  if (parts.author.bot) {
    return { ignored: `author '${parts.author.login.slice(0, 100)}' is a bot` };
  }
  const text = parts.text === null ? null : cleanText(parts.text);
  if (text !== null && isAosComment(text)) {
    return { ignored: "a comment AOS posted" };
  }
  const changesRequested = parts.changesRequested ?? false;
  if (
    parts.action !== "labeled" && parseCommand(text ?? "") === null &&
    !(changesRequested && parts.target.pullRequest)
  ) {
    return { ignored: "no /aos command" };
  }
  return {
    kind: base.kind,
    deliveryId: base.deliveryId,
    repo: base.repo,
    defaultBranch: base.defaultBranch,
    target: {
      number: parts.target.number,
      pullRequest: parts.target.pullRequest,
      url: parts.target.html_url ?? parts.target.url ?? "",
      title: cleanTitle(parts.target.title),
      body: cleanText(parts.target.body),
    },
    action: parts.action,
    author: parts.author,
    text,
    changesRequested,
  };
}
