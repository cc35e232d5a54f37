/**
 * Resolves {@link SetupTelemetryOptions} plus the standard OpenTelemetry environment variables into
 * one fully decided configuration per signal. Pure: reads only the `env` object it is given, never
 * the network, never the SDK. `setupTelemetry()` and the `doctor` CLI both build on it, so what the
 * doctor prints is exactly what setup uses.
 *
 * Precedence, per field and per signal (first one set wins):
 * 1. the signal's own option (`traces.url`, `traces.endpoint`, `traces.headers`, ...);
 * 2. the top-level option (`endpoint`, `headers`, `protocol`, `timeoutMillis`, `compression`);
 * 3. the signal's environment variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, ..._HEADERS, ...);
 * 4. the generic environment variable (`OTEL_EXPORTER_OTLP_ENDPOINT`, ..._HEADERS, ...);
 * 5. the default.
 *
 * Headers are never merged across levels: the first level that sets any header for a signal gives
 * that signal's complete header set. So a tenant header meant for one backend cannot leak into
 * another signal's requests, also when `OTEL_EXPORTER_OTLP_HEADERS` is set.
 */

import type { OpenTelemetryCallbackHandlerOptions } from "../handler/options.js";
import { maskHeaderValue, maskHeaders, redactText, redactUrl } from "../util/redact.js";

/** One of the three OpenTelemetry signals. */
export type Signal = "traces" | "metrics" | "logs";

/** The OTLP/HTTP encodings supported. */
export type OtlpProtocol = "http/json" | "http/protobuf";

/** The payload compressions supported. */
export type OtlpCompression = "gzip" | "none";

/** Options for one signal (`traces`, `metrics` or `logs`) in {@link SetupTelemetryOptions}. */
export interface SignalOptions<TExporter = unknown> {
  /**
   * Base URL of an OTLP/HTTP receiver; `/v1/traces`, `/v1/metrics` or `/v1/logs` is appended,
   * keeping any base path (`http://prometheus:9090/api/v1/otlp` becomes
   * `http://prometheus:9090/api/v1/otlp/v1/metrics`). Like `OTEL_EXPORTER_OTLP_ENDPOINT`.
   * Mutually exclusive with {@link SignalOptions.url}.
   */
  endpoint?: string;
  /**
   * Complete URL used as-is, nothing appended (Thanos Receive: `http://thanos-receive:19291/api/v1/otlp`).
   * Like `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`. Mutually exclusive with {@link SignalOptions.endpoint}.
   */
  url?: string;
  /**
   * HTTP headers sent with this signal's exports only (e.g. `{ "X-Scope-OrgID": "tenant" }`).
   * When set, they replace the top-level `headers` and every `OTEL_EXPORTER_OTLP_*HEADERS`
   * variable for this signal.
   */
  headers?: Record<string, string>;
  /** Encoding: `"http/json"` (default) or `"http/protobuf"`. `grpc` is not supported. */
  protocol?: OtlpProtocol;
  /** Export request timeout in milliseconds, retries included. Default: 10000. */
  timeoutMillis?: number;
  /** Payload compression: `"none"` (default) or `"gzip"`. */
  compression?: OtlpCompression;
  /**
   * A ready exporter instance to use instead of the OTLP/HTTP one (`SpanExporter`,
   * `PushMetricExporter` or `LogRecordExporter`). The URL/header options above are then ignored.
   */
  exporter?: TExporter;
}

/**
 * Options of `setupTelemetry()`. Every field is optional; everything can also come from the
 * standard `OTEL_*` environment variables, and an explicit option always wins over the environment.
 */
export interface SetupTelemetryOptions {
  /** `service.name` of the resource. Default: `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, then `unknown_service:node`. */
  serviceName?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES` (these win). */
  resourceAttributes?: Record<string, string>;
  /** Base URL for every signal that sets neither its own `endpoint` nor `url`. `/v1/<signal>` is appended. */
  endpoint?: string;
  /** Headers for every signal that does not set its own `headers`. */
  headers?: Record<string, string>;
  /** Encoding for every signal that does not set its own. Default: `"http/json"`. */
  protocol?: OtlpProtocol;
  /** Export timeout in milliseconds for every signal that does not set its own. Default: 10000. */
  timeoutMillis?: number;
  /** Compression for every signal that does not set its own. Default: `"none"`. */
  compression?: OtlpCompression;
  /** Traces: options, or `false` to send no traces. */
  traces?: SignalOptions | false;
  /** Metrics: options, or `false` to send no metrics. */
  metrics?: SignalOptions | false;
  /** Logs: options, or `false` to send no log records. */
  logs?: SignalOptions | false;
  /**
   * Use simple (export-immediately) processors instead of batching, for scripts and short jobs.
   * Metrics are still collected periodically. Default: `false`.
   */
  disableBatch?: boolean;
  /**
   * Attach the handler to every LangChain run in the process through LangChain's configure hook
   * (see `registerGlobalHandler`). Must run before servers are created. Default: `true`.
   */
  global?: boolean;
  /**
   * Record prompts, completions, tool arguments/results and chain inputs/outputs. Default:
   * `false`, or `true` when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.
   */
  captureContent?: boolean;
  /**
   * Further options of the `OpenTelemetryCallbackHandler` that setupTelemetry creates (content
   * length, run timeout, metadata keys on metrics, ...). The providers are always setupTelemetry's own.
   */
  handlerOptions?: Omit<
    OpenTelemetryCallbackHandlerOptions,
    "tracerProvider" | "meterProvider" | "loggerProvider"
  >;
  /** Interval between metric exports, in milliseconds. Default: `OTEL_METRIC_EXPORT_INTERVAL`, then 60000. */
  metricExportIntervalMillis?: number;
  /**
   * Bound of each batch queue (spans, log records) before records are dropped (drops are counted
   * and warned about once). Default: 2048.
   */
  maxQueueSize?: number;
  /** Flush and shut down on the process's `beforeExit` (normal end of the event loop). Default: `true`. */
  flushOnExit?: boolean;
  /**
   * Where warnings go (export failures, dropped records, a second call with other options, an
   * already-registered SDK). Default: `console.warn` with a `[langchain-opentelemetry]` prefix.
   */
  onWarning?: (message: string) => void;
}

/** Everything decided for one signal. */
export interface ResolvedSignalConfig {
  signal: Signal;
  /** `false` when turned off (option `false`, `OTEL_<SIGNAL>_EXPORTER=none`, `OTEL_SDK_DISABLED=true`). */
  enabled: boolean;
  /** `console` = the embedded default (no endpoint anywhere); `custom` = exporter instance given. */
  mode: "otlp" | "console" | "custom";
  /** Final URL (endpoint + `/v1/<signal>`, or url as-is). Set when `mode === "otlp"`. */
  url?: string;
  /** Only this signal's headers. */
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  timeoutMillis: number;
  compression: OtlpCompression;
  /** The instance when `mode === "custom"`. */
  exporter?: unknown;
}

/** Everything decided by {@link resolveTelemetryConfig}. */
export interface ResolvedTelemetryConfig {
  serviceName: string;
  /** Resource attributes from `OTEL_RESOURCE_ATTRIBUTES` and options, `service.name` included. */
  resourceAttributes: Record<string, string>;
  disableBatch: boolean;
  traces: ResolvedSignalConfig;
  metrics: ResolvedSignalConfig;
  logs: ResolvedSignalConfig;
}

/** Thrown by {@link resolveTelemetryConfig} (and so by `setupTelemetry()`) on invalid input; the message names the option. */
export class TelemetryConfigError extends Error {
  constructor(message: string) {
    // Messages quote the offending value: a URL in it is redacted (userinfo, credential parameters).
    super(redactText(message));
    this.name = "TelemetryConfigError";
  }
}

/** The URL the OpenTelemetry exporters use when nothing is configured. */
const DEFAULT_OTLP_BASE_URL = "http://localhost:4318";
const DEFAULT_TIMEOUT_MILLIS = 10_000;
const SIGNALS: readonly Signal[] = ["traces", "metrics", "logs"];

const SIGNAL_ENV: Record<Signal, string> = { traces: "TRACES", metrics: "METRICS", logs: "LOGS" };
const PROTOCOLS: readonly string[] = ["http/json", "http/protobuf"];
const COMPRESSIONS: readonly string[] = ["gzip", "none"];
// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const KNOWN_TOP_LEVEL = new Set<string>([
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
  "flushOnExit",
  "onWarning",
  "handlerOptions",
]);
const KNOWN_SIGNAL = new Set<string>([
  "endpoint",
  "url",
  "headers",
  "protocol",
  "timeoutMillis",
  "compression",
  "exporter",
]);

/**
 * Resolves options and environment into one configuration per signal.
 *
 * @param options What the caller passed to `setupTelemetry()`.
 * @param env The environment to read (default `process.env`); tests pass a copy.
 * @throws TelemetryConfigError naming the option or variable when a value is invalid.
 */
export function resolveTelemetryConfig(
  options: SetupTelemetryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTelemetryConfig {
  if (options === null || typeof options !== "object") {
    throw new TelemetryConfigError(
      `setupTelemetry options must be an object, got ${describe(options)}`,
    );
  }
  checkKnownKeys(options as object, KNOWN_TOP_LEVEL, "");
  checkOptionalString(options.serviceName, "serviceName");
  checkOptionalBoolean(options.disableBatch, "disableBatch");
  checkOptionalBoolean(options.global, "global");
  checkOptionalBoolean(options.captureContent, "captureContent");
  checkOptionalBoolean(options.flushOnExit, "flushOnExit");
  checkOptionalPositive(options.metricExportIntervalMillis, "metricExportIntervalMillis");
  checkOptionalPositive(options.maxQueueSize, "maxQueueSize");
  if (
    options.handlerOptions !== undefined &&
    (options.handlerOptions === null || typeof options.handlerOptions !== "object")
  ) {
    throw new TelemetryConfigError(
      `handlerOptions must be an object, got ${describe(options.handlerOptions)}`,
    );
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== "function") {
    throw new TelemetryConfigError(
      `onWarning must be a function, got ${describe(options.onWarning)}`,
    );
  }

  const topHeaders = checkHeaders(options.headers, "headers");
  const topEndpoint = checkUrl(options.endpoint, "endpoint");
  const topProtocol = checkProtocol(options.protocol, "protocol");
  const topTimeout = checkTimeout(options.timeoutMillis, "timeoutMillis");
  const topCompression = checkCompression(options.compression, "compression");

  const envResource = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES");
  const optionResource = checkHeaderLikeRecord(options.resourceAttributes, "resourceAttributes");
  const serviceName =
    nonEmpty(options.serviceName) ??
    nonEmpty(env.OTEL_SERVICE_NAME) ??
    nonEmpty(optionResource?.["service.name"]) ??
    nonEmpty(envResource["service.name"]) ??
    "unknown_service:node";
  const resourceAttributes = { ...envResource, ...optionResource, "service.name": serviceName };

  const sdkDisabled = (env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true";

  // The embedded console default applies only when no endpoint is configured anywhere, for any
  // signal: once one is set, a signal without its own goes to the OpenTelemetry default URL (and
  // a refused connection there is reported), never silently to the console in production.
  const anyEndpoint =
    topEndpoint !== undefined ||
    nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) !== undefined ||
    SIGNALS.some((s) => {
      const o = options[s];
      return (
        (o && typeof o === "object" && (o.url !== undefined || o.endpoint !== undefined)) ||
        nonEmpty(env[`OTEL_EXPORTER_OTLP_${SIGNAL_ENV[s]}_ENDPOINT`]) !== undefined
      );
    });

  const resolveSignal = (signal: Signal): ResolvedSignalConfig =>
    printable(resolveSignalFields(signal));
  const resolveSignalFields = (signal: Signal): ResolvedSignalConfig => {
    const raw = options[signal];
    const ENV = SIGNAL_ENV[signal];
    if (raw !== undefined && raw !== false && (raw === null || typeof raw !== "object")) {
      throw new TelemetryConfigError(
        `${signal} must be an options object or false, got ${describe(raw)}`,
      );
    }
    const sig: SignalOptions | undefined = raw === false ? undefined : raw;
    if (sig) checkKnownKeys(sig, KNOWN_SIGNAL, `${signal}.`);

    const sigUrl = checkUrl(sig?.url, `${signal}.url`);
    const sigEndpoint = checkUrl(sig?.endpoint, `${signal}.endpoint`);
    if (sigUrl !== undefined && sigEndpoint !== undefined) {
      throw new TelemetryConfigError(
        `${signal}.url and ${signal}.endpoint are mutually exclusive: url is used as-is, endpoint gets /v1/${signal} appended`,
      );
    }
    const sigHeaders = checkHeaders(sig?.headers, `${signal}.headers`);
    // The module's precedence for one field; each variable is read (and checked) only when reached.
    const setting = <T>(
      field: "protocol" | "timeoutMillis" | "compression",
      top: T | undefined,
      check: (value: unknown, name: string) => T | undefined,
      suffix: string,
      read: (variable: string) => unknown,
    ): T | undefined => {
      const sigVar = `OTEL_EXPORTER_OTLP_${ENV}_${suffix}`;
      const genericVar = `OTEL_EXPORTER_OTLP_${suffix}`;
      return (
        check(sig?.[field], `${signal}.${field}`) ??
        top ??
        check(read(sigVar), sigVar) ??
        check(read(genericVar), genericVar)
      );
    };
    const envString = (variable: string): string | undefined => nonEmpty(env[variable]);
    const protocol =
      setting("protocol", topProtocol, checkProtocol, "PROTOCOL", envString) ?? "http/json";
    const timeoutMillis =
      setting("timeoutMillis", topTimeout, checkTimeout, "TIMEOUT", (v) => envNumber(env, v)) ??
      DEFAULT_TIMEOUT_MILLIS;
    const compression =
      setting("compression", topCompression, checkCompression, "COMPRESSION", envString) ?? "none";

    // Headers: the first level that sets any, as a whole (never merged, see the module comment).
    const envSigHeaders = parseKeyValueList(
      env[`OTEL_EXPORTER_OTLP_${ENV}_HEADERS`],
      `OTEL_EXPORTER_OTLP_${ENV}_HEADERS`,
    );
    const envHeaders = parseKeyValueList(
      env.OTEL_EXPORTER_OTLP_HEADERS,
      "OTEL_EXPORTER_OTLP_HEADERS",
    );
    checkHeaderNames(envSigHeaders, `OTEL_EXPORTER_OTLP_${ENV}_HEADERS`);
    checkHeaderNames(envHeaders, "OTEL_EXPORTER_OTLP_HEADERS");
    const headers = {
      ...(sigHeaders ?? topHeaders ?? (hasKeys(envSigHeaders) ? envSigHeaders : envHeaders)),
    };

    const envExporter = parseExporterSelection(env[`OTEL_${ENV}_EXPORTER`], `OTEL_${ENV}_EXPORTER`);
    const base = { signal, headers, protocol, timeoutMillis, compression };

    // An explicit signal options object (custom exporter included) wins over OTEL_<SIGNAL>_EXPORTER.
    if (sdkDisabled || raw === false || (sig === undefined && envExporter === "none")) {
      return { ...base, enabled: false, mode: anyEndpoint ? "otlp" : "console" };
    }
    if (sig?.exporter !== undefined) {
      if (sig.exporter === null || typeof sig.exporter !== "object") {
        throw new TelemetryConfigError(
          `${signal}.exporter must be an exporter instance, got ${describe(sig.exporter)}`,
        );
      }
      return { ...base, enabled: true, mode: "custom", exporter: sig.exporter };
    }
    if (sig === undefined && envExporter === "console")
      return { ...base, enabled: true, mode: "console" };

    const url =
      sigUrl ??
      mapDefined(sigEndpoint ?? topEndpoint, (u) => appendSignalPath(u, signal)) ??
      checkUrl(
        nonEmpty(env[`OTEL_EXPORTER_OTLP_${ENV}_ENDPOINT`]),
        `OTEL_EXPORTER_OTLP_${ENV}_ENDPOINT`,
      ) ??
      mapDefined(
        checkUrl(nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT), "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (u) => appendSignalPath(u, signal),
      );
    if (url === undefined && !anyEndpoint) return { ...base, enabled: true, mode: "console" };
    return {
      ...base,
      enabled: true,
      mode: "otlp",
      url: url ?? `${DEFAULT_OTLP_BASE_URL}/v1/${signal}`,
    };
  };

  return {
    serviceName,
    resourceAttributes,
    disableBatch: options.disableBatch ?? false,
    traces: resolveSignal("traces"),
    metrics: resolveSignal("metrics"),
    logs: resolveSignal("logs"),
  };
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * The resolved signal config keeps the real URL and headers (the exporters need them), but prints
 * redacted: `console.log(config)`, `util.inspect` and `JSON.stringify` show the URL through
 * `redactUrl` and masked header values. The two methods are non-enumerable, so spreading or
 * comparing the object sees only its fields.
 */
function printable(cfg: ResolvedSignalConfig): ResolvedSignalConfig {
  const redacted = (): Record<string, unknown> => ({
    ...cfg,
    ...(cfg.url === undefined ? {} : { url: redactUrl(cfg.url) }),
    headers: maskHeaders(cfg.headers),
  });
  Object.defineProperty(cfg, "toJSON", { value: redacted, enumerable: false });
  Object.defineProperty(cfg, INSPECT, { value: redacted, enumerable: false });
  return cfg;
}

/** `endpoint` + `/v1/<signal>`, keeping the endpoint's base path (a trailing slash is not doubled). */
function appendSignalPath(endpoint: string, signal: Signal): string {
  const u = new URL(endpoint);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/${signal}`;
  return u.href;
}

/**
 * Parses the `key=value,key2=value2` format of `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_RESOURCE_ATTRIBUTES`: values are percent-decoded and may contain `=` (only the first `=`
 * separates key and value).
 */
export function parseKeyValueList(raw: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw.trim() === "") return out;
  // The entries are header values (credentials): an error names the entry by position, masked.
  raw.split(",").forEach((entry, i) => {
    if (entry.trim() === "") return;
    const eq = entry.indexOf("=");
    const where = `${name}: entry ${i + 1}`;
    if (eq <= 0)
      throw new TelemetryConfigError(
        `${where} ("${maskHeaderValue(entry.trim())}") is not key=value`,
      );
    const key = decode(
      entry.slice(0, eq).trim(),
      `${where} (key "${maskHeaderValue(entry.slice(0, eq).trim())}")`,
    );
    out[key] = decode(entry.slice(eq + 1).trim(), `${where} (the value of ${key})`);
  });
  return out;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new TelemetryConfigError(`${what} is not valid percent-encoding`);
  }
}

function parseExporterSelection(
  raw: string | undefined,
  name: string,
): "otlp" | "console" | "none" | undefined {
  const values = (raw ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== "");
  if (values.length === 0) return undefined;
  for (const v of values) {
    if (v !== "otlp" && v !== "console" && v !== "none") {
      throw new TelemetryConfigError(`${name}="${raw}": only otlp, console and none are supported`);
    }
  }
  if (values.includes("otlp")) return "otlp";
  if (values.includes("console")) return "console";
  return "none";
}

function checkKnownKeys(obj: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      throw new TelemetryConfigError(
        `unknown option ${prefix}${key} (known: ${[...known].map((k) => prefix + k).join(", ")})`,
      );
    }
  }
}

function checkUrl(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw new TelemetryConfigError(`${name} must be a URL string, got ${describe(value)}`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new TelemetryConfigError(
      `${name} is not a valid URL: "${redactUrl(value)}" (expected e.g. http://collector:4318)`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    const hint = !value.includes("//")
      ? ' (missing "http://"?)'
      : u.protocol === "grpc:"
        ? " (OTLP/gRPC is not supported: use OTLP/HTTP, port 4318)"
        : "";
    throw new TelemetryConfigError(
      `${name} must be an http:// or https:// URL, got "${redactUrl(value)}"${hint}`,
    );
  }
  return value;
}

function checkHeaders(value: unknown, name: string): Record<string, string> | undefined {
  // Header values are credentials: a wrong one is named by its kind, never quoted.
  const rec = checkHeaderLikeRecord(value, name, kindOf);
  if (rec) checkHeaderNames(rec, name);
  return rec;
}

function checkHeaderLikeRecord(
  value: unknown,
  name: string,
  show: (v: unknown) => string = describe,
): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TelemetryConfigError(
      `${name} must be an object of string values, got ${show(value)}`,
    );
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new TelemetryConfigError(`${name}["${k}"] must be a string, got ${show(v)}`);
    }
  }
  return value as Record<string, string>;
}

function checkHeaderNames(headers: Record<string, string>, name: string): void {
  for (const [k, v] of Object.entries(headers)) {
    if (!HEADER_NAME.test(k))
      throw new TelemetryConfigError(`${name}: "${k}" is not a valid HTTP header name`);
    if (/[\r\n\0]/.test(v))
      throw new TelemetryConfigError(`${name}["${k}"] contains a line break or NUL`);
  }
}

function checkProtocol(value: unknown, name: string): OtlpProtocol | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !PROTOCOLS.includes(value)) {
    const hint =
      value === "grpc"
        ? " (OTLP/gRPC is not supported: use port 4318 with http/protobuf or http/json)"
        : "";
    throw new TelemetryConfigError(
      `${name} must be "http/json" or "http/protobuf", got ${describe(value)}${hint}`,
    );
  }
  return value as OtlpProtocol;
}

function checkCompression(value: unknown, name: string): OtlpCompression | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !COMPRESSIONS.includes(value)) {
    throw new TelemetryConfigError(`${name} must be "gzip" or "none", got ${describe(value)}`);
  }
  return value as OtlpCompression;
}

function checkTimeout(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TelemetryConfigError(
      `${name} must be a number of milliseconds > 0, got ${describe(value)}`,
    );
  }
  return value;
}

function checkOptionalPositive(value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0)) {
    throw new TelemetryConfigError(`${name} must be a number > 0, got ${describe(value)}`);
  }
}

function checkOptionalBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TelemetryConfigError(`${name} must be true or false, got ${describe(value)}`);
  }
}

function checkOptionalString(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== "string") {
    throw new TelemetryConfigError(`${name} must be a string, got ${describe(value)}`);
  }
}

function envNumber(env: NodeJS.ProcessEnv, name: string): unknown {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s.trim();
}

function hasKeys(rec: Record<string, string>): boolean {
  return Object.keys(rec).length > 0;
}

function mapDefined<T, U>(v: T | undefined, f: (v: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

/** What `v` is, without its value: `a string`, `a number`, `null`, `an array`, `an object`... */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const t = typeof v;
  return t === "undefined" ? "undefined" : t === "object" ? "an object" : `a ${t}`;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v;
}
