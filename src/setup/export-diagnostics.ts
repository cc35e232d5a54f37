/**
 * Turns the exporters' silent failures into one clear warning per signal.
 *
 * The OpenTelemetry exporters report a failed export only through the diagnostic logger (off by
 * default), so a wrong URL or a missing tenant header loses every span without a word. The
 * wrappers here log ONE warning on the first failed export of each signal, naming the signal, the
 * URL, the status and what to do; later failures are only counted (and summarised once at
 * shutdown). Batch queues are bounded too: records dropped because the queue is full are counted
 * and warned about once.
 */
import type { ExportResult } from "@opentelemetry/core";
import { TraceFlags, type Context } from "@opentelemetry/api";
import type { Signal } from "./config.js";
import { redactText, redactUrl } from "../util/redact.js";
import { describeExportFailure } from "./failure-hints.js";

export { describeExportFailure, TLS_ERROR_CODES } from "./failure-hints.js";

// ExportResultCode values of @opentelemetry/core, inlined so this module imports no SDK package.
const SUCCESS = 0;
const FAILED = 1;

/** Receives one human-readable warning. */
export type WarningSink = (message: string) => void;

/** The default sink: `console.warn` with a prefix saying who speaks. */
export const consoleWarningSink: WarningSink = (message) => {
  console.warn(`[langchain-opentelemetry] ${message}`);
};

/**
 * Calls the sink with `message` redacted (every URL in it, see `redactUrl`, and each of `secrets`)
 * and swallows anything the sink throws: telemetry never throws into the app, and never prints a
 * credential.
 */
export function safeWarn(sink: WarningSink, message: string, secrets?: Iterable<string>): void {
  try {
    sink(redactText(message, secrets));
  } catch {}
}

/** The minimal exporter shape shared by span, metric and log record exporters. */
export interface AnyExporter<TItems> {
  export(items: TItems, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** What an {@link ExportFailureTracker} needs to know about its signal. */
export interface ExportFailureTrackerOptions {
  signal: Signal;
  /** The URL posted to; undefined for a custom exporter. Printed redacted. */
  url?: string;
  /** The configured timeout, for the wording of timeouts and retries. */
  timeoutMillis?: number;
  warn: WarningSink;
  /**
   * Values never to print (the signal's header values): scrubbed from every warning, e.g. from a
   * response body that echoes a header back. Default: none.
   */
  secrets?: readonly string[];
}

/** What a partial-success answer counts, per signal. */
const REJECTED_UNIT: Record<Signal, string> = {
  traces: "spans",
  metrics: "data points",
  logs: "log records",
};

/** What a signal's exports did not deliver, for the shutdown report. */
export interface Undelivered {
  signal: Signal;
  /** Items (spans, log records, metric collections) whose export failed. */
  failed: number;
  /** Items handed to the exporter and not answered yet. */
  inFlight: number;
  /** Items the receiver rejected in partial-success answers. */
  rejected: number;
}

/** Per-signal failure state: warns once, counts the rest. */
export class ExportFailureTracker {
  private failures = 0;
  private firstStatus = "";
  private warned = false;
  private failedItems = 0;
  private inFlightItems = 0;
  private rejectedItems = 0;
  private rejections = 0;
  readonly signal: Signal;
  private readonly url: string | undefined;
  private readonly printedUrl: string | undefined;
  private readonly timeoutMillis: number | undefined;
  private readonly warn: WarningSink;
  private readonly secrets: readonly string[];

  constructor(options: ExportFailureTrackerOptions) {
    this.signal = options.signal;
    this.url = options.url;
    this.printedUrl = options.url === undefined ? undefined : redactUrl(options.url);
    this.timeoutMillis = options.timeoutMillis;
    this.warn = options.warn;
    this.secrets = options.secrets ?? [];
  }

  /** Records one failed export; warns on the first one only (or none, after a startup check warned). */
  recordFailure(error: unknown): void {
    this.failures++;
    const { status, hint } = this.describe(error);
    if (this.failures === 1) this.firstStatus = redactText(status, this.secrets);
    if (this.warned) return;
    this.warned = true;
    const where = this.printedUrl ? ` to ${this.printedUrl}` : " (custom exporter)";
    safeWarn(
      this.warn,
      `${this.signal} export${where} failed: ${status}. ${hint} Further ${this.signal} export failures are counted, not repeated.`,
      this.secrets,
    );
  }

  /**
   * The startup check's empty export request failed: the same warning as a failed export, said
   * to come from the check; a later real failure is then only counted.
   */
  recordCheckFailure(error: unknown, timeoutMillis: number): void {
    if (this.warned) return;
    this.warned = true;
    const { status, hint } = this.describe(error, timeoutMillis);
    // The same shape as a failed export's warning: whichever finds the problem first says it.
    safeWarn(
      this.warn,
      `${this.signal} export to ${this.printedUrl ?? "the receiver"} failed: ${status} (found by the startup check, an empty export request that stores nothing). ${hint} Further ${this.signal} export failures are counted, not repeated.`,
      this.secrets,
    );
  }

  /**
   * The receiver answered 200 with `partialSuccess`: `count` items rejected. Warned the first
   * time, with the receiver's message; counted after that.
   */
  recordRejected(count: number, message: string): void {
    this.rejectedItems += count;
    if (++this.rejections > 1) return;
    const unit = REJECTED_UNIT[this.signal];
    const why = message === "" ? "" : ` (${JSON.stringify(message.slice(0, 300))})`;
    safeWarn(
      this.warn,
      `${this.signal} export to ${this.printedUrl ?? "the receiver"} partly failed: the receiver accepted the request but rejected ${count} ${unit}${why}. ` +
        `They are lost (a partial success is not retried); check the receiver's limits and logs. Further rejections are counted, not repeated.`,
      this.secrets,
    );
  }

  /** `count` items were handed to the exporter. */
  started(count: number): void {
    this.inFlightItems += count;
  }

  /** The exporter answered for `count` items. */
  finished(count: number, ok: boolean): void {
    this.inFlightItems = Math.max(0, this.inFlightItems - count);
    if (!ok) this.failedItems += count;
  }

  undelivered(): Undelivered {
    return {
      signal: this.signal,
      failed: this.failedItems,
      inFlight: this.inFlightItems,
      rejected: this.rejectedItems,
    };
  }

  /** One summary line when more than one export failed; called at shutdown. */
  summarize(): void {
    if (this.failures > 1) {
      const where = this.printedUrl ? ` to ${this.printedUrl}` : "";
      safeWarn(
        this.warn,
        `${this.signal}: ${this.failures} exports failed in total${where} (first: ${this.firstStatus}).`,
        this.secrets,
      );
    }
  }

  private describe(error: unknown, timeoutMillis = this.timeoutMillis) {
    return describeExportFailure({ signal: this.signal, url: this.url, error, timeoutMillis });
  }
}

/**
 * Wraps `exporter` so failed exports go to `tracker`, and exported item counts to `onHandedOver`
 * (used by {@link QueueBound}). Every other method is delegated; the metric exporter's
 * temporality/aggregation selectors are kept when present.
 */
export function withExportDiagnostics<TItems, T extends AnyExporter<TItems>>(
  exporter: T,
  tracker: ExportFailureTracker,
  onHandedOver?: (count: number) => void,
): T {
  const wrapped: AnyExporter<TItems> & Record<string, unknown> = {
    export(items: TItems, resultCallback: (result: ExportResult) => void): void {
      // Span and log record exporters take arrays; a metric exporter takes one ResourceMetrics.
      const count = Array.isArray(items) ? items.length : 1;
      onHandedOver?.(count);
      tracker.started(count);
      let reported = false;
      try {
        exporter.export(items, (result) => {
          if (!reported) {
            reported = true;
            tracker.finished(count, result.code === SUCCESS);
            if (result.code !== SUCCESS) tracker.recordFailure(result.error);
          }
          resultCallback(result);
        });
      } catch (error) {
        if (!reported) tracker.finished(count, false);
        reported = true;
        tracker.recordFailure(error);
        resultCallback({
          code: FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => (exporter.forceFlush ? exporter.forceFlush() : Promise.resolve()),
  };
  const source = exporter as unknown as Record<string, unknown>;
  for (const selector of ["selectAggregationTemporality", "selectAggregation"]) {
    const fn = source[selector];
    if (typeof fn === "function") wrapped[selector] = fn.bind(exporter);
  }
  return wrapped as unknown as T;
}

/**
 * Accounting for a bounded batch queue: records admitted and not yet handed to the exporter. A
 * record arriving when `maxQueueSize` are pending is dropped here (the SDK would drop it silently);
 * drops are counted and warned about once.
 */
export class QueueBound {
  private pending = 0;
  private droppedCount = 0;

  constructor(
    readonly signal: Signal,
    private readonly maxQueueSize: number,
    private readonly warn: WarningSink,
  ) {}

  /** `true` when the record may enter the queue; `false` (counted) when it is dropped. */
  admit(): boolean {
    if (this.pending >= this.maxQueueSize) {
      this.droppedCount++;
      if (this.droppedCount === 1) {
        const what = this.signal === "traces" ? "spans" : "log records";
        safeWarn(
          this.warn,
          `${this.signal}: the export queue is full (maxQueueSize ${this.maxQueueSize}); ${what} are being dropped. The receiver is slower than the app or unreachable; raise maxQueueSize or fix the export. Drops are counted, not repeated.`,
        );
      }
      return false;
    }
    this.pending++;
    return true;
  }

  /** Records admitted and not handed to the exporter yet. */
  get queued(): number {
    return this.pending;
  }

  /** Records dropped because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** `count` records left the queue for the exporter. */
  handedOver(count: number): void {
    this.pending = Math.max(0, this.pending - count);
  }

  /** One summary line at shutdown when records were dropped. */
  summarize(): void {
    if (this.droppedCount > 0)
      safeWarn(
        this.warn,
        `${this.signal}: ${this.droppedCount} records dropped because the export queue was full.`,
      );
  }
}

/** Structural span processor (kept structural so this module imports no SDK package). */
interface SpanProcessorLike {
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: { spanContext(): { traceFlags: number } }): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Structural log record processor. */
interface LogRecordProcessorLike {
  onEmit(logRecord: unknown, context?: Context): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Puts `bound` in front of a batch span processor's queue. Unsampled spans are passed through (the batch processor ignores them). */
export function boundSpanProcessor<T extends SpanProcessorLike>(inner: T, bound: QueueBound): T {
  const wrapped: SpanProcessorLike = {
    onStart: (span, ctx) => inner.onStart(span, ctx),
    onEnd: (span) => {
      const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
      if (!sampled || bound.admit()) inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
  return wrapped as T;
}

/** Puts `bound` in front of a batch log record processor's queue. */
export function boundLogRecordProcessor<T extends LogRecordProcessorLike>(
  inner: T,
  bound: QueueBound,
): T {
  const wrapped: LogRecordProcessorLike = {
    onEmit: (record, ctx) => {
      if (bound.admit()) inner.onEmit(record, ctx);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
  return wrapped as T;
}
