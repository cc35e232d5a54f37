/**
 * Builds the official OTLP/HTTP exporters (`@opentelemetry/exporter-{trace,metrics,logs}-otlp-http`,
 * or `-otlp-proto` for `http/protobuf`) from a {@link ResolvedSignalConfig}, plus the span/log
 * processors and the metric reader that feed them.
 *
 * The configuration is resolved once, by `resolveTelemetryConfig()`. The exporters would otherwise
 * read `OTEL_EXPORTER_OTLP_*` again on their own and *merge* `OTEL_EXPORTER_OTLP_HEADERS` into
 * every signal's headers (so a tenant header meant for Loki would reach Tempo). They read those
 * variables synchronously in their constructors only, so the constructors run with those
 * variables hidden ({@link withoutOtlpEnv}); the TLS certificate variables
 * (`OTEL_EXPORTER_OTLP_*CERTIFICATE`, `*CLIENT_KEY`) stay visible and keep working.
 *
 * `setupTelemetry()` and the doctor both build their exporters here, so the doctor checks exactly
 * what setup sends.
 */
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OTLPMetricExporterJson,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPLogExporter as OTLPLogExporterJson } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as OTLPLogExporterProto } from "@opentelemetry/exporter-logs-otlp-proto";
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import {
  BatchLogRecordProcessor,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import type { ResolvedSignalConfig } from "./config.js";

/** Matches the variables resolved by `resolveTelemetryConfig()` (not the TLS certificate ones). */
const RESOLVED_OTLP_ENV =
  /^OTEL_EXPORTER_OTLP_(?:(?:TRACES|METRICS|LOGS)_)?(?:ENDPOINT|HEADERS|TIMEOUT|COMPRESSION|PROTOCOL)$/;

/**
 * Runs `construct` with the `OTEL_EXPORTER_OTLP_{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION,PROTOCOL}`
 * variables (generic and per signal) removed from `process.env`, and restores them right after.
 * Synchronous, so no other code can observe the gap.
 */
function withoutOtlpEnv<T>(construct: () => T): T {
  const hidden: Array<[string, string]> = [];
  for (const key of Object.keys(process.env)) {
    const value = process.env[key];
    if (value !== undefined && RESOLVED_OTLP_ENV.test(key)) {
      hidden.push([key, value]);
      delete process.env[key];
    }
  }
  try {
    return construct();
  } finally {
    for (const [key, value] of hidden) process.env[key] = value;
  }
}

/** Receives the count and message of a partial-success answer (rejected spans, points, records). */
export type RejectionListener = (rejected: number, message: string) => void;

interface ResponseHandler {
  handleResponse(response: unknown): void;
}

/**
 * Calls `onRejected` for every answer with a `partialSuccess` (HTTP 200, but some items
 * rejected: the exporters only mention it through the diag logger, off by default). It wraps the
 * exporter's response handler, the slot the OTLP exporters keep for exactly this; the slot is not
 * public API, so when it is missing nothing is wrapped (test/setup-partial-success.test.ts checks
 * it is found with the bundled exporters).
 */
function observePartialSuccess<T>(exporter: T, onRejected: RejectionListener | undefined): T {
  const delegate = (exporter as { _delegate?: { _responseHandler?: ResponseHandler } })._delegate;
  const inner = delegate?._responseHandler;
  if (!onRejected || !delegate || typeof inner?.handleResponse !== "function") return exporter;
  delegate._responseHandler = {
    handleResponse(response: unknown): void {
      try {
        const partial = (response as { partialSuccess?: Record<string, unknown> } | null)
          ?.partialSuccess;
        if (partial && typeof partial === "object") {
          const count = Number(
            partial.rejectedSpans ?? partial.rejectedDataPoints ?? partial.rejectedLogRecords ?? 0,
          );
          const message = typeof partial.errorMessage === "string" ? partial.errorMessage : "";
          if (count > 0 || message !== "") onRejected(Number.isFinite(count) ? count : 0, message);
        }
      } catch {}
      inner.handleResponse(response);
    },
  };
  return exporter;
}

function exporterOptions(cfg: ResolvedSignalConfig) {
  if (cfg.url === undefined) throw new Error(`internal: ${cfg.signal} has no URL in otlp mode`);
  return {
    url: cfg.url,
    headers: { ...cfg.headers },
    timeoutMillis: cfg.timeoutMillis,
    // The exporters' CompressionAlgorithm enum has exactly these string values.
    compression: cfg.compression as never,
  };
}

/** The OTLP/HTTP span exporter for `cfg` (`mode === "otlp"`). */
export function createOtlpSpanExporter(
  cfg: ResolvedSignalConfig,
  onRejected?: RejectionListener,
): SpanExporter {
  const options = exporterOptions(cfg);
  const exporter = withoutOtlpEnv(() =>
    cfg.protocol === "http/protobuf"
      ? new OTLPTraceExporterProto(options)
      : new OTLPTraceExporterJson(options),
  );
  return observePartialSuccess(exporter, onRejected);
}

/**
 * The OTLP/HTTP metric exporter for `cfg` (`mode === "otlp"`), with CUMULATIVE temporality:
 * Prometheus and Thanos Receive reject delta.
 */
export function createOtlpMetricExporter(
  cfg: ResolvedSignalConfig,
  onRejected?: RejectionListener,
): PushMetricExporter {
  const options = {
    ...exporterOptions(cfg),
    temporalityPreference: AggregationTemporalityPreference.CUMULATIVE,
  };
  const exporter = withoutOtlpEnv(() =>
    cfg.protocol === "http/protobuf"
      ? new OTLPMetricExporterProto(options)
      : new OTLPMetricExporterJson(options),
  );
  return observePartialSuccess(exporter, onRejected);
}

/** The OTLP/HTTP log record exporter for `cfg` (`mode === "otlp"`). */
export function createOtlpLogExporter(
  cfg: ResolvedSignalConfig,
  onRejected?: RejectionListener,
): LogRecordExporter {
  const options = exporterOptions(cfg);
  const exporter = withoutOtlpEnv(() =>
    cfg.protocol === "http/protobuf"
      ? new OTLPLogExporterProto(options)
      : new OTLPLogExporterJson(options),
  );
  return observePartialSuccess(exporter, onRejected);
}

/** Processor settings shared by spans and log records. */
export interface ProcessorSettings {
  /** Simple (export each record at once) instead of batch processors. */
  disableBatch: boolean;
  /** Bound of the batch queue. */
  maxQueueSize: number;
}

/** A span processor feeding `exporter`: simple or batch (bounded by `maxQueueSize`). */
export function createSpanProcessor(
  exporter: SpanExporter,
  settings: ProcessorSettings,
): SpanProcessor {
  if (settings.disableBatch) return new SimpleSpanProcessor(exporter);
  return new BatchSpanProcessor(exporter, {
    maxQueueSize: settings.maxQueueSize,
    maxExportBatchSize: Math.min(512, settings.maxQueueSize),
  });
}

/** A log record processor feeding `exporter`: simple or batch (bounded by `maxQueueSize`). */
export function createLogRecordProcessor(
  exporter: LogRecordExporter,
  settings: ProcessorSettings,
): LogRecordProcessor {
  // sdk-logs >= 0.220 takes an options object; the positional form fails only at emit time.
  if (settings.disableBatch) return new SimpleLogRecordProcessor({ exporter });
  return new BatchLogRecordProcessor({
    exporter,
    maxQueueSize: settings.maxQueueSize,
    maxExportBatchSize: Math.min(512, settings.maxQueueSize),
  });
}

/** The periodic reader pushing to `exporter` every `exportIntervalMillis`. */
export function createMetricReader(
  exporter: PushMetricExporter,
  exportIntervalMillis: number,
  exportTimeoutMillis: number,
): PeriodicExportingMetricReader {
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis,
    // The reader requires timeout <= interval.
    exportTimeoutMillis: Math.min(exportTimeoutMillis, exportIntervalMillis),
  });
}
