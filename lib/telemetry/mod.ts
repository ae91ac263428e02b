/** telemetry: Prometheus metrics and OpenTelemetry traces of runs. */
export { Metrics } from "./metrics.ts";
export { otlpTracesUrl, resourceAttributes } from "./otel_env.ts";
export { withRunScope } from "./scope.ts";
export { Telemetry } from "./telemetry.ts";
export { newTraceparent } from "./trace_ids.ts";
export { Tracing } from "./tracing.ts";
