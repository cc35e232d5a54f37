/**
 * The startup endpoint check: right after `setupTelemetry()`, one **empty** OTLP export request
 * per configured OTLP endpoint (`{"resourceSpans":[]}`, `{"resourceLogs":[]}`, a metrics request
 * with an empty resource and no metric): valid OTLP that stores nothing. It goes through the
 * same OpenTelemetry exporter the signal uses (same URL, headers, encoding, compression, TLS
 * settings), so a 404 (a traces-only backend asked for metrics), a 401/403 (a missing tenant
 * header), a refused connection, a TLS or DNS problem is warned about within seconds, per signal,
 * with the same hints as a failed export; a metrics problem would otherwise show a minute later.
 *
 * Never blocks (timers and requests run in the background) and never throws. A 400 or 413 is not
 * reported: they are about a payload, and the empty one proves nothing either way.
 * Off with `startupCheck: false` or `LANGCHAIN_OPENTELEMETRY_STARTUP_CHECK=false`.
 */
import { emptyResource } from "@opentelemetry/resources";
import type { ExportResult } from "@opentelemetry/core";
import type { ResolvedSignalConfig, ResolvedTelemetryConfig } from "./config.js";
import type { ExportFailureTracker } from "./export-diagnostics.js";
import {
  createOtlpLogExporter,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
} from "./exporters.js";

/** Longest wait for one endpoint's answer, retries included (so a refused port is known within seconds). */
export const STARTUP_CHECK_TIMEOUT_MILLIS = 3000;

/** Statuses that say nothing about an empty request's endpoint. */
const PAYLOAD_STATUSES = new Set([400, 413]);

/**
 * Starts the check in the background; returns the function that stops it (at shutdown: no
 * warning after the pipeline is gone).
 */
export function startEndpointCheck(
  config: ResolvedTelemetryConfig,
  trackers: readonly ExportFailureTracker[],
): () => void {
  let stopped = false;
  const timer = setTimeout(() => {
    for (const cfg of [config.traces, config.metrics, config.logs]) {
      const tracker = trackers.find((t) => t.signal === cfg.signal);
      if (!cfg.enabled || cfg.mode !== "otlp" || cfg.url === undefined || !tracker) continue;
      const timeoutMillis = Math.min(cfg.timeoutMillis, STARTUP_CHECK_TIMEOUT_MILLIS);
      void checkEndpoint({ ...cfg, timeoutMillis }).then((error) => {
        if (stopped || error === undefined || PAYLOAD_STATUSES.has(statusOf(error))) return;
        tracker.recordCheckFailure(error, timeoutMillis);
      });
    }
  }, 0);
  // The check never keeps a process alive that has nothing else to do.
  timer.unref?.();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Sends the empty request; resolves to the export error, or undefined when it was accepted. */
export function checkEndpoint(cfg: ResolvedSignalConfig): Promise<unknown> {
  return new Promise<unknown>((resolve) => {
    const done = (result: ExportResult) =>
      resolve(result.code === 0 ? undefined : (result.error ?? new Error("export failed")));
    try {
      if (cfg.signal === "traces") {
        const exporter = createOtlpSpanExporter(cfg);
        exporter.export([], settle(exporter, done));
      } else if (cfg.signal === "logs") {
        const exporter = createOtlpLogExporter(cfg);
        exporter.export([], settle(exporter, done));
      } else {
        const exporter = createOtlpMetricExporter(cfg);
        // An empty resource too: a receiver may turn resource attributes into a series (target_info).
        exporter.export({ resource: emptyResource(), scopeMetrics: [] }, settle(exporter, done));
      }
    } catch (error) {
      resolve(error);
    }
  });
}

function settle(
  exporter: { shutdown(): Promise<void> },
  done: (result: ExportResult) => void,
): (result: ExportResult) => void {
  return (result) => {
    void exporter.shutdown().catch(() => undefined);
    done(result);
  };
}

function statusOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : 0;
}
