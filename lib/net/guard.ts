/**
 * The address guard (SSRF): a host is resolved and every address checked, so
 * a name that points at loopback or the LAN — or a literal address, in any
 * spelling — is refused. Callers that then connect pin the checked addresses,
 * so a second lookup (DNS rebinding) cannot move the request elsewhere.
 */
import { isPrivateAddress, v4Octets } from "./address.ts";
import { dnsResolver, type Resolver } from "./resolve.ts";

/** What the guard found for one host. */
export type HostCheck =
  | { ok: true; addresses: string[] }
  | { ok: false; message: string; retry: boolean };

/**
 * Resolves `host` (a name, a dotted quad or an IPv6 address, brackets allowed)
 * and refuses it when any address is private. A name that resolves to
 * nothing is refused with `retry: true` (DNS may come back).
 */
export async function checkHost(
  host: string,
  resolve: Resolver = dnsResolver,
): Promise<HostCheck> {
  const bare = host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  let addresses: string[];
  if (v4Octets(bare) || bare.includes(":")) addresses = [bare];
  else if (bare === "localhost" || bare.endsWith(".localhost")) {
    addresses = ["127.0.0.1"];
  } else {
    addresses = await resolve(bare);
    if (addresses.length === 0) {
      return {
        ok: false,
        message: `Could not resolve host '${bare}'`,
        retry: true,
      };
    }
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked === undefined) return { ok: true, addresses };
  return {
    ok: false,
    message:
      `Refused: host '${bare}' resolves to the private or loopback address ${blocked}`,
    retry: false,
  };
}
