/**
 * Checks the options given in code to `setupTelemetry()`. An invalid one is a programming error,
 * seen on the first run: {@link TelemetryConfigError} naming the option (unlike environment
 * values, which are warned about and ignored).
 */
import {
  checkBoolean,
  checkCompression,
  checkCount,
  checkHeaders,
  checkKnownKeys,
  checkMillis,
  checkProtocol,
  checkString,
  checkStringRecord,
  checkUrl,
  describe,
  TelemetryConfigError,
} from "./config-values.js";
import type {
  OtlpCompression,
  OtlpProtocol,
  SetupTelemetryOptions,
  Signal,
  SignalOptions,
} from "./options.js";

const SIGNALS: readonly Signal[] = ["traces", "metrics", "logs"];
/** Every option of `setupTelemetry()` (test/docs.test.ts checks the configuration page lists them). */
export const KNOWN_TOP_LEVEL: ReadonlySet<string> = new Set<string>([
  "serviceName",
  "resourceAttributes",
  "endpoint",
  "headers",
  "protocol",
  "timeoutMillis",
  "compression",
  "traces",
  "metrics",
  "logs",
  "disableBatch",
  "global",
  "captureContent",
  "metricExportIntervalMillis",
  "maxQueueSize",
  "shutdownTimeoutMillis",
  "startupCheck",
  "flushOnExit",
  "onWarning",
  "handlerOptions",
]);
/** Every per-signal option. */
export const KNOWN_SIGNAL: ReadonlySet<string> = new Set<string>([
  "endpoint",
  "url",
  "headers",
  "protocol",
  "timeoutMillis",
  "compression",
  "exporter",
]);

/** The fields a signal inherits from the top level, checked once. */
export interface TopLevel {
  endpoint?: string;
  headers?: Record<string, string>;
  protocol?: OtlpProtocol;
  timeoutMillis?: number;
  compression?: OtlpCompression;
}

/** Checks every top-level option (throws for a programming error) and returns the inherited ones. */
export function checkTopLevel(options: SetupTelemetryOptions): TopLevel {
  if (options === null || typeof options !== "object") {
    throw new TelemetryConfigError(
      `setupTelemetry options must be an object, got ${describe(options)}`,
    );
  }
  checkKnownKeys(options as object, KNOWN_TOP_LEVEL, "");
  checkString(options.serviceName, "serviceName");
  for (const key of ["disableBatch", "global", "captureContent", "flushOnExit", "startupCheck"])
    checkBoolean(options[key as keyof SetupTelemetryOptions], key);
  checkMillis(options.metricExportIntervalMillis, "metricExportIntervalMillis");
  checkMillis(options.shutdownTimeoutMillis, "shutdownTimeoutMillis");
  checkCount(options.maxQueueSize, "maxQueueSize");
  checkStringRecord(options.resourceAttributes, "resourceAttributes");
  const { handlerOptions, onWarning } = options;
  if (
    handlerOptions !== undefined &&
    (handlerOptions === null || typeof handlerOptions !== "object")
  )
    throw new TelemetryConfigError(
      `handlerOptions must be an object, got ${describe(handlerOptions)}`,
    );
  if (onWarning !== undefined && typeof onWarning !== "function")
    throw new TelemetryConfigError(`onWarning must be a function, got ${describe(onWarning)}`);
  for (const signal of SIGNALS) checkSignalShape(options[signal], signal);
  return {
    headers: checkHeaders(options.headers, "headers"),
    endpoint: checkUrl(options.endpoint, "endpoint"),
    protocol: checkProtocol(options.protocol, "protocol"),
    timeoutMillis: checkMillis(options.timeoutMillis, "timeoutMillis"),
    compression: checkCompression(options.compression, "compression"),
  };
}

function checkSignalShape(raw: unknown, signal: Signal): void {
  if (raw === undefined || raw === false) return;
  if (raw === null || typeof raw !== "object") {
    throw new TelemetryConfigError(
      `${signal} must be an options object or false, got ${describe(raw)}`,
    );
  }
  checkKnownKeys(raw, KNOWN_SIGNAL, `${signal}.`);
  const sig = raw as SignalOptions;
  const url = checkUrl(sig.url, `${signal}.url`);
  if (checkUrl(sig.endpoint, `${signal}.endpoint`) !== undefined && url !== undefined) {
    throw new TelemetryConfigError(
      `${signal}.url and ${signal}.endpoint are mutually exclusive: url is used as-is, endpoint gets /v1/${signal} appended`,
    );
  }
  checkHeaders(sig.headers, `${signal}.headers`);
  checkProtocol(sig.protocol, `${signal}.protocol`);
  checkMillis(sig.timeoutMillis, `${signal}.timeoutMillis`);
  checkCompression(sig.compression, `${signal}.compression`);
  if (sig.exporter !== undefined && (sig.exporter === null || typeof sig.exporter !== "object")) {
    throw new TelemetryConfigError(
      `${signal}.exporter must be an exporter instance, got ${describe(sig.exporter)}`,
    );
  }
}
