/**
 * A minimal OTLP/HTTP receiver on loopback (JSON encoding, what
 * @opentelemetry/exporter-trace-otlp-http sends): keeps every span it is sent.
 */

/** One received span, flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  attributes: Record<string, string | number | boolean>;
  startMs: number;
  endMs: number;
  error: boolean;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

/** Starts the receiver; `close()` stops it. */
export function startOtlpReceiver(): {
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
} {
  const spans: ReceivedSpan[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method !== "POST" || url.pathname !== "/v1/traces") {
        return new Response("not found", { status: 404 });
      }
      const body = await req.json();
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes: ReceivedSpan["attributes"] = {};
            for (const a of s.attributes ?? []) {
              const v: OtlpValue = a.value ?? {};
              attributes[a.key] = v.stringValue ?? v.boolValue ??
                v.doubleValue ?? Number(v.intValue);
            }
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || null,
              name: s.name,
              attributes,
              startMs: Number(BigInt(s.startTimeUnixNano) / 1_000_000n),
              endMs: Number(BigInt(s.endTimeUnixNano) / 1_000_000n),
              error: s.status?.code === 2,
            });
          }
        }
      }
      return Response.json({});
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    spans,
    close: () => server.shutdown(),
  };
}
