/**
 * What `resolveTelemetryConfig()` found worth one warning at setup, besides invalid environment
 * values: environment variables that an option in code shadows (a tenant header in
 * `OTEL_EXPORTER_OTLP_LOGS_HEADERS` replaced by a top-level `headers` option, silently, would
 * get a 401), and base endpoints whose path already ends in `/v1/<signal>`, so the appended path
 * doubles it (`.../otlp/v1/logs/v1/logs`).
 */
import { redactText, redactUrl } from "../util/redact.js";
import type { Signal } from "./options.js";

export class SetupNotes {
  /** variable -> option -> signals (undefined: a setting of no signal, e.g. serviceName). */
  private readonly shadows = new Map<string, Map<string, Signal[]>>();
  private readonly doubled = new Map<string, string>();
  private readonly other: string[] = [];

  /** `variable` is set, but `option` in code decides `signal`'s value. */
  shadowed(variable: string, signal: Signal | undefined, option: string): void {
    let byOption = this.shadows.get(variable);
    if (!byOption) this.shadows.set(variable, (byOption = new Map()));
    const signals = byOption.get(option) ?? [];
    if (signal && !signals.includes(signal)) signals.push(signal);
    byOption.set(option, signals);
  }

  /** The base endpoint `endpoint` from `source` ends in `suffix` and gets `/v1/<signal>` appended. */
  doubledPath(
    source: string,
    endpoint: string,
    suffix: string,
    signal: Signal,
    finalUrl: string,
  ): void {
    if (this.doubled.has(source)) return;
    const trimmed = redactUrl(endpoint.replace(/\/+$/, "").slice(0, -suffix.length));
    const asIs = source.startsWith("OTEL_")
      ? `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`
      : source === "endpoint"
        ? `${signal}.url`
        : source.replace(/\.endpoint$/, ".url");
    this.doubled.set(
      source,
      `${source} "${redactUrl(endpoint)}" already ends in ${suffix}, and /v1/${signal} is appended to an endpoint: ${signal} go to ${redactUrl(finalUrl)}. ` +
        `Give the base "${trimmed}" as ${source}, or the full URL as ${asIs} (used as-is).`,
    );
  }

  add(message: string): void {
    this.other.push(message);
  }

  /** One message per shadowed variable and per doubled endpoint, then the others; redacted. */
  messages(): string[] {
    const out: string[] = [];
    for (const [variable, byOption] of this.shadows) {
      const parts = [...byOption].map(
        ([option, signals]) =>
          `${option} in code wins${signals.length > 0 ? ` for ${signals.join(", ")}` : ""}`,
      );
      const headers = /HEADERS$/.test(variable)
        ? " (headers are never merged across levels: give every header the signal needs in code)"
        : "";
      out.push(`${variable} is set but not used: ${parts.join("; ")}${headers}.`);
    }
    return [...out, ...this.doubled.values(), ...this.other].map((m) => redactText(m));
  }
}

/** OpenLLMetry (Traceloop) variables a migrating deployment may still set, and what replaces them. */
const TRACELOOP: ReadonlyArray<[string, string, (value: string) => string]> = [
  ["TRACELOOP_BASE_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", (v) => redactUrl(v)],
  ["TRACELOOP_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS", (v) => maskList(v)],
  ["TRACELOOP_API_KEY", "OTEL_EXPORTER_OTLP_HEADERS", () => "Authorization=Bearer%20<key>"],
  ["TRACELOOP_TRACE_CONTENT", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", (v) => v],
  ["TRACELOOP_METRICS_ENABLED", "OTEL_METRICS_EXPORTER", (v) => (isFalse(v) ? "none" : "otlp")],
  ["TRACELOOP_LOGGING_ENABLED", "OTEL_LOGS_EXPORTER", (v) => (isFalse(v) ? "none" : "otlp")],
  ["TRACELOOP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", (v) => redactUrl(v)],
  ["TRACELOOP_LOGGING_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", (v) => redactUrl(v)],
];

/**
 * One message per `TRACELOOP_*` variable set: this package reads only the OpenTelemetry ones, so
 * a deployment migrating from OpenLLMetry that still sets them would otherwise send nothing
 * where it expects, without a word.
 */
export function traceloopNotes(raw: (name: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const [name, replacement, map] of TRACELOOP) {
    const value = raw(name);
    if (value === undefined) continue;
    const inForce = raw(replacement) !== undefined ? ` (${replacement} is set, and used)` : "";
    out.push(
      `${name} is set, but langchain-opentelemetry reads only the OpenTelemetry variables: use ${replacement}=${map(value)}${inForce}.`,
    );
  }
  return out;
}

function maskList(value: string): string {
  return value
    .split(",")
    .map((entry) => {
      const eq = entry.indexOf("=");
      return eq <= 0 ? "***" : `${entry.slice(0, eq).trim()}=***`;
    })
    .join(",");
}

function isFalse(value: string): boolean {
  return value.trim().toLowerCase() === "false";
}
