/**
 * Checking single configuration values, for `resolveTelemetryConfig()`.
 *
 * Two rules, one per source:
 * - an invalid option in **code** is a programming error: {@link TelemetryConfigError} at startup,
 *   naming the option;
 * - an invalid **environment** value is reported once and ignored (read as unset), as the
 *   OpenTelemetry specification prescribes for environment variables: {@link EnvReader}.
 *
 * Both check with the same functions, so a value is valid in code exactly when it is valid in the
 * environment. Numbers follow the specification's rule for durations and sizes: integers (> 0
 * here); `2.5` is invalid, never read as 2.5 ms.
 */
import { maskHeaderValue, redactText, redactUrl } from "../util/redact.js";
import type { OtlpCompression, OtlpProtocol } from "./options.js";

/** Thrown by `resolveTelemetryConfig()` (and so by `setupTelemetry()`) for an invalid option in code; the message names it. */
export class TelemetryConfigError extends Error {
  constructor(message: string) {
    // Messages quote the offending value: a URL in it is redacted (userinfo, credential parameters).
    super(redactText(message));
    this.name = "TelemetryConfigError";
  }
}

const PROTOCOLS: readonly string[] = ["http/json", "http/protobuf"];
const COMPRESSIONS: readonly string[] = ["gzip", "none"];
// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Throws when `obj` has a key outside `known` (a typo such as `endpiont`). */
export function checkKnownKeys(obj: object, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      throw new TelemetryConfigError(
        `unknown option ${prefix}${key} (known: ${[...known].map((k) => prefix + k).join(", ")})`,
      );
    }
  }
}

/** An http(s) URL string, or undefined. */
export function checkUrl(value: unknown, name: string): string | undefined {
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

/** A record of header names to string values, names and values checked. */
export function checkHeaders(value: unknown, name: string): Record<string, string> | undefined {
  // Header values are credentials: a wrong one is named by its kind, never quoted.
  const rec = checkStringRecord(value, name, kindOf);
  if (rec) for (const [k, v] of Object.entries(rec)) checkHeader(k, v, name);
  return rec;
}

/** A record of string values (resource attributes, headers). */
export function checkStringRecord(
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

function checkHeader(key: string, value: string, name: string): void {
  if (!HEADER_NAME.test(key))
    throw new TelemetryConfigError(`${name}: "${key}" is not a valid HTTP header name`);
  if (/[\r\n\0]/.test(value))
    throw new TelemetryConfigError(`${name}["${key}"] contains a line break or NUL`);
}

export function checkProtocol(value: unknown, name: string): OtlpProtocol | undefined {
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

export function checkCompression(value: unknown, name: string): OtlpCompression | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !COMPRESSIONS.includes(value)) {
    throw new TelemetryConfigError(`${name} must be "gzip" or "none", got ${describe(value)}`);
  }
  return value as OtlpCompression;
}

/** A duration: an integer number of milliseconds > 0 (the specification's rule, code and environment alike). */
export function checkMillis(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new TelemetryConfigError(
      `${name} must be an integer number of milliseconds > 0, got ${describe(value)}`,
    );
  }
  return value;
}

/** A count (queue size): an integer > 0. */
export function checkCount(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new TelemetryConfigError(`${name} must be an integer > 0, got ${describe(value)}`);
  }
  return value;
}

export function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TelemetryConfigError(`${name} must be true or false, got ${describe(value)}`);
  }
  return value;
}

export function checkString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TelemetryConfigError(`${name} must be a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * Parses the `key=value,key2=value2` format of `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_RESOURCE_ATTRIBUTES`: values are percent-decoded and may contain `=` (only the first `=`
 * separates key and value). An invalid entry throws a {@link TelemetryConfigError}, unless
 * `onInvalid` is given: then it is passed the message and the entry is skipped.
 */
export function parseKeyValueList(
  raw: string | undefined,
  name: string,
  onInvalid?: (message: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw.trim() === "") return out;
  raw.split(",").forEach((entry, i) => {
    if (entry.trim() === "") return;
    try {
      const [key, value] = parseEntry(entry, `${name}: entry ${i + 1}`);
      out[key] = value;
    } catch (error) {
      if (!onInvalid || !(error instanceof TelemetryConfigError)) throw error;
      onInvalid(error.message);
    }
  });
  return out;
}

function parseEntry(entry: string, where: string): [string, string] {
  // The entries are header values (credentials): an error names the entry by position, masked.
  const eq = entry.indexOf("=");
  if (eq <= 0)
    throw new TelemetryConfigError(
      `${where} ("${maskHeaderValue(entry.trim())}") is not key=value`,
    );
  const rawKey = entry.slice(0, eq).trim();
  const key = decode(rawKey, `${where} (key "${maskHeaderValue(rawKey)}")`);
  return [key, decode(entry.slice(eq + 1).trim(), `${where} (the value of ${key})`)];
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new TelemetryConfigError(`${what} is not valid percent-encoding`);
  }
}

/** What `v` is, without its value: `a string`, `a number`, `null`, `an array`, `an object`... */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const t = typeof v;
  return t === "undefined" ? "undefined" : t === "object" ? "an object" : `a ${t}`;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v;
}

/** The exporter names `OTEL_<SIGNAL>_EXPORTER` may list here. */
export type ExporterSelection = "otlp" | "console" | "none";

/**
 * Reads environment variables the way the OpenTelemetry specification prescribes: an invalid
 * value is reported (once per variable, see {@link EnvReader.problems}) and read as unset, so the
 * next source or the default applies. Never throws.
 */
export class EnvReader {
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** When false, problems are not recorded (a disabled signal's variables). */
    private readonly reporting = true,
  ) {}

  /** The same environment, without reporting (for values nobody will use). */
  quiet(): EnvReader {
    return new EnvReader(this.env, false);
  }

  /** The trimmed value; undefined when unset or blank. */
  raw(name: string): string | undefined {
    const s = this.env[name];
    return s === undefined || s.trim() === "" ? undefined : s.trim();
  }

  /** The value after `check`; an invalid value is reported and read as unset. */
  checked<T>(name: string, check: (value: unknown, name: string) => T | undefined): T | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.attempt(name, () => check(raw, name));
  }

  /** An integer setting: digits only (`2.5`, `-5`, `1e3` are invalid). */
  integer(name: string, check: (value: unknown, name: string) => number | undefined) {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    return this.attempt(name, () => check(/^\d+$/.test(raw) ? Number(raw) : raw, name));
  }

  /** `true` / `false` (any case); anything else is reported and read as unset. */
  boolean(name: string): boolean | undefined {
    const raw = this.raw(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (raw === "true" || raw === "false") return raw === "true";
    this.report(name, `${name}=${JSON.stringify(this.raw(name))} must be true or false`);
    return undefined;
  }

  /**
   * A key=value list. Header lists skip an invalid entry (reported) and keep the rest;
   * `wholeOrNothing` (resource attributes, as the specification says) discards the variable.
   */
  keyValues(name: string, kind: "headers" | "wholeOrNothing"): Record<string, string> {
    const problems: string[] = [];
    const values = parseKeyValueList(this.raw(name), name, (m) => problems.push(m));
    if (kind === "headers") {
      for (const [k, v] of Object.entries(values)) {
        try {
          checkHeader(k, v, name);
        } catch (error) {
          problems.push((error as Error).message);
          delete values[k];
        }
      }
    }
    if (problems.length === 0) return values;
    const what = kind === "headers" ? "these entries are ignored" : "the variable is ignored";
    this.report(name, `${problems.join("; ")} (${what})`, true);
    return kind === "headers" ? values : {};
  }

  /** `OTEL_<SIGNAL>_EXPORTER`: unknown names (`zipkin`, ...) are reported and skipped. */
  exporters(name: string): ExporterSelection | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const values = raw.split(",").map((v) => v.trim().toLowerCase());
    const unknown = values.filter((v) => v !== "" && !["otlp", "console", "none"].includes(v));
    if (unknown.length > 0) {
      this.report(
        name,
        `${name}="${raw}": only otlp, console and none are supported (${unknown.join(", ")} ignored)`,
        true,
      );
    }
    for (const v of ["otlp", "console", "none"] as const) if (values.includes(v)) return v;
    return undefined;
  }

  /** Every problem reported, one message per variable. */
  get problems(): string[] {
    return [...this.reported.values()];
  }

  private attempt<T>(name: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      this.report(name, (error as Error).message);
      return undefined;
    }
  }

  private report(name: string, problem: string, complete = false): void {
    if (!this.reporting || this.reported.has(name)) return;
    this.reported.set(
      name,
      redactText(complete ? problem : `${problem} (the variable is ignored)`),
    );
  }
}
