/**
 * The one line `shutdown()` warns when something could not be delivered: per signal, what failed
 * to export since setup, what was still being exported when the shutdown bound ran out, what was
 * still queued, and what a full queue dropped.
 */
import type { ExportFailureTracker, QueueBound } from "./export-diagnostics.js";
import type { Signal } from "./options.js";

const UNIT: Record<Signal, string> = {
  traces: "spans",
  metrics: "metric collections",
  logs: "log records",
};

/**
 * The report, or undefined when everything was delivered in time.
 *
 * @param timedOutAfter the bound in ms, when shutdown returned without waiting for the exporters.
 */
export function undeliveredReport(
  trackers: readonly ExportFailureTracker[],
  bounds: readonly QueueBound[],
  timedOutAfter: number | undefined,
): string | undefined {
  const parts: string[] = [];
  for (const signal of ["traces", "metrics", "logs"] as const) {
    const u = trackers.find((t) => t.signal === signal)?.undelivered();
    const bound = bounds.find((b) => b.signal === signal);
    const counts: string[] = [];
    const unit = UNIT[signal];
    if (u && u.failed > 0) counts.push(`${u.failed} ${unit} failed to export`);
    if (u && u.inFlight > 0) counts.push(`${u.inFlight} ${unit} still being exported`);
    if (u && u.rejected > 0)
      counts.push(
        `${u.rejected} ${signal === "metrics" ? "data points" : unit} rejected by the receiver`,
      );
    if (bound && bound.queued > 0) counts.push(`${bound.queued} ${unit} still queued`);
    if (bound && bound.dropped > 0) counts.push(`${bound.dropped} ${unit} dropped (queue full)`);
    if (counts.length > 0) parts.push(`${signal}: ${counts.join(", ")}`);
  }
  const late =
    timedOutAfter === undefined
      ? ""
      : `shutdown() returned after its bound of ${timedOutAfter} ms (shutdownTimeoutMillis) without waiting for the exporters any longer. `;
  if (parts.length === 0) return late === "" ? undefined : late.trim();
  return `${late}Not delivered since setup: ${parts.join("; ")}.`;
}
