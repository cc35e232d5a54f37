/**
 * Where the warnings go that no handler or setup call owns (association properties dropped by
 * `withAssociationProperties()`): visible without a diag logger. `setupTelemetry()` points them
 * at its `onWarning` while its pipeline runs; otherwise `console.warn`. Each kind of warning is
 * given once per sink (these happen per request, and one line says what to fix); the diag logger
 * still gets every occurrence.
 */
type Sink = (message: string) => void;

const consoleSink: Sink = (message) => console.warn(`[langchain-opentelemetry] ${message}`);
let sink: Sink = consoleSink;
let given = new Set<string>();

/**
 * Sends the package's own warnings (association properties dropped, ...) to `warningSink`
 * instead of `console.warn`; `setupTelemetry()` does this with its `onWarning`. Each kind of
 * warning is given once per sink. Returns the function that puts the previous sink back.
 */
export function setWarningSink(warningSink: (message: string) => void): () => void {
  const previous = { sink, given };
  sink = warningSink;
  given = new Set();
  return () => {
    if (sink !== warningSink) return;
    sink = previous.sink;
    given = previous.given;
  };
}

/** Gives `message` to the sink, the first time a warning of this `kind` occurs. Never throws. */
export function packageWarning(kind: string, message: string): void {
  if (given.has(kind)) return;
  given.add(kind);
  try {
    sink(`${message} Further warnings of this kind are not repeated.`);
  } catch {}
}
