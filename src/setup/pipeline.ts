/**
 * The three providers of `setupTelemetry()`, each signal's exporter wrapped so its failures are
 * reported ({@link ExportFailureTracker}) and, for a batch queue, bounded ({@link QueueBound}).
 */
import { defaultResource, resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import { NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { MeterProvider, type MetricReader } from "@opentelemetry/sdk-metrics";
import { LoggerProvider, type LogRecordProcessor } from "@opentelemetry/sdk-logs";
// The core through the package's own name (external in the build): one copy of the handler and of
// its context keys, whether an app imports the root, the setup entry, or both.
import { AssociationLogRecordProcessor, AssociationSpanProcessor } from "langchain-opentelemetry";
import type { ResolvedSignalConfig, ResolvedTelemetryConfig } from "./config.js";
import { createConsoleExporters, type ConsoleExporters } from "./console-exporters.js";
import {
  createLogRecordProcessor,
  createMetricReader,
  createOtlpLogExporter,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
  createSpanProcessor,
  type RejectionListener,
} from "./exporters.js";
import {
  boundLogRecordProcessor,
  boundSpanProcessor,
  ExportFailureTracker,
  QueueBound,
  withExportDiagnostics,
  type AnyExporter,
  type WarningSink,
} from "./export-diagnostics.js";

/** The providers, plus the per-signal accounting read at shutdown. */
export interface Pipeline {
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  /** The resource of all three (default, environment-detected and configured attributes). */
  resource: Resource;
  /** One per enabled signal. */
  trackers: ExportFailureTracker[];
  /** One per batch queue (none with `disableBatch`). */
  bounds: QueueBound[];
}

/** Builds the providers for `config`; nothing is registered globally here. */
export function buildPipeline(
  config: ResolvedTelemetryConfig,
  maxQueueSize: number,
  warn: WarningSink,
): Pipeline {
  const resource: Resource = defaultResource().merge(
    resourceFromAttributes(config.resourceAttributes),
  );
  const parts = new Parts(config, maxQueueSize, warn);

  // Association properties (withAssociationProperties) first: they reach every span and record
  // started in their scope, other instrumentations' too, before any exporter sees them (a record
  // is read-only once the processors after it saw it).
  const spanProcessors: SpanProcessor[] = [new AssociationSpanProcessor()];
  if (config.traces.enabled) {
    const bound = parts.bound(config.traces);
    const exporter = parts.exporter(
      config.traces,
      (c) => c.spanExporter,
      createOtlpSpanExporter,
      bound,
    );
    const processor = createSpanProcessor(exporter, parts.processorSettings);
    spanProcessors.push(bound ? boundSpanProcessor(processor, bound) : processor);
  }
  const readers: MetricReader[] = [];
  if (config.metrics.enabled) {
    const exporter = parts.exporter(
      config.metrics,
      (c) => c.metricExporter,
      createOtlpMetricExporter,
    );
    readers.push(
      createMetricReader(exporter, config.metricExportIntervalMillis, config.metrics.timeoutMillis),
    );
  }
  const logProcessors: LogRecordProcessor[] = [new AssociationLogRecordProcessor()];
  if (config.logs.enabled) {
    const bound = parts.bound(config.logs);
    const exporter = parts.exporter(
      config.logs,
      (c) => c.logExporter,
      createOtlpLogExporter,
      bound,
    );
    const processor = createLogRecordProcessor(exporter, parts.processorSettings);
    logProcessors.push(bound ? boundLogRecordProcessor(processor, bound) : processor);
  }
  return {
    tracerProvider: new NodeTracerProvider({ resource, spanProcessors }),
    meterProvider: new MeterProvider({ resource, readers }),
    loggerProvider: new LoggerProvider({ resource, processors: logProcessors }),
    resource,
    trackers: parts.trackers,
    bounds: parts.bounds,
  };
}

/** Makes each signal's diagnosed exporter and queue bound, remembering them. */
class Parts {
  readonly trackers: ExportFailureTracker[] = [];
  readonly bounds: QueueBound[] = [];
  readonly processorSettings: { disableBatch: boolean; maxQueueSize: number };
  private consoleExporters: ConsoleExporters | undefined;

  constructor(
    private readonly config: ResolvedTelemetryConfig,
    private readonly maxQueueSize: number,
    private readonly warn: WarningSink,
  ) {
    this.processorSettings = { disableBatch: config.disableBatch, maxQueueSize };
  }

  /**
   * The signal's exporter (the instance given, the console one or OTLP), wrapped so its failures
   * are reported and, for a bounded queue, what it takes leaves the queue's accounting.
   */
  exporter<T extends AnyExporter<never>>(
    cfg: ResolvedSignalConfig,
    fromConsole: (c: ConsoleExporters) => T,
    createOtlp: (cfg: ResolvedSignalConfig, onRejected: RejectionListener) => T,
    bound?: QueueBound,
  ): T {
    const tracker = new ExportFailureTracker({
      signal: cfg.signal,
      url: cfg.mode === "otlp" ? cfg.url : undefined,
      timeoutMillis: cfg.timeoutMillis,
      warn: this.warn,
      secrets: Object.values(cfg.headers),
    });
    this.trackers.push(tracker);
    const raw =
      cfg.mode === "custom"
        ? (cfg.exporter as T)
        : cfg.mode === "console"
          ? fromConsole((this.consoleExporters ??= createConsoleExporters()))
          : createOtlp(cfg, (count, message) => tracker.recordRejected(count, message));
    return withExportDiagnostics(raw, tracker, bound && ((n) => bound.handedOver(n)));
  }

  /** A bound in front of a batch queue (none for simple processors, which keep no queue). */
  bound(cfg: ResolvedSignalConfig): QueueBound | undefined {
    if (this.config.disableBatch) return undefined;
    const b = new QueueBound(cfg.signal, this.maxQueueSize, this.warn);
    this.bounds.push(b);
    return b;
  }
}
