/**
 * Which IP addresses a request on behalf of a stranger (a webhook target, a
 * work order's repository) must never reach: loopback, private, link-local,
 * shared, multicast, documentation and other reserved ranges, in v4 and v6
 * spellings (v4-mapped, NAT64 included).
 */

/** The four octets of a dotted-quad IPv4 address, or null. */
export function v4Octets(ip: string): number[] | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : null;
}

function privateV4([a = 0, b = 0, c = 0]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113);
}

/** True for addresses a stranger's URL must never reach (loopback, private, link-local, …); true for anything not an address. */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = v4Octets(bare);
  if (v4) return privateV4(v4);
  if (!bare.includes(":")) return true; // not an address: refuse
  // IPv4-mapped / -compatible forms carry a v4 address at the end.
  const tail = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  if (tail) {
    const octets = v4Octets(tail);
    return octets ? privateV4(octets) : true;
  }
  const groups = expandV6(bare);
  if (!groups) return true;
  const [g0 = 0] = groups;
  if (groups.every((g) => g === 0)) return true; // ::
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true; // ::1
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return privateV4([groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8]);
  }
  return (g0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g0 & 0xffc0) === 0xfe80 || // link-local
    (g0 & 0xff00) === 0xff00 || // multicast
    g0 === 0x2001 && groups[1] === 0x0db8 || // documentation
    g0 === 0x0064 && groups[1] === 0xff9b; // NAT64 reaches v4 space
}

function expandV6(ip: string): number[] | null {
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return null;
  const all = [
    ...head,
    ...Array(halves.length === 2 ? fill : 0).fill("0"),
    ...tail,
  ];
  const groups = all.map((
    g,
  ) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return groups.some(Number.isNaN) ? null : groups;
}
