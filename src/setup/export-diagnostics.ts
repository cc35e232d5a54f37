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

/** What is known about a failed export, for {@link describeExportFailure}. */
export interface ExportFailureInfo {
  signal: Signal;
  /** The URL posted to; undefined for a custom exporter. */
  url?: string;
  /** The error from the exporter's result callback. */
  error?: unknown;
  /** The configured timeout, for the "retried until timeout" wording. */
  timeoutMillis?: number;
}

/** Node error codes of a failed TLS handshake or an untrusted certificate (shared with the doctor). */
export const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/**
 * Status and hint for a failed export, as one sentence pair: `"<status>. <hint>"`. Exported so the
 * doctor can print the same advice.
 */
export function describeExportFailure(info: ExportFailureInfo): { status: string; hint: string } {
  const err = info.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = err?.code;
  const message =
    typeof err?.message === "string" ? err.message : String(info.error ?? "unknown error");
  if (typeof code === "number")
    return describeHttpStatus(info, code, message, typeof err?.data === "string" ? err.data : "");
  if (typeof code === "string") return describeNetworkError(info, code, message);
  if (/retryable status/i.test(message)) {
    return {
      status: "the receiver kept answering 429/502/503/504",
      hint: `It is overloaded or restarting; the exporter retried with backoff for ${info.timeoutMillis ?? "the"} ms and gave up on this batch. Raise the timeout or check the receiver's health.`,
    };
  }
  if (/concurrent export limit/i.test(message)) {
    // The OTLP exporters allow 30 requests in flight; past that they fail at once (nothing waits).
    return {
      status: "too many exports in flight (30 requests waiting for the receiver)",
      hint: `The receiver answers slowly or not at all, so requests pile up and new ones are dropped. Check the receiver; with disableBatch every span and log record is its own request, so use batching (the default) in servers.`,
    };
  }
  if (/timed out/i.test(message)) {
    return {
      status: `no answer within ${info.timeoutMillis ?? "the"} ms`,
      hint: "The receiver accepted the connection but did not answer in time; check it is an OTLP/HTTP endpoint (port 4318) and not overloaded, or raise timeoutMillis.",
    };
  }
  return {
    status: message,
    hint: "See the error above; set a diag logger (diag.setLogger) for the exporter's own details.",
  };
}

function describeHttpStatus(
  info: ExportFailureInfo,
  status: number,
  statusText: string,
  body: string,
): { status: string; hint: string } {
  const excerpt = body.trim().slice(0, 200);
  const statusLine = `HTTP ${status}${statusText && statusText !== String(status) ? ` ${statusText}` : ""}${excerpt ? ` (${JSON.stringify(excerpt)})` : ""}`;
  const s = info.signal;
  let hint: string;
  if (status === 404) {
    if (s === "metrics") {
      hint =
        "This endpoint does not accept OTLP metrics; Tempo accepts traces only; Prometheus wants /api/v1/otlp/v1/metrics with --web.enable-otlp-receiver, Thanos Receive /api/v1/otlp (use metrics.url for it as-is).";
    } else if (s === "logs") {
      hint =
        'This endpoint does not accept OTLP logs; Loki wants /otlp/v1/logs (logs.endpoint "https://loki/otlp"); Tempo accepts traces only.';
    } else {
      hint =
        'This endpoint does not accept OTLP traces; Tempo and the Collector want /v1/traces on port 4318 (traces.endpoint "http://tempo:4318").';
    }
  } else if (status === 401 || status === 403) {
    hint =
      s === "logs"
        ? "Loki needs X-Scope-OrgID when auth is on; set it in logs.headers (plus any Authorization the gateway wants)."
        : `The receiver refused the credentials; set the tenant/auth headers in ${s}.headers (Tempo: X-Scope-OrgID, Thanos: THANOS-TENANT, or Authorization). Headers of one signal are never sent to another.`;
  } else if (status === 400) {
    hint =
      s === "logs"
        ? "The receiver rejected the payload; Loki rejects lines over 64 KB or more than 128 structured-metadata entries."
        : "The receiver rejected the payload; see its answer above.";
  } else if (status === 413) {
    hint =
      'The request is too large for the receiver; lower the batch size or enable compression "gzip".';
  } else if (status === 415) {
    hint =
      'The receiver does not accept this encoding; try protocol "http/protobuf" (or "http/json").';
  } else if (status === 405) {
    hint = "The URL does not accept POST; it is probably not an OTLP/HTTP endpoint.";
  } else {
    hint = "Check the receiver's logs.";
  }
  return { status: statusLine, hint };
}

function describeNetworkError(
  info: ExportFailureInfo,
  code: string,
  message: string,
): { status: string; hint: string } {
  const host = hostOf(info.url);
  if (code === "ECONNREFUSED") {
    return {
      status: "connection refused",
      hint: `Nothing is listening at ${host}; start the collector/backend or fix the ${info.signal} endpoint (OTLP/HTTP is usually port 4318).`,
    };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const where = info.url === undefined ? "the URL" : redactUrl(info.url);
    return {
      status: `host not found (${code})`,
      hint: `The host name in ${where} does not resolve from here.`,
    };
  }
  if (TLS_ERROR_CODES.has(code) || /ssl|tls|certificate/i.test(message)) {
    return {
      status: `TLS error (${code}: ${message})`,
      hint: "An https URL pointing at a plain-http port, or a certificate Node does not trust: use http://, or set NODE_EXTRA_CA_CERTS / OTEL_EXPORTER_OTLP_CERTIFICATE to the CA file.",
    };
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return {
      status: `connection reset (${code})`,
      hint: `${host} closed the connection; a proxy or a non-OTLP server may be in the way.`,
    };
  }
  if (code === "ETIMEDOUT" || code === "ENETUNREACH" || code === "EHOSTUNREACH") {
    return {
      status: `network unreachable (${code})`,
      hint: `${host} cannot be reached from here (firewall, VPN, wrong host).`,
    };
  }
  return {
    status: `${code}: ${message}`,
    hint: "A network error; check the URL and the network path to the receiver.",
  };
}

function hostOf(url: string | undefined): string {
  if (url === undefined) return "the receiver";
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
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

/** Per-signal failure state: warns once, counts the rest. */
export class ExportFailureTracker {
  private failures = 0;
  private firstStatus = "";
  private readonly signal: Signal;
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

  /** Records one failed export; warns on the first one only. */
  recordFailure(error: unknown): void {
    this.failures++;
    if (this.failures > 1) return;
    const { status, hint } = describeExportFailure({
      signal: this.signal,
      url: this.url,
      error,
      timeoutMillis: this.timeoutMillis,
    });
    this.firstStatus = redactText(status, this.secrets);
    const where = this.printedUrl ? ` to ${this.printedUrl}` : " (custom exporter)";
    safeWarn(
      this.warn,
      `${this.signal} export${where} failed: ${status}. ${hint} Further ${this.signal} export failures are counted, not repeated.`,
      this.secrets,
    );
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
      onHandedOver?.(Array.isArray(items) ? items.length : 1);
      let reported = false;
      try {
        exporter.export(items, (result) => {
          if (!reported) {
            reported = true;
            if (result.code !== SUCCESS) tracker.recordFailure(result.error);
          }
          resultCallback(result);
        });
      } catch (error) {
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
    private readonly signal: Signal,
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
