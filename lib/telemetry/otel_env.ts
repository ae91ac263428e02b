/**
 * The standard OpenTelemetry environment variables AOS reads itself (the
 * exporter reads the rest: OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION).
 * Kept apart from the SDK so reading the configuration loads none of it.
 */

/** The OTLP/HTTP traces URL the standard variables name, or null when tracing is off. */
export function otlpTracesUrl(
  env: Record<string, string | undefined>,
): string | null {
  const read = (name: string) => env[name]?.trim() || null;
  if (read("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return null;
  if (read("OTEL_TRACES_EXPORTER")?.toLowerCase() === "none") return null;
  const traces = read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (traces) return traces;
  const base = read("OTEL_EXPORTER_OTLP_ENDPOINT");
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : null;
}

/** OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values percent-encoded). */
export function resourceAttributes(
  raw: string | undefined,
): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",")) {
    const i = pair.indexOf("=");
    if (i <= 0) continue;
    try {
      attributes[pair.slice(0, i).trim()] = decodeURIComponent(
        pair.slice(i + 1).trim(),
      );
    } catch {
      // A malformed value is skipped, as the SDK does.
    }
  }
  return attributes;
}
