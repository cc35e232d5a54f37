/**
 * The doctor's one export per signal: by default the startup check's empty request (stores
 * nothing); with `sendSample`, one small span, metric point or log record (stored, and the
 * doctor says so). Both through the exporters `setupTelemetry()` builds.
 */
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import type { ResolvedSignalConfig, ResolvedTelemetryConfig } from "./config.js";
import {
  createOtlpLogExporter,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
} from "./exporters.js";
import { checkEndpoint } from "./startup-check.js";

export interface ExportOutcome {
  ok: boolean;
  errorStatus?: number;
  errorBody?: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Exports one tiny span, metric point or log record with the exporter `setupTelemetry()` builds for
 * the signal (same URL, headers, encoding and compression). Only with `sendSample`: it is stored.
 */
export async function exportSample(
  config: ResolvedTelemetryConfig,
  signalConfig: ResolvedSignalConfig,
): Promise<ExportOutcome> {
  const resource = resourceFromAttributes(config.resourceAttributes);
  switch (signalConfig.signal) {
    case "traces": {
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        resource,
        spanProcessors: [new SimpleSpanProcessor(memory)],
      });
      provider
        .getTracer("langchain-opentelemetry")
        .startSpan("langchain-opentelemetry doctor")
        .end();
      const exporter = createOtlpSpanExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(memory.getFinishedSpans(), cb));
    }
    case "metrics": {
      const reader = new OnDemandReader();
      const provider = new MeterProvider({ resource, readers: [reader] });
      provider
        .getMeter("langchain-opentelemetry")
        .createCounter("langchain_opentelemetry.doctor.checks")
        .add(1);
      const { resourceMetrics } = await reader.collect();
      const exporter = createOtlpMetricExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(resourceMetrics, cb));
    }
    case "logs": {
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor({ exporter: memory })],
      });
      provider
        .getLogger("langchain-opentelemetry")
        .emit({ severityNumber: 9, severityText: "INFO", body: "langchain-opentelemetry doctor" });
      const exporter = createOtlpLogExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(memory.getFinishedLogRecords(), cb));
    }
  }
}

/** A metric reader that only collects on demand, so the doctor controls the single export. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface ExportResultLike {
  code: number;
  error?: Error & { code?: number | string; data?: string };
}

/**
 * Sends the startup check's empty export request (valid OTLP, stores nothing) with the same
 * exporter. The default: the doctor writes nothing into the backends.
 */
export async function exportEmpty(signalConfig: ResolvedSignalConfig): Promise<ExportOutcome> {
  return outcomeOf(await checkEndpoint(signalConfig));
}

/** Turns the exporter's result callback (the only place failures are reported) into an outcome. */
function settle(
  exporter: { shutdown(): Promise<void> },
  run: (cb: (result: ExportResultLike) => void) => void,
): Promise<ExportOutcome> {
  return new Promise<ExportOutcome>((resolve) => {
    run((result) => {
      void exporter.shutdown().catch(() => undefined);
      if (result.code === 0) return resolve({ ok: true });
      resolve(outcomeOf(result.error ?? new Error("export failed")));
    });
  });
}

function outcomeOf(error: unknown): ExportOutcome {
  if (error === undefined) return { ok: true };
  const e = error as { code?: unknown; data?: unknown; message?: unknown };
  // OTLPExporterError carries the HTTP status as a number and the response body as `data`;
  // network and TLS errors carry Node's string code (ECONNREFUSED, CERT_HAS_EXPIRED, ...).
  return {
    ok: false,
    errorStatus: typeof e.code === "number" ? e.code : undefined,
    errorBody: typeof e.data === "string" ? e.data : undefined,
    errorCode: typeof e.code === "string" ? e.code : undefined,
    errorMessage: (typeof e.message === "string" && e.message) || "export failed",
  };
}
