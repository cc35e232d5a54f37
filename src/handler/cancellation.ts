/**
 * Cancellation is its own outcome, not a failure. A run cancelled because its consumer stopped
 * reading a stream (`consumer_stopped`) or because it was aborted (`aborted`: an `AbortSignal`, or
 * LangGraph aborting a run after a `break` out of its stream) ends with status UNSET and
 * `langchain.run.cancelled`, no `error.type`, no exception event or record, no WARN/ERROR record.
 */

export type CancelReason = "consumer_stopped" | "aborted";

/** Each handler's canceller, registered by the handler itself (kept off its public API). */
const cancellers = new WeakMap<object, (runId: string, reason: CancelReason) => number>();

/** Called by the handler's constructor. */
export function registerCanceller(
  handler: object,
  cancel: (runId: string, reason: CancelReason) => number,
): void {
  cancellers.set(handler, cancel);
}

/**
 * Ends a run and its still-open descendants (children first) as cancelled, e.g. when a wrapper
 * sees the consumer of a stream stop reading (a core `.stream()` fires no end callback then).
 * Ancestors are not touched. Later end or error callbacks for the ended runs are ignored. Returns
 * how many runs were ended (0 for an unknown or already ended run id, or a handler that is not
 * ours); never throws.
 *
 * @internal Used by the package's own wrappers; not exported from the package entry point.
 */
export function endRunAsCancelled(handler: unknown, runId: string, reason: CancelReason): number {
  try {
    const cancel =
      typeof handler === "object" && handler !== null ? cancellers.get(handler) : undefined;
    return cancel === undefined ? 0 : cancel(runId, reason);
  } catch {
    return 0;
  }
}
