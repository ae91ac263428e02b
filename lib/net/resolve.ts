/** Turning host names into addresses for the address guard. */

/** How a host name becomes addresses (Deno.resolveDns by default; tests may pass their own). */
export type Resolver = (host: string) => Promise<string[]>;

/** How long one lookup may take: a submit waits on it. */
const DNS_TIMEOUT_MS = 5_000;

/** Resolves A and AAAA records; an empty list when neither exists (or DNS does not answer in time). */
export const dnsResolver: Resolver = async (host) => {
  const signal = AbortSignal.timeout(DNS_TIMEOUT_MS);
  const [v4, v6] = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  return [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
};
