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
