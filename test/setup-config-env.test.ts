/**
 * Environment values never take the app down: an invalid one is reported once and ignored, as the
 * OpenTelemetry specification prescribes; a value that code overrides is not parsed at all (only
 * noted as shadowed); one numeric rule (integers in ms) for code and environment; an endpoint
 * whose path will be doubled is warned about at setup.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resolveTelemetryConfig } from "../src/setup/config.js";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { clearOtelEnv, snapshotEnv } from "./helpers/env.js";

let telemetry: TelemetryHandle | undefined;
let restoreEnv: (() => void) | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  restoreEnv?.();
  restoreEnv = undefined;
});

const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };

describe("invalid environment values are reported once and ignored", () => {
  // [variables, what the configuration falls back to, the warning]
  const cases: Array<
    [Record<string, string>, (c: ReturnType<typeof resolve>) => unknown, unknown, RegExp]
  > = [
    [
      { ...base, OTEL_EXPORTER_OTLP_HEADERS: "foo" },
      (c) => c.traces.headers,
      {},
      /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 \("f\*\*\*"\) is not key=value \(these entries are ignored\)$/,
    ],
    [
      { ...base, OTEL_EXPORTER_OTLP_HEADERS: "%ZZ" },
      (c) => c.logs.headers,
      {},
      /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 .* is not key=value/,
    ],
    [
      // A bad entry is skipped; the valid tenant header stays.
      { ...base, OTEL_EXPORTER_OTLP_LOGS_HEADERS: "X-Scope-OrgID=rca,Authorization=Bearer%ZZ" },
      (c) => c.logs.headers,
      { "X-Scope-OrgID": "rca" },
      /^OTEL_EXPORTER_OTLP_LOGS_HEADERS: entry 2 \(the value of Authorization\) is not valid percent-encoding/,
    ],
    [
      { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      (c) => c.metrics.protocol,
      "http/json",
      /^OTEL_EXPORTER_OTLP_PROTOCOL must be "http\/json" or "http\/protobuf", got "grpc" \(OTLP\/gRPC is not supported.*\(the variable is ignored\)$/,
    ],
    [
      // Invalid per-signal value: the generic one applies, as if the variable were unset.
      {
        ...base,
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      },
      (c) => c.logs.protocol,
      "http/protobuf",
      /^OTEL_EXPORTER_OTLP_LOGS_PROTOCOL must be/,
    ],
    [
      { ...base, OTEL_EXPORTER_OTLP_TIMEOUT: "-5" },
      (c) => c.traces.timeoutMillis,
      10000,
      /^OTEL_EXPORTER_OTLP_TIMEOUT must be an integer number of milliseconds > 0, got "-5" \(the variable is ignored\)$/,
    ],
    [
      // Never 2.5 ms (every export would "fail" though the backend got everything).
      { ...base, OTEL_EXPORTER_OTLP_TIMEOUT: "2.5" },
      (c) => c.logs.timeoutMillis,
      10000,
      /^OTEL_EXPORTER_OTLP_TIMEOUT must be an integer number of milliseconds > 0, got "2\.5"/,
    ],
    [
      { ...base, OTEL_METRIC_EXPORT_INTERVAL: "-1" },
      (c) => c.metricExportIntervalMillis,
      60000,
      /^OTEL_METRIC_EXPORT_INTERVAL must be an integer number of milliseconds > 0, got "-1"/,
    ],
    [
      { ...base, OTEL_EXPORTER_OTLP_COMPRESSION: "br" },
      (c) => c.traces.compression,
      "none",
      /^OTEL_EXPORTER_OTLP_COMPRESSION must be "gzip" or "none", got "br"/,
    ],
    [
      { ...base, OTEL_TRACES_EXPORTER: "zipkin" },
      (c) => [c.traces.enabled, c.traces.mode],
      [true, "otlp"],
      /^OTEL_TRACES_EXPORTER="zipkin": only otlp, console and none are supported \(zipkin ignored\)$/,
    ],
    [
      { ...base, OTEL_SDK_DISABLED: "yes" },
      (c) => c.traces.enabled,
      true,
      /^OTEL_SDK_DISABLED="yes" must be true or false/,
    ],
    [
      // The specification: a malformed OTEL_RESOURCE_ATTRIBUTES is discarded as a whole.
      { ...base, OTEL_RESOURCE_ATTRIBUTES: "team=a,broken" },
      (c) => c.resourceAttributes,
      { "service.name": "unknown_service:node" },
      /^OTEL_RESOURCE_ATTRIBUTES: entry 2 .* \(the variable is ignored\)$/,
    ],
  ];
  const resolve = (env: Record<string, string>) => resolveTelemetryConfig({}, env);
  for (const [env, read, expected, warning] of cases) {
    it(
      Object.entries(env)
        .slice(1)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
      () => {
        const c = resolve(env);
        expect(read(c)).toEqual(expected);
        expect(c.warnings).toHaveLength(1);
        expect(c.warnings[0]).toMatch(warning);
      },
    );
  }

  it("an unparsable endpoint turns that signal's export off (no data to a guessed default)", () => {
    const c = resolveTelemetryConfig(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "collector logs",
      },
    );
    // Not valid for logs: the generic endpoint applies, as if the variable were unset.
    expect(c.logs).toMatchObject({ enabled: true, url: "http://collector:4318/v1/logs" });
    const only = resolveTelemetryConfig(
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://tempo distributor:4318" },
    );
    expect([only.traces.enabled, only.metrics.enabled, only.logs.enabled]).toEqual([
      false,
      false,
      false,
    ]);
    expect(only.warnings).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT is not a valid URL: "http://tempo distributor:4318" (expected e.g. http://collector:4318) (the variable is ignored)',
      "traces export is off: its endpoint variable is invalid (see above) and no other endpoint is configured for traces.",
      "metrics export is off: its endpoint variable is invalid (see above) and no other endpoint is configured for metrics.",
      "logs export is off: its endpoint variable is invalid (see above) and no other endpoint is configured for logs.",
    ]);
  });

  it("setupTelemetry() never throws for any of these values; each is warned once", async () => {
    restoreEnv = snapshotEnv();
    clearOtelEnv();
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_HEADERS: "foo,%ZZ",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_ENDPOINT: "::not a url::",
      OTEL_EXPORTER_OTLP_TIMEOUT: "-5",
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "2.5",
      OTEL_TRACES_EXPORTER: "zipkin",
      OTEL_METRIC_EXPORT_INTERVAL: "-1",
      OTEL_EXPORTER_OTLP_COMPRESSION: "brotli",
      OTEL_RESOURCE_ATTRIBUTES: "=x",
      OTEL_SDK_DISABLED: "maybe",
    });
    const warnings: string[] = [];
    telemetry = setupTelemetry({ global: false, onWarning: (m) => warnings.push(m) });
    const variables = warnings.map((w) => /^(OTEL_[A-Z_]+)/.exec(w)?.[1]).filter(Boolean);
    expect(new Set(variables).size).toBe(variables.length);
    expect(variables.sort()).toEqual([
      "OTEL_EXPORTER_OTLP_COMPRESSION",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_TIMEOUT",
      "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
      "OTEL_METRIC_EXPORT_INTERVAL",
      "OTEL_RESOURCE_ATTRIBUTES",
      "OTEL_SDK_DISABLED",
      "OTEL_TRACES_EXPORTER",
    ]);
    expect(warnings).toContain(
      "traces export is off: its endpoint variable is invalid (see above) and no other endpoint is configured for traces.",
    );
  });
});

describe("values that code overrides", () => {
  it("are not parsed (no invalid-value warning) but noted as shadowed, per signal", () => {
    const c = resolveTelemetryConfig(
      { endpoint: "http://collector:4318", protocol: "http/protobuf", timeoutMillis: 3000 },
      { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_TIMEOUT: "2.5" },
    );
    expect(c.traces).toMatchObject({ protocol: "http/protobuf", timeoutMillis: 3000 });
    expect(c.warnings).toEqual([
      "OTEL_EXPORTER_OTLP_PROTOCOL is set but not used: protocol in code wins for traces, metrics, logs.",
      "OTEL_EXPORTER_OTLP_TIMEOUT is set but not used: timeoutMillis in code wins for traces, metrics, logs.",
    ]);
  });

  it("a top-level headers option shadowing OTEL_EXPORTER_OTLP_LOGS_HEADERS is warned (the 401 of the issue)", () => {
    const c = resolveTelemetryConfig(
      {
        headers: { Authorization: "Bearer t" },
        traces: { endpoint: "http://tempo:4318", headers: { "X-Scope-OrgID": "rca" } },
        logs: { endpoint: "http://loki:3100/otlp" },
      },
      {
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: "X-Scope-OrgID=rca",
        OTEL_EXPORTER_OTLP_HEADERS: "X-Other=1",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://elsewhere:4318/v1/traces",
        OTEL_SERVICE_NAME: "from-env",
      },
    );
    expect(c.logs.headers).toEqual({ Authorization: "Bearer t" });
    // OTEL_SERVICE_NAME is used (no serviceName in code): not noted.
    expect(c.warnings).toEqual([
      "OTEL_EXPORTER_OTLP_HEADERS is set but not used: traces.headers in code wins for traces; headers in code wins for metrics, logs (headers are never merged across levels: give every header the signal needs in code).",
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set but not used: traces.endpoint in code wins for traces.",
      "OTEL_EXPORTER_OTLP_LOGS_HEADERS is set but not used: headers in code wins for logs (headers are never merged across levels: give every header the signal needs in code).",
    ]);
  });

  it("notes OTEL_SERVICE_NAME, OTEL_METRIC_EXPORT_INTERVAL and OTEL_<SIGNAL>_EXPORTER overridden by code", () => {
    const c = resolveTelemetryConfig(
      {
        serviceName: "root_cause_analysis",
        metricExportIntervalMillis: 5000,
        endpoint: "http://c:4318",
        logs: false,
      },
      { OTEL_SERVICE_NAME: "svc", OTEL_METRIC_EXPORT_INTERVAL: "1000", OTEL_LOGS_EXPORTER: "otlp" },
    );
    expect(c.serviceName).toBe("root_cause_analysis");
    expect(c.metricExportIntervalMillis).toBe(5000);
    expect(c.warnings).toEqual([
      "OTEL_SERVICE_NAME is set but not used: serviceName in code wins.",
      "OTEL_LOGS_EXPORTER is set but not used: logs in code wins for logs.",
      "OTEL_METRIC_EXPORT_INTERVAL is set but not used: metricExportIntervalMillis in code wins.",
    ]);
  });

  it("a disabled signal's variables are not reported", () => {
    const c = resolveTelemetryConfig(
      { endpoint: "http://c:4318", logs: false },
      { OTEL_EXPORTER_OTLP_LOGS_HEADERS: "broken", OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: "x" },
    );
    expect(c.warnings).toEqual([]);
  });
});

describe("a path that will be doubled", () => {
  it("is warned at setup for logs.endpoint ending in /v1/logs and a full Prometheus URL as metrics.endpoint", () => {
    const c = resolveTelemetryConfig(
      {
        logs: { endpoint: "https://loki-gateway/otlp/v1/logs" },
        metrics: { endpoint: "http://prometheus:9090/api/v1/otlp/v1/metrics" },
        traces: { endpoint: "http://tempo:4318" },
      },
      {},
    );
    expect(c.logs.url).toBe("https://loki-gateway/otlp/v1/logs/v1/logs");
    expect(c.warnings).toEqual([
      'metrics.endpoint "http://prometheus:9090/api/v1/otlp/v1/metrics" already ends in /v1/metrics, and /v1/metrics is appended to an endpoint: metrics go to http://prometheus:9090/api/v1/otlp/v1/metrics/v1/metrics. Give the base "http://prometheus:9090/api/v1/otlp" as metrics.endpoint, or the full URL as metrics.url (used as-is).',
      'logs.endpoint "https://loki-gateway/otlp/v1/logs" already ends in /v1/logs, and /v1/logs is appended to an endpoint: logs go to https://loki-gateway/otlp/v1/logs/v1/logs. Give the base "https://loki-gateway/otlp" as logs.endpoint, or the full URL as logs.url (used as-is).',
    ]);
  });

  it("is warned once for OTEL_EXPORTER_OTLP_ENDPOINT ending in /v1/traces", () => {
    const c = resolveTelemetryConfig(
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/v1/traces" },
    );
    expect(c.warnings).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT "http://c:4318/v1/traces" already ends in /v1/traces, and /v1/traces is appended to an endpoint: traces go to http://c:4318/v1/traces/v1/traces. Give the base "http://c:4318" as OTEL_EXPORTER_OTLP_ENDPOINT, or the full URL as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as-is).',
    ]);
  });

  it("is not warned for a url (used as-is) or a base path", () => {
    const c = resolveTelemetryConfig(
      {
        logs: { url: "https://loki/otlp/v1/logs" },
        metrics: { endpoint: "http://p:9090/api/v1/otlp" },
      },
      {},
    );
    expect(c.warnings).toEqual([]);
  });
});
