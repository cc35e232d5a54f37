/**
 * Resolves {@link SetupTelemetryOptions} plus the standard OpenTelemetry environment variables into
 * one fully decided configuration per signal. Pure: reads only the `env` object it is given, never
 * the network, never the SDK. `setupTelemetry()` and the `doctor` both build on it, so what the
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
 *
 * Invalid options in code throw {@link TelemetryConfigError}; invalid environment values never
 * throw: they are listed in `warnings` and ignored (see `config-values.ts`). So are environment
 * variables that an option in code shadows, and endpoints whose path would be doubled.
 */
import { maskHeaders, redactUrl } from "../util/redact.js";
import {
  checkCompression,
  checkMillis,
  checkProtocol,
  checkUrl,
  EnvReader,
} from "./config-values.js";
import { checkTopLevel, type TopLevel } from "./config-code.js";
import { SetupNotes, traceloopNotes } from "./config-notes.js";
import type {
  ResolvedSignalConfig,
  ResolvedTelemetryConfig,
  SetupTelemetryOptions,
  Signal,
  SignalOptions,
} from "./options.js";

export type * from "./options.js";
export { parseKeyValueList, TelemetryConfigError } from "./config-values.js";

/** The URL the OpenTelemetry exporters use when nothing is configured. */
const DEFAULT_OTLP_BASE_URL = "http://localhost:4318";
const DEFAULT_TIMEOUT_MILLIS = 10_000;
const DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS = 60_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5_000;
/** Turns the startup endpoint check off (`false`); the `startupCheck` option wins over it. */
export const STARTUP_CHECK_ENV = "LANGCHAIN_OPENTELEMETRY_STARTUP_CHECK";
const SIGNALS: readonly Signal[] = ["traces", "metrics", "logs"];
const SIGNAL_ENV: Record<Signal, string> = { traces: "TRACES", metrics: "METRICS", logs: "LOGS" };

/** What every signal's resolution reads. */
interface Context {
  options: SetupTelemetryOptions;
  top: TopLevel;
  env: EnvReader;
  notes: SetupNotes;
  sdkDisabled: boolean;
  /** An endpoint is configured somewhere (code or environment, valid or not). */
  anyEndpoint: boolean;
}

/**
 * Resolves options and environment into one configuration per signal.
 *
 * @param options What the caller passed to `setupTelemetry()`.
 * @param env The environment to read (default `process.env`); tests pass a copy.
 * @throws TelemetryConfigError naming the option when an option in code is invalid. Environment
 * values never throw: an invalid one is listed in `warnings` and ignored.
 */
export function resolveTelemetryConfig(
  options: SetupTelemetryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTelemetryConfig {
  const top = checkTopLevel(options);
  const reader = new EnvReader(env);
  const notes = new SetupNotes();
  const ctx: Context = {
    options,
    top,
    env: reader,
    notes,
    sdkDisabled: reader.boolean("OTEL_SDK_DISABLED") === true,
    anyEndpoint: anyEndpoint(options, top, reader),
  };
  const { serviceName, resourceAttributes } = resolveResource(ctx);
  const traces = resolveSignal(ctx, "traces");
  const metrics = resolveSignal(ctx, "metrics");
  const logs = resolveSignal(ctx, "logs");
  const metricExportIntervalMillis =
    fromCodeOrEnv(ctx, "metricExportIntervalMillis", "OTEL_METRIC_EXPORT_INTERVAL", (v) =>
      reader.integer(v, checkMillis),
    ) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS;
  const startupCheck =
    fromCodeOrEnv(ctx, "startupCheck", STARTUP_CHECK_ENV, (v) => reader.boolean(v)) ?? true;
  return {
    serviceName,
    resourceAttributes,
    disableBatch: options.disableBatch ?? false,
    traces,
    metrics,
    logs,
    metricExportIntervalMillis,
    shutdownTimeoutMillis: options.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
    startupCheck,
    warnings: [...reader.problems, ...notes.messages(), ...traceloopNotes((v) => reader.raw(v))],
    invalidEnvironment: reader.problems,
  };
}

/**
 * The embedded console default applies only when no endpoint is configured anywhere, for any
 * signal: once one is set, a signal without its own goes to the OpenTelemetry default URL (and
 * a refused connection there is reported), never silently to the console in production.
 */
function anyEndpoint(options: SetupTelemetryOptions, top: TopLevel, env: EnvReader): boolean {
  if (top.endpoint !== undefined || env.raw("OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined)
    return true;
  return SIGNALS.some((s) => {
    const o = options[s];
    return (
      (o && (o.url !== undefined || o.endpoint !== undefined)) ||
      env.raw(`OTEL_EXPORTER_OTLP_${SIGNAL_ENV[s]}_ENDPOINT`) !== undefined
    );
  });
}

function resolveResource(ctx: Context): {
  serviceName: string;
  resourceAttributes: Record<string, string>;
} {
  const { options, env } = ctx;
  const envResource = env.keyValues("OTEL_RESOURCE_ATTRIBUTES", "wholeOrNothing");
  const optionResource = options.resourceAttributes;
  const serviceName =
    nonEmpty(fromCodeOrEnv(ctx, "serviceName", "OTEL_SERVICE_NAME", (v) => env.raw(v))) ??
    nonEmpty(optionResource?.["service.name"]) ??
    nonEmpty(envResource["service.name"]) ??
    "unknown_service:node";
  return {
    serviceName,
    resourceAttributes: { ...envResource, ...optionResource, "service.name": serviceName },
  };
}

/** A top-level option, else its environment variable (noted as shadowed when both are set). */
function fromCodeOrEnv<K extends keyof SetupTelemetryOptions, T>(
  ctx: Context,
  option: K,
  variable: string,
  read: (variable: string) => T | undefined,
): SetupTelemetryOptions[K] | T | undefined {
  const value = ctx.options[option];
  if (value === undefined) return read(variable);
  if (ctx.env.raw(variable) !== undefined) ctx.notes.shadowed(variable, undefined, option);
  return value;
}

function resolveSignal(ctx: Context, signal: Signal): ResolvedSignalConfig {
  const raw = ctx.options[signal];
  const sig = raw === false ? undefined : raw;
  const selectorVar = `OTEL_${SIGNAL_ENV[signal]}_EXPORTER`;
  const selection = raw === undefined ? ctx.env.exporters(selectorVar) : undefined;
  if (raw !== undefined && ctx.env.raw(selectorVar) !== undefined) {
    const wanted = ctx.env.quiet().exporters(selectorVar);
    if (wanted !== undefined && wanted !== (raw === false ? "none" : "otlp"))
      ctx.notes.shadowed(selectorVar, signal, raw === false ? signal : `${signal} options`);
  }
  const disabled = ctx.sdkDisabled || raw === false || selection === "none";
  // A disabled signal's variables are nobody's concern: read without reporting.
  const sub: Context = disabled ? { ...ctx, env: ctx.env.quiet(), notes: new SetupNotes() } : ctx;
  const base = { signal, ...resolveFields(sub, signal, sig) };
  if (disabled) {
    return printable({ ...base, enabled: false, mode: ctx.anyEndpoint ? "otlp" : "console" });
  }
  if (sig?.exporter !== undefined) {
    for (const v of endpointVars(signal))
      if (ctx.env.raw(v) !== undefined) ctx.notes.shadowed(v, signal, `${signal}.exporter`);
    return printable({ ...base, enabled: true, mode: "custom", exporter: sig.exporter });
  }
  if (sig === undefined && selection === "console")
    return printable({ ...base, enabled: true, mode: "console" });
  return printable({ ...base, ...resolveUrl(ctx, signal, sig) });
}

/** Headers, protocol, timeout and compression of one signal. */
function resolveFields(ctx: Context, signal: Signal, sig: SignalOptions | undefined) {
  const { top, env } = ctx;
  const vars = (suffix: string) => [
    `OTEL_EXPORTER_OTLP_${SIGNAL_ENV[signal]}_${suffix}`,
    `OTEL_EXPORTER_OTLP_${suffix}`,
  ];
  const pick = <T>(field: string, code: Array<T | undefined>, suffix: string, read: Read<T>) =>
    firstSet(ctx, signal, [`${signal}.${field}`, field], code.map(lazy), vars(suffix), read);
  const headers = pick("headers", [sig?.headers, top.headers], "HEADERS", (v) => {
    const h = env.keyValues(v, "headers");
    return Object.keys(h).length > 0 ? h : undefined;
  });
  return {
    headers: { ...headers },
    protocol:
      pick("protocol", [sig?.protocol, top.protocol], "PROTOCOL", (v) =>
        env.checked(v, checkProtocol),
      ) ?? "http/json",
    timeoutMillis:
      pick("timeoutMillis", [sig?.timeoutMillis, top.timeoutMillis], "TIMEOUT", (v) =>
        env.integer(v, checkMillis),
      ) ?? DEFAULT_TIMEOUT_MILLIS,
    compression:
      pick("compression", [sig?.compression, top.compression], "COMPRESSION", (v) =>
        env.checked(v, checkCompression),
      ) ?? "none",
  };
}

type Read<T> = (variable: string) => T | undefined;

function lazy<T>(value: T | undefined): (() => T) | undefined {
  return value === undefined ? undefined : () => value;
}

/**
 * The first code level that is set wins (every variable of the field that is set too is noted as
 * shadowed, and not parsed); else the first variable with a valid value.
 */
function firstSet<T>(
  ctx: Context,
  signal: Signal,
  names: readonly string[],
  code: ReadonlyArray<(() => T) | undefined>,
  variables: readonly string[],
  read: Read<T>,
): T | undefined {
  const i = code.findIndex((v) => v !== undefined);
  if (i === -1) {
    for (const v of variables) {
      const value = read(v);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  for (const v of variables)
    if (ctx.env.raw(v) !== undefined) ctx.notes.shadowed(v, signal, names[i]);
  return code[i]?.();
}

function endpointVars(signal: Signal): [string, string] {
  return [`OTEL_EXPORTER_OTLP_${SIGNAL_ENV[signal]}_ENDPOINT`, "OTEL_EXPORTER_OTLP_ENDPOINT"];
}

/** Mode and URL of an OTLP signal: the endpoint options, then variables, then the default. */
function resolveUrl(
  ctx: Context,
  signal: Signal,
  sig: SignalOptions | undefined,
): Pick<ResolvedSignalConfig, "enabled" | "mode" | "url"> {
  const [sigVar, genericVar] = endpointVars(signal);
  const base = (endpoint: string | undefined, source: string) =>
    endpoint === undefined ? undefined : () => appendSignalPath(ctx, endpoint, signal, source);
  const url = firstSet(
    ctx,
    signal,
    [`${signal}.url`, `${signal}.endpoint`, "endpoint"],
    [lazy(sig?.url), base(sig?.endpoint, `${signal}.endpoint`), base(ctx.top.endpoint, "endpoint")],
    [sigVar, genericVar],
    (v) => {
      const value = ctx.env.checked(v, checkUrl);
      return v === sigVar ? value : base(value, v)?.();
    },
  );
  if (url !== undefined) return { enabled: true, mode: "otlp", url };
  if (ctx.env.raw(sigVar) !== undefined || ctx.env.raw(genericVar) !== undefined) {
    // The operator pointed this signal somewhere, unusably: no data to a guessed default instead.
    ctx.notes.add(
      `${signal} export is off: its endpoint variable is invalid (see above) and no other endpoint is configured for ${signal}.`,
    );
    return { enabled: false, mode: "otlp" };
  }
  if (!ctx.anyEndpoint) return { enabled: true, mode: "console" };
  return { enabled: true, mode: "otlp", url: `${DEFAULT_OTLP_BASE_URL}/v1/${signal}` };
}

/** `endpoint` + `/v1/<signal>`, keeping the endpoint's base path (a trailing slash is not doubled). */
function appendSignalPath(ctx: Context, endpoint: string, signal: Signal, source: string): string {
  const u = new URL(endpoint);
  const basePath = u.pathname.replace(/\/+$/, "");
  u.pathname = `${basePath}/v1/${signal}`;
  const doubled = /\/v1\/(traces|metrics|logs)$/.exec(basePath);
  if (doubled) ctx.notes.doubledPath(source, endpoint, doubled[0], signal, u.href);
  return u.href;
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

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s.trim();
}
