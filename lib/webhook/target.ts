/**
 * SSRF guard for webhook targets: lib/net's address guard, refused unless
 * AOS_WEBHOOK_ALLOW_PRIVATE=true.
 */
import { checkHost, dnsResolver, type Resolver } from "../net/mod.ts";

export type { Resolver } from "../net/mod.ts";

/**
 * Null when `url` may be called, else why not. Names that resolve to nothing
 * are reported with `retry: true` (DNS may come back).
 */
export async function checkTarget(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolver = dnsResolver,
): Promise<{ message: string; retry: boolean } | null> {
  if (allowPrivate) return null;
  const check = await checkHost(url.hostname, resolve);
  if (check.ok) return null;
  return {
    message: check.retry
      ? check.message
      : `${check.message} (set AOS_WEBHOOK_ALLOW_PRIVATE=true to allow it)`,
    retry: check.retry,
  };
}
