import assert from "node:assert/strict";
import { isPrivateAddress } from "./address.ts";
import { checkHost } from "./guard.ts";

Deno.test("isPrivateAddress() refuses loopback, private, link-local and reserved ranges", () => {
  for (
    const ip of [
      "127.0.0.1",
      "127.1.2.3",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1",
      "not-an-ip",
    ]
  ) assert.ok(isPrivateAddress(ip), ip);
  for (
    const ip of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111"]
  ) {
    assert.ok(!isPrivateAddress(ip), ip);
  }
});

Deno.test("checkHost() resolves a name and refuses it when any address is private", async () => {
  const dns = (host: string) =>
    Promise.resolve(
      ({
        "git.example.com": ["93.184.216.34"],
        "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
      } as Record<string, string[]>)[host] ?? [],
    );
  assert.deepEqual(await checkHost("git.example.com", dns), {
    ok: true,
    addresses: ["93.184.216.34"],
  });
  // Case and a trailing dot change nothing.
  assert.deepEqual(await checkHost("GIT.example.com.", dns), {
    ok: true,
    addresses: ["93.184.216.34"],
  });
  for (
    const host of [
      "rebind.example.com",
      "127.0.0.1",
      "[::1]",
      "::ffff:10.0.0.1",
      "localhost",
      "localhost.",
      "git.localhost",
      "169.254.169.254",
    ]
  ) {
    const check = await checkHost(host, dns);
    assert.ok(!check.ok && !check.retry, host);
  }
  const gone = await checkHost("gone.example", dns);
  assert.ok(!gone.ok && gone.retry);
});
