/**
 * Generated malformed requests over every route of the API, from a seeded
 * generator (a failure names its seed and request, so it can be replayed).
 * Used by tests/api_fuzz_test.ts and the memory bench.
 */

/** One generated request. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Sent as a page on another site would: must never be answered 2xx. */
  hostile?: boolean;
  /** What it is, for a failure message. */
  label: string;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();

/** Builds requests for `repo` (a repository the service accepts) from `random`. */
export function fuzzRequests(
  random: () => number,
  opts: { repo: string; knownRunId: string; count: number },
): FuzzRequest[] {
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * max);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const text = (n: number) =>
    Array.from({ length: n }, () =>
      pick([
        "a",
        "/",
        "%",
        "%2F",
        "..",
        "\u00e9",
        "\u{1F600}",
        "?",
        "#",
        "&",
        "=",
        ";",
        " ",
        "\\",
        "%00",
        "%ZZ",
        "\uFEFF",
        "-",
      ])).join("");
  const ids = () =>
    pick([
      opts.knownRunId,
      "nope",
      "x".repeat(int(5000)),
      encodeURIComponent(text(int(40))),
      "%E0%A4%A",
      "..%2F..%2Fetc",
      "%00",
      opts.knownRunId + "x",
      "",
    ]);
  const goodMd =
    `---\nrepo: ${opts.repo}\nmax_iterations: 1\n---\n\nFuzz task ${
      int(1e9)
    }\n`;
  const mutate = (source: string): Uint8Array => {
    const out = [...enc.encode(source)];
    for (let i = int(6); i > 0; i--) {
      const at = int(out.length + 1);
      switch (int(4)) {
        case 0:
          out.splice(at, 1);
          break;
        case 1:
          out.splice(at, 0, int(256));
          break;
        case 2:
          out.splice(
            at,
            0,
            ...enc.encode(pick(["---", "\n", ": ", "\uFEFF", "{", "[", "- "])),
          );
          break;
        default:
          out[at] = int(256);
      }
    }
    return new Uint8Array(out);
  };
  const jsonBodies = (): Uint8Array =>
    pick([
      () => enc.encode(""),
      () => enc.encode("{not json"),
      () => enc.encode("[]"),
      () => enc.encode("null"),
      () => enc.encode(JSON.stringify({ work_order_md: goodMd })),
      () =>
        enc.encode(
          JSON.stringify({ work_order_md: goodMd, max_iterations: 99 }),
        ),
      () => enc.encode(JSON.stringify({ work_order_md: int(9) })),
      () =>
        enc.encode(JSON.stringify({
          repo: opts.repo,
          task: text(int(50)),
          [pick(["max_iterations", "env", "title", "push_branch", "bogus"])]:
            pick([
              99,
              -1,
              "x",
              null,
              {},
              [],
              "HEAD",
              "refs/heads/x",
              text(300),
            ]),
        })),
      () =>
        enc.encode(
          JSON.stringify({ repo: opts.repo, task: "t".repeat(int(2_000_000)) }),
        ),
      () => mutate(JSON.stringify({ work_order_md: goodMd })),
      () =>
        enc.encode(JSON.stringify({ work_order_md: "x".repeat(2_200_000) })),
      () => bytes(int(200)),
      // Nested far past any work order's depth.
      () =>
        enc.encode(
          `{"repo":"${opts.repo}","task":"t","env":${
            '{"a":'.repeat(20_000 + int(100_000))
          }1${"}".repeat(20)}`,
        ),
      () => enc.encode("[".repeat(int(200_000))),
      // A byte that is not UTF-8 inside the work order's text.
      () => {
        const json = enc.encode(JSON.stringify({ work_order_md: goodMd }));
        const at = 20 + int(json.length - 22);
        return new Uint8Array([
          ...json.subarray(0, at),
          pick([0xff, 0xc3, 0xed, 0x80]),
          ...json.subarray(at),
        ]);
      },
    ])();
  const multipartBody = (boundary: string): Uint8Array =>
    pick([
      () =>
        enc.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="work_order_md"\r\n\r\n${goodMd}\r\n--${boundary}--\r\n`,
        ),
      () => {
        const head = enc.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="work_order_md"; filename="t.md"\r\n\r\n`,
        );
        const tail = enc.encode(`\r\n--${boundary}--\r\n`);
        return new Uint8Array([...head, ...mutate(goodMd), ...tail]);
      },
      () =>
        mutate(
          `--${boundary}\r\nContent-Disposition: form-data; name="work_order_md"\r\n\r\n${goodMd}\r\n--${boundary}--\r\n`,
        ),
      () => bytes(int(300)),
      () => enc.encode(`--${boundary}\r\n\r\n`),
      () => enc.encode(""),
    ])();
  const contentTypes = [
    "application/json",
    "application/json;",
    "application/json; charset=latin1",
    "application/json; charset=utf-8",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=b0und",
    "multipart/form-data",
    'multipart/form-data; boundary="b0und"',
    "application/x-www-form-urlencoded",
    "text/plain",
    "",
    "/",
    "a/b/c",
    text(int(30)),
  ];
  // One request of each answer the test expects to see first, so that every
  // seed reaches them (the random ones below may not: a 2 MiB body that is
  // also cross-site or badly typed is refused for that before its size).
  const json = { "content-type": "application/json" };
  const anchor = (
    want: number,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): FuzzRequest => ({
    method,
    path,
    headers,
    ...(body === undefined ? {} : { body: enc.encode(body) }),
    ...(headers.origin ? { hostile: true } : {}),
    label: `anchor for ${want}: ${method} ${path}`,
  });
  const anchors = [
    anchor(
      201,
      "POST",
      "/runs",
      json,
      JSON.stringify({ work_order_md: goodMd }),
    ),
    anchor(400, "POST", "/runs", json, "{not json"),
    anchor(
      403,
      "POST",
      "/runs",
      { ...json, origin: "https://evil.example" },
      "{}",
    ),
    anchor(404, "GET", "/runs/nope", {}),
    anchor(
      413,
      "POST",
      "/runs",
      json,
      JSON.stringify({ work_order_md: "x".repeat(2_200_000) }),
    ),
    anchor(415, "POST", "/runs", { "content-type": "text/plain" }, "{}"),
    anchor(
      422,
      "POST",
      "/runs",
      json,
      JSON.stringify({ work_order_md: int(9) }),
    ),
  ];
  const out: FuzzRequest[] = anchors.slice(0, opts.count);
  for (let n = out.length; n < opts.count; n++) {
    const headers: Record<string, string> = {};
    if (random() < 0.3) {
      headers["idempotency-key"] = pick(["k", "x".repeat(int(4000)), text(10)]);
    }
    if (random() < 0.2) {
      headers["last-event-id"] = pick(["0", "x".repeat(int(4000)), text(10)]);
    }
    if (random() < 0.2) {
      headers["accept"] = pick([
        "text/event-stream",
        "*/*",
        "application/json",
      ]);
    }
    if (random() < 0.1) {
      headers["authorization"] = pick(["Bearer x", "Basic y", "Bearer"]);
    }
    // What a browser adds when a page on another site sends the request.
    const hostile = random() < 0.08;
    if (hostile) {
      Object.assign(
        headers,
        pick([
          { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
          { origin: "https://evil.example" },
          { origin: "null" },
          { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" },
          { origin: "http://localhost:1", "sec-fetch-site": "same-site" },
        ]),
      );
    }
    const route = int(10);
    let method = "GET";
    let path: string;
    let body: Uint8Array | undefined;
    if (route <= 2) {
      method = pick(["POST", "POST", "POST", "PUT", "GET"]);
      const type = pick(contentTypes);
      if (type !== "") headers["content-type"] = type;
      const form = route === 2 || type.startsWith("multipart") ||
        type.includes("urlencoded");
      path = form ? "/runs/submit" : "/runs";
      const boundary = /boundary="?([^";]*)/.exec(type)?.[1] ?? "b0und";
      body = method === "GET"
        ? undefined
        : type.includes("urlencoded")
        ? enc.encode(
          `work_order_md=${encodeURIComponent(goodMd)}${
            pick(["", "%FF", "&x=1", "%"])
          }`,
        )
        : type.startsWith("multipart")
        ? multipartBody(boundary)
        : jsonBodies();
    } else if (route === 3) {
      path = `/runs?${pick(["limit", "offset", "status", "x"])}=${
        pick([
          "0",
          "-1",
          "201",
          "abc",
          "1e3",
          "PENDING",
          "pending",
          text(8),
          "5",
        ])
      }`;
    } else if (route === 4) {
      path = `/runs/${ids()}${
        pick(["", "?consistency=strong", "?consistency=x", "?" + text(5)])
      }`;
    } else if (route === 5) {
      method = pick(["POST", "GET", "DELETE"]);
      path = `/runs/${ids()}/cancel`;
    } else if (route === 6) {
      path = `/runs/${ids()}/events${
        pick(["", "?after=" + text(int(80)), "?after=0"])
      }`;
    } else if (route === 7) {
      path = `/runs/${ids()}/events/stream${
        pick(["", "?after=" + "9".repeat(int(100))])
      }`;
    } else if (route === 8) {
      path = `/runs/${ids()}/artifacts${
        pick([
          "",
          "/diff.patch",
          "/summary.json",
          "/" + "n".repeat(int(4000)),
          "/" + encodeURIComponent(text(10)),
        ])
      }`;
    } else {
      path = pick([
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/docs",
        "/docs/x.js",
        "/" + text(int(50)),
        "//runs",
        "/runs/",
      ]);
      method = pick(["GET", "HEAD", "POST", "OPTIONS", "PATCH"]);
    }
    out.push({
      method,
      path,
      headers,
      ...(body ? { body } : {}),
      ...(hostile ? { hostile } : {}),
      label: `${method} ${path.slice(0, 120)} ${
        JSON.stringify(headers).slice(0, 200)
      } body=${body?.length ?? 0}B`,
    });
  }
  return out;
}
