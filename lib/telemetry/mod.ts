/** telemetry: Prometheus metrics and OpenTelemetry traces of runs. */
export { BoundedLabels, cleanLabel, OTHER_LABEL } from "./labels.ts";
export { type GaugeSources, Metrics } from "./metrics.ts";
export { currentRunScope, type RunScope, withRunScope } from "./scope.ts";
export { Telemetry, type TelemetryStore } from "./telemetry.ts";
export { type RunPart, runParts } from "./timeline.ts";
export {
  newTraceparent,
  partSpanId,
  type RunTrace,
  runTrace,
} from "./trace_ids.ts";
export { otlpTracesUrl, resourceAttributes } from "./otel_env.ts";
export { type SpanSpec, Tracing, type TracingOptions } from "./tracing.ts";
