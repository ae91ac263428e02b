/**
 * Reads a /metrics answer with the Prometheus project's own text-format
 * parser (`prometheus_client.parser`, Debian's python3-prometheus-client,
 * installed by scripts/install_test_deps.sh), so tests check what a scraper
 * reads, not our own idea of the format. A text it refuses fails the test.
 */

/** One sample as the parser gives it. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape: samples, and each family's type. */
export interface Scrape {
  samples: Sample[];
  /** Family name (as the parser names it: counters without `_total`) → type. */
  types: Map<string, string>;
}

const PARSER = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"families": [], "samples": []}
for family in text_string_to_metric_families(sys.stdin.read()):
    out["families"].append([family.name, family.type])
    for s in family.samples:
        v = s.value
        out["samples"].append([s.name, s.labels, None if math.isnan(v) else ("+Inf" if v == math.inf else v)])
print(json.dumps(out))
`;

/** Parses Prometheus text; throws with the parser's complaint when it refuses it. */
export async function parseMetrics(text: string): Promise<Scrape> {
  // Debian's python, where its python3-prometheus-client is installed.
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", PARSER],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `The Prometheus parser refused the text: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    families: [string, string][];
    samples: [string, Record<string, string>, number | string | null][];
  };
  return {
    types: new Map(parsed.families),
    samples: parsed.samples.map(([name, labels, value]) => ({
      name,
      labels,
      value: value === "+Inf" ? Infinity : Number(value),
    })),
  };
}

/** The sum of the samples named `name` whose labels include `labels`; 0 when none. */
export function sample(
  scrape: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number {
  return scrape.samples.filter((s) =>
    s.name === name &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  ).reduce((sum, s) => sum + s.value, 0);
}

/** The observation count of histogram `name` over the series whose labels include `labels`. */
export function observations(
  scrape: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number {
  return sample(scrape, `${name}_count`, labels);
}

/** GETs `url`/metrics with `token` and parses it; throws on a non-200. */
export async function scrape(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`GET /metrics answered ${res.status}: ${text}`);
  }
  return await parseMetrics(text);
}
