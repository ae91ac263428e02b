/** Turning host names into addresses for the address guard. */

/** How a host name becomes addresses (Deno.resolveDns by default; tests may pass their own). */
export type Resolver = (host: string) => Promise<string[]>;

/** Resolves A and AAAA records; an empty list when neither exists. */
export const dnsResolver: Resolver = async (host) => {
  const [v4, v6] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  return [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
};
