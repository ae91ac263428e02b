/** net: the address guard shared by everything that connects on a stranger's behalf. */
export { isPrivateAddress, v4Octets } from "./address.ts";
export { checkHost } from "./guard.ts";
export { dnsResolver, type Resolver } from "./resolve.ts";
