/**
 * OpenTelemetry traces of runs, exported over OTLP/HTTP by the OpenTelemetry
 * JS SDK (npm). Spans are written with explicit times and parents: a run's
 * trace id and root span come from its record (trace_ids.ts) and the parts'
 * span ids are derived from them, so spans written by different processes,
 * before and after a restart, land in one tree.
 */
import {
  type Context,
  context as otelContext,
  ROOT_CONTEXT,
  type SpanAttributes,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import {
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { RunTrace } from "./trace_ids.ts";

/** One span to write. */
export interface SpanSpec {
  trace: RunTrace;
  name: string;
  /** This span's id when it must be a known one (the run's root, a part); random otherwise. */
  spanId?: string;
  /** The parent's span id; null for the run's root span. */
  parentId: string | null;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  attributes: SpanAttributes;
  /** A failure, with what went wrong. */
  error?: string | null;
}

/** An id generator that hands out a chosen id for the next span (synchronously, see `Tracing.span`). */
class ChosenIds implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  nextTraceId: string | null = null;
  nextSpanId: string | null = null;

  generateTraceId(): string {
    const id = this.nextTraceId ?? this.#random.generateTraceId();
    this.nextTraceId = null;
    return id;
  }

  generateSpanId(): string {
    const id = this.nextSpanId ?? this.#random.generateSpanId();
    this.nextSpanId = null;
    return id;
  }
}

/** Where and as what this process exports its spans. */
export interface TracingOptions {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  url: string;
  serviceName: string;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  resource?: Record<string, string>;
  /** An exporter instead of OTLP/HTTP (tests). */
  exporter?: SpanExporter;
}

/** The run tracer of one process. */
export class Tracing {
  readonly #ids = new ChosenIds();
  readonly #provider: TracerProvider;
  readonly #tracer;

  constructor(opts: TracingOptions) {
    const exporter = opts.exporter ?? new OTLPTraceExporter({ url: opts.url });
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        ...opts.resource,
        "service.name": opts.serviceName,
      }),
      idGenerator: this.#ids,
      spanProcessors: [
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 }),
      ],
    });
    this.#tracer = this.#provider.getTracer("aos");
  }

  /** Writes one finished span. */
  span(spec: SpanSpec): void {
    let parent: Context = ROOT_CONTEXT;
    if (spec.parentId !== null) {
      parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: spec.trace.traceId,
        spanId: spec.parentId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
    } else {
      this.#ids.nextTraceId = spec.trace.traceId;
    }
    this.#ids.nextSpanId = spec.spanId ?? null;
    const span = otelContext.with(
      parent,
      () =>
        this.#tracer.startSpan(spec.name, {
          kind: SpanKind.INTERNAL,
          startTime: new Date(spec.start),
          attributes: spec.attributes,
        }, parent),
    );
    // Ids not taken (a sampler dropped the span) must not leak into the next one.
    this.#ids.nextTraceId = null;
    this.#ids.nextSpanId = null;
    if (spec.error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
    }
    span.end(new Date(Math.max(spec.start, spec.end)));
  }

  /** Sends the spans written so far. */
  async flush(): Promise<void> {
    await this.#provider.forceFlush();
  }

  /** Sends what is left and stops. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
