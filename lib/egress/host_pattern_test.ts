import assert from "node:assert/strict";
import {
  hostAllowed,
  hostPatternProblem,
  patternCovered,
} from "./host_pattern.ts";

Deno.test("hostPatternProblem() takes hosts and *.suffix, refusing URLs, ports, other wildcards and bare TLDs", () => {
  for (
    const ok of ["pypi.org", "*.npmjs.org", "registry-1.docker.io", "localhost"]
  ) {
    assert.equal(hostPatternProblem(ok), null, ok);
  }
  for (
    const bad of [
      "https://pypi.org",
      "pypi.org:443",
      "pypi.org/simple",
      "*",
      "*.org",
      "*pypi.org",
      "py*.org",
      "a..b",
      "-x.org",
      "",
      "user@host.org",
    ]
  ) assert.ok(hostPatternProblem(bad), bad);
  assert.equal(hostPatternProblem("*", { any: true }), null);
});

Deno.test("hostAllowed() matches exact hosts and names below a *.suffix, never the suffix's look-alikes", () => {
  const patterns = ["pypi.org", "*.pythonhosted.org"];
  for (
    const host of [
      "pypi.org",
      "PYPI.ORG.",
      "files.pythonhosted.org",
      "a.b.pythonhosted.org",
    ]
  ) {
    assert.ok(hostAllowed(patterns, host), host);
  }
  for (
    const host of [
      "pythonhosted.org",
      "evilpythonhosted.org",
      "pypi.org.evil.com",
      "xpypi.org",
      "127.0.0.1",
    ]
  ) assert.ok(!hostAllowed(patterns, host), host);
});

Deno.test("patternCovered() lets a work order ask only within AOS_NETWORK_ALLOW_MAX", () => {
  const ceiling = ["pypi.org", "*.npmjs.org"];
  for (
    const entry of [
      "pypi.org",
      "registry.npmjs.org",
      "*.npmjs.org",
      "*.a.npmjs.org",
    ]
  ) {
    assert.ok(patternCovered(entry, ceiling), entry);
  }
  for (const entry of ["npmjs.org", "*.org", "*.pypi.org", "evil.com"]) {
    assert.ok(!patternCovered(entry, ceiling), entry);
  }
  assert.ok(patternCovered("*.anything.example", ["*"]));
  assert.ok(!patternCovered("pypi.org", []));
});
