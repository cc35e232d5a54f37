import { describe, expect, it } from "vitest";
import {
  parseKeyValueList,
  resolveTelemetryConfig,
  TelemetryConfigError,
  type SetupTelemetryOptions,
} from "../src/setup/config.js";

const grafana: SetupTelemetryOptions = {
  serviceName: "root_cause_analysis",
  disableBatch: true,
  traces: { endpoint: "http://tempo-distributor:4318", headers: { "X-Scope-OrgID": "rca" } },
  metrics: {
    endpoint: "http://prometheus:9090/api/v1/otlp",
    headers: { "THANOS-TENANT": "platform-team" },
  },
  logs: { endpoint: "https://loki-gateway/otlp", headers: { "X-Scope-OrgID": "rca" } },
};

describe("resolveTelemetryConfig", () => {
  it("resolves the Grafana configuration: per-signal URL with base path kept, per-signal headers only", () => {
    const c = resolveTelemetryConfig(grafana, {});
    expect(c.serviceName).toBe("root_cause_analysis");
    expect(c.disableBatch).toBe(true);
    expect(c.traces).toEqual({
      signal: "traces",
      enabled: true,
      mode: "otlp",
      url: "http://tempo-distributor:4318/v1/traces",
      headers: { "X-Scope-OrgID": "rca" },
      protocol: "http/json",
      timeoutMillis: 10000,
      compression: "none",
    });
    expect(c.metrics.url).toBe("http://prometheus:9090/api/v1/otlp/v1/metrics");
    expect(c.metrics.headers).toEqual({ "THANOS-TENANT": "platform-team" });
    expect(c.logs.url).toBe("https://loki-gateway/otlp/v1/logs");
    expect(c.logs.headers).toEqual({ "X-Scope-OrgID": "rca" });
  });

  it("keeps OTEL_EXPORTER_OTLP_HEADERS away from signals that set their own headers", () => {
    const c = resolveTelemetryConfig(grafana, {
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20x",
    });
    expect(c.traces.headers).toEqual({ "X-Scope-OrgID": "rca" });
    expect(c.metrics.headers).toEqual({ "THANOS-TENANT": "platform-team" });
    expect(c.logs.headers).toEqual({ "X-Scope-OrgID": "rca" });
  });

  it("uses url as-is, without appending /v1/<signal>", () => {
    const c = resolveTelemetryConfig(
      { metrics: { url: "http://thanos-receive:19291/api/v1/otlp" } },
      {},
    );
    expect(c.metrics.url).toBe("http://thanos-receive:19291/api/v1/otlp");
  });

  it("does not double a trailing slash of an endpoint", () => {
    const c = resolveTelemetryConfig({ endpoint: "http://collector:4318/" }, {});
    expect(c.traces.url).toBe("http://collector:4318/v1/traces");
  });

  it("applies top-level endpoint and headers to every signal that does not set its own", () => {
    const c = resolveTelemetryConfig(
      { endpoint: "http://collector:4318", headers: { A: "1" }, logs: { headers: { B: "2" } } },
      {},
    );
    expect(c.traces).toMatchObject({ url: "http://collector:4318/v1/traces", headers: { A: "1" } });
    expect(c.metrics).toMatchObject({
      url: "http://collector:4318/v1/metrics",
      headers: { A: "1" },
    });
    expect(c.logs).toMatchObject({ url: "http://collector:4318/v1/logs", headers: { B: "2" } });
  });

  it("reads everything from the environment: service name, resource attributes, per-signal endpoints and headers, protocol, timeout, compression", () => {
    const c = resolveTelemetryConfig(undefined, {
      OTEL_SERVICE_NAME: "svc",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=a%3Db",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://thanos:19291/api/v1/otlp",
      OTEL_EXPORTER_OTLP_HEADERS: "X-Scope-OrgID=rca",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "THANOS-TENANT=platform-team",
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip",
    });
    expect(c.serviceName).toBe("svc");
    expect(c.resourceAttributes).toEqual({
      "deployment.environment.name": "prod",
      team: "a=b",
      "service.name": "svc",
    });
    expect(c.traces).toMatchObject({
      mode: "otlp",
      url: "http://collector:4318/v1/traces",
      headers: { "X-Scope-OrgID": "rca" },
      compression: "gzip",
      timeoutMillis: 2500,
    });
    // The signal-specific endpoint variable is used as-is; its headers replace the generic ones.
    expect(c.metrics).toMatchObject({
      url: "http://thanos:19291/api/v1/otlp",
      headers: { "THANOS-TENANT": "platform-team" },
      compression: "none",
    });
    expect(c.metrics.headers).not.toHaveProperty("X-Scope-OrgID");
    expect(c.logs).toMatchObject({
      url: "http://collector:4318/v1/logs",
      protocol: "http/protobuf",
    });
  });

  it("lets explicit options win over the environment", () => {
    const c = resolveTelemetryConfig(
      {
        serviceName: "opt",
        traces: { url: "http://opt:4318/v1/traces", headers: { O: "1" }, timeoutMillis: 100 },
      },
      {
        OTEL_SERVICE_NAME: "env",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env:4318/v1/traces",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "E=1",
        OTEL_EXPORTER_OTLP_TIMEOUT: "999",
      },
    );
    expect(c.serviceName).toBe("opt");
    expect(c.traces).toMatchObject({
      url: "http://opt:4318/v1/traces",
      headers: { O: "1" },
      timeoutMillis: 100,
    });
  });

  it("falls back to the console default only when no endpoint is configured anywhere", () => {
    const none = resolveTelemetryConfig({}, {});
    expect([none.traces.mode, none.metrics.mode, none.logs.mode]).toEqual([
      "console",
      "console",
      "console",
    ]);
    expect(none.traces.url).toBeUndefined();
    const one = resolveTelemetryConfig({ traces: { endpoint: "http://tempo:4318" } }, {});
    expect(one.traces).toMatchObject({ mode: "otlp", url: "http://tempo:4318/v1/traces" });
    // Another signal configured: the OpenTelemetry default URL, never silently the console.
    expect(one.metrics).toMatchObject({ mode: "otlp", url: "http://localhost:4318/v1/metrics" });
  });

  it("turns signals off with false, OTEL_<SIGNAL>_EXPORTER=none and OTEL_SDK_DISABLED", () => {
    const c = resolveTelemetryConfig(
      { endpoint: "http://c:4318", metrics: false },
      { OTEL_LOGS_EXPORTER: "none" },
    );
    expect([c.traces.enabled, c.metrics.enabled, c.logs.enabled]).toEqual([true, false, false]);
    const d = resolveTelemetryConfig(
      { endpoint: "http://c:4318", traces: { headers: { a: "b" } } },
      { OTEL_SDK_DISABLED: "true" },
    );
    expect([d.traces.enabled, d.metrics.enabled, d.logs.enabled]).toEqual([false, false, false]);
  });

  it("honours OTEL_<SIGNAL>_EXPORTER=console, and an explicit signal option over it", () => {
    const c = resolveTelemetryConfig(
      { endpoint: "http://c:4318", logs: { headers: { a: "b" } } },
      { OTEL_TRACES_EXPORTER: "console", OTEL_LOGS_EXPORTER: "console" },
    );
    expect(c.traces.mode).toBe("console");
    expect(c.logs.mode).toBe("otlp");
  });

  it("takes an exporter instance as mode custom", () => {
    const exporter = { export() {}, shutdown: async () => {} };
    const c = resolveTelemetryConfig({ traces: { exporter } }, {});
    expect(c.traces.mode).toBe("custom");
    expect(c.traces.exporter).toBe(exporter);
  });

  describe("invalid input names the option", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      [
        "malformed URL",
        { traces: { endpoint: "http://tempo distributor:4318" } },
        /traces\.endpoint is not a valid URL/,
      ],
      [
        "URL without scheme",
        { traces: { endpoint: "tempo-distributor:4318" } },
        /traces\.endpoint must be an http:\/\/ or https:\/\/ URL, got "tempo-distributor:4318" \(missing "http:\/\/"\?\)/,
      ],
      ["non-http URL", { endpoint: "grpc://c:4317" }, /endpoint must be an http/],
      [
        "header value not a string",
        { logs: { headers: { "X-Scope-OrgID": 42 } } },
        /logs\.headers\["X-Scope-OrgID"\] must be a string/,
      ],
      [
        "invalid header name",
        { headers: { "bad header": "x" } },
        /headers: "bad header" is not a valid HTTP header name/,
      ],
      [
        "unknown protocol",
        { metrics: { protocol: "grpc" } },
        /metrics\.protocol must be "http\/json" or "http\/protobuf", got "grpc"/,
      ],
      ["unknown compression", { compression: "br" }, /compression must be "gzip" or "none"/],
      [
        "bad timeout",
        { timeoutMillis: -1 },
        /timeoutMillis must be an integer number of milliseconds > 0, got -1/,
      ],
      [
        "fractional timeout (integers in ms, as for the environment)",
        { traces: { timeoutMillis: 2.5 } },
        /traces\.timeoutMillis must be an integer number of milliseconds > 0, got 2\.5/,
      ],
      [
        "fractional metric interval",
        { metricExportIntervalMillis: 1500.5 },
        /metricExportIntervalMillis must be an integer number of milliseconds > 0/,
      ],
      ["queue size not an integer", { maxQueueSize: 0 }, /maxQueueSize must be an integer > 0/],
      [
        "shutdown bound",
        { shutdownTimeoutMillis: -1 },
        /shutdownTimeoutMillis must be an integer number of milliseconds > 0/,
      ],
      [
        "url and endpoint both",
        { traces: { url: "http://a/v1/traces", endpoint: "http://a" } },
        /traces\.url and traces\.endpoint are mutually exclusive/,
      ],
      ["unknown option", { metric: {} }, /unknown option metric/],
      [
        "unknown signal option",
        { traces: { endpiont: "http://a" } },
        /unknown option traces\.endpiont/,
      ],
      ["signal not an object", { traces: true }, /traces must be an options object or false/],
    ];
    for (const [name, options, message] of cases) {
      it(name, () => {
        expect(() => resolveTelemetryConfig(options as SetupTelemetryOptions, {})).toThrow(
          TelemetryConfigError,
        );
        expect(() => resolveTelemetryConfig(options as SetupTelemetryOptions, {})).toThrow(message);
      });
    }
    it("invalid environment variables are named in warnings, never thrown (see setup-config-env.test.ts)", () => {
      const c = resolveTelemetryConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
      expect(c.warnings).toEqual([
        'OTEL_EXPORTER_OTLP_PROTOCOL must be "http/json" or "http/protobuf", got "grpc" (OTLP/gRPC is not supported: use port 4318 with http/protobuf or http/json) (the variable is ignored)',
      ]);
    });
  });
});

describe("parseKeyValueList", () => {
  it("keeps '=' inside values and percent-decodes", () => {
    expect(parseKeyValueList("Authorization=Basic%20dXNlcjpwYXNz==, X-A = b ", "X")).toEqual({
      Authorization: "Basic dXNlcjpwYXNz==",
      "X-A": "b",
    });
  });
});
