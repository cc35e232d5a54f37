/**
 * Real OpenTelemetry SDK pipelines (traces, metrics, logs) whose exporters count and drop what
 * they receive: every contestant pays the SDK's real cost (span creation, batching, export
 * hand-off) but nothing touches the network.
 */
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  AggregationTemporality,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";

/** What the dropping exporters have seen since the last {@link Counts.reset}. */
export class Counts {
  spans = 0;
  spanAttributes = 0;
  logRecords = 0;
  logAttributes = 0;
  /** Data points in the metric exports (cumulative: every series seen so far, per export). */
  metricPoints = 0;
  /** Trace ids seen; only filled while `trackTraces` is on (census runs), to keep timing runs lean. */
  traceIds = new Set<string>();
  trackTraces = false;

  reset(): void {
    this.spans = 0;
    this.spanAttributes = 0;
    this.logRecords = 0;
    this.logAttributes = 0;
    this.metricPoints = 0;
    this.traceIds.clear();
  }
}

class CountingSpanExporter implements SpanExporter {
  constructor(private readonly counts: Counts) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const c = this.counts;
    c.spans += spans.length;
    for (const s of spans) {
      c.spanAttributes += Object.keys(s.attributes).length;
      if (c.trackTraces) c.traceIds.add(s.spanContext().traceId);
    }
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

class CountingLogExporter implements LogRecordExporter {
  constructor(private readonly counts: Counts) {}
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.counts.logRecords += records.length;
    for (const r of records) this.counts.logAttributes += Object.keys(r.attributes).length;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

class CountingMetricExporter implements PushMetricExporter {
  constructor(private readonly counts: Counts) {}
  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    for (const sm of metrics.scopeMetrics) {
      for (const m of sm.metrics) this.counts.metricPoints += m.dataPoints.length;
    }
    done({ code: ExportResultCode.SUCCESS });
  }
  selectAggregationTemporality(): AggregationTemporality {
    // Cumulative, the SDK default and what Prometheus needs: the record path users pay.
    return AggregationTemporality.CUMULATIVE;
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** The three providers every contestant shares, and their counters. */
export interface Telemetry {
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  counts: Counts;
  /** Pushes everything buffered through the dropping exporters. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Builds the pipelines with SDK defaults (batch size 512, queue 2048) and registers the tracer
 * provider globally (context manager included): OpenLLMetry-JS and Langfuse take the global one.
 * `register: false` leaves the globals alone (a second set of pipelines in the same process).
 */
export function createTelemetry(options: { register?: boolean } = {}): Telemetry {
  const counts = new Counts();
  const tracerProvider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new CountingSpanExporter(counts))],
  });
  if (options.register !== false) tracerProvider.register();
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new CountingMetricExporter(counts),
        // Long interval: the bench exports metrics only when it asks (census), as a 60 s
        // production interval would do over a run this short.
        exportIntervalMillis: 3_600_000,
        exportTimeoutMillis: 30_000,
      }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: new CountingLogExporter(counts) })],
  });
  return {
    tracerProvider,
    meterProvider,
    loggerProvider,
    counts,
    async flush() {
      await Promise.all([
        tracerProvider.forceFlush(),
        meterProvider.forceFlush(),
        loggerProvider.forceFlush(),
      ]);
    },
    async shutdown() {
      await Promise.all([
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
        loggerProvider.shutdown(),
      ]);
    },
  };
}

/**
 * Removes environment settings that would change what is measured: LangSmith tracing (adds its
 * own tracer to every run), content capture for our handler (the bench sets it per contestant),
 * OTEL_BSP_* batch overrides and OTEL_SDK_DISABLED.
 */
export function isolateEnvironment(): void {
  for (const key of Object.keys(process.env)) {
    if (
      /^(LANGCHAIN|LANGSMITH)_/.test(key) ||
      key.startsWith("OTEL_BSP_") ||
      key.startsWith("OTEL_BLRP_") ||
      key === "OTEL_SDK_DISABLED" ||
      key === "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" ||
      key === "TRACELOOP_TRACE_CONTENT"
    ) {
      delete process.env[key];
    }
  }
}
