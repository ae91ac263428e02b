/**
 * The one pull-request flow every forge shares: look the open pull request of
 * the head branch up, update it if there is one, else create one; a create the
 * forge refuses as a duplicate (opened meanwhile, or a list that lagged) falls
 * back to updating the one it names. What differs per forge is in its adapter.
 */
import { ForgeError, forgeRequest, serverMessage } from "./http.ts";
import type {
  ForgeAdapter,
  ForgeContext,
  FoundPullRequest,
  PullRequestSpec,
} from "./types.ts";

/** What opening or updating did. */
export interface PullRequestOutcome {
  url: string;
  number: number;
  /** `opened` by this run (also when a redelivered step finds its own), or `updated`. */
  action: "opened" | "updated";
}

/**
 * Opens the pull request for `spec.head` through `adapter`, or updates the
 * open one; `marker` (in the body) tells this run's own pull request from one
 * an earlier run opened.
 */
export async function openOrUpdate(
  adapter: ForgeAdapter,
  ctx: ForgeContext,
  spec: PullRequestSpec,
  marker: string,
): Promise<PullRequestOutcome> {
  const { forge, noun } = adapter;
  const host = new URL(ctx.api).host;
  const call = {
    headers: adapter.headers,
    source: ctx.source,
    signal: ctx.signal,
  };

  const find = async (): Promise<FoundPullRequest | null> => {
    const pages = adapter.list.paging?.max ?? 1;
    for (let page = 1; page <= pages; page++) {
      const query = new URLSearchParams(adapter.list.query(spec, page));
      const { json } = await forgeRequest({
        ...call,
        method: "GET",
        url: `${adapter.collection}?${query}`,
        action: `list ${noun}s of '${ctx.repoPath}'`,
      });
      const entries = adapter.list.entries(json);
      // Matched here too: a forge that cannot filter by head lists them all.
      const match = entries.map(adapter.read).find((p) => p.head === spec.head);
      if (match) return match;
      if (entries.length < (adapter.list.paging?.size ?? Infinity)) break;
    }
    return null;
  };

  /** The created pull request, or null when the forge says one already exists. */
  const create = async (): Promise<FoundPullRequest | null> => {
    const duplicate = adapter.create.duplicate;
    const { status, json } = await forgeRequest({
      ...call,
      method: "POST",
      url: adapter.collection,
      body: adapter.create.body(spec),
      action: `open a ${noun} from '${spec.head}' into '${spec.base}'`,
    }, duplicate ? [duplicate.status] : []);
    if (duplicate && status === duplicate.status) {
      const said = serverMessage(json);
      if (!duplicate.message || duplicate.message.test(said)) return null;
      throw new ForgeError(
        `${forge} at '${host}' refused the ${noun} from '${spec.head}' into '${spec.base}' (HTTP ${status}): ${
          said || "no reason given"
        }`,
        status,
      );
    }
    return adapter.read(json);
  };

  const update = async (
    existing: FoundPullRequest,
  ): Promise<PullRequestOutcome> => {
    const { json } = await forgeRequest({
      ...call,
      method: adapter.update.method,
      url: `${adapter.collection}/${existing.number}`,
      body: adapter.update.body(spec),
      action: `update ${noun} ${adapter.ref(existing.number)}`,
    });
    const updated = adapter.read(json);
    return {
      url: updated.url,
      number: updated.number,
      action: existing.body.includes(marker) ? "opened" : "updated",
    };
  };

  const existing = await find();
  if (existing) return await update(existing);
  const created = await create();
  if (created) {
    return { url: created.url, number: created.number, action: "opened" };
  }
  const raced = await find();
  if (!raced) {
    throw new ForgeError(
      `${forge} at '${host}' says a ${noun} from '${spec.head}' already exists, but it is not listed as open`,
      409,
    );
  }
  return await update(raced);
}
