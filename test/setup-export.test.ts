/**
 * setupTelemetry() end to end against the OTLP receiver: the Grafana-style configuration of
 * issue 3, environment-only configuration, `url` as-is, signals turned off, protobuf, and the
 * OTLP JSON encoding of what arrives.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { snapshotEnv } from "./helpers/env.js";
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedRequest,
} from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";
import {
  base64ToHex,
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeTraceRequest,
} from "./helpers/otlp-proto.js";

let receiver: OtlpReceiver;
let telemetry: TelemetryHandle | undefined;
let warnings: string[];
const restoreEnv = snapshotEnv();

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  warnings = [];
});

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver.close();
  restoreEnv();
});

const onWarning = (m: string) => warnings.push(m);

function grafanaOptions(base: string) {
  return {
    serviceName: "root_cause_analysis",
    disableBatch: true,
    traces: { endpoint: base, headers: { "X-Scope-OrgID": "rca" } },
    metrics: { endpoint: `${base}/api/v1/otlp`, headers: { "THANOS-TENANT": "platform-team" } },
    logs: { endpoint: `${base}/otlp`, headers: { "X-Scope-OrgID": "rca" } },
    onWarning,
  };
}

type OtlpAttr = { key: string; value: Record<string, unknown> };
const attr = (attrs: OtlpAttr[] | undefined, key: string) =>
  attrs?.find((a) => a.key === key)?.value;
const spansOf = (reqs: ReceivedRequest[]) =>
  reqs.flatMap((r) =>
    r.json.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)),
  );
const metricsOf = (reqs: ReceivedRequest[]) =>
  reqs.flatMap((r) =>
    r.json.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics)),
  );
const logRecordsOf = (reqs: ReceivedRequest[]) =>
  reqs.flatMap((r) =>
    r.json.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords)),
  );

describe("setupTelemetry with the Grafana configuration of issue 3", () => {
  it("sends each signal to its own path with only its own headers, even with OTEL_EXPORTER_OTLP_HEADERS set", async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "Leak=generic";
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = "Leak-Traces=1";
    telemetry = setupTelemetry(grafanaOptions(receiver.url));
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();

    const traces = receiver.requestsTo("/v1/traces");
    const metrics = receiver.requestsTo("/api/v1/otlp/v1/metrics");
    const logs = receiver.requestsTo("/otlp/v1/logs");
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(0);
    expect(receiver.requests.length).toBe(traces.length + metrics.length + logs.length);

    for (const r of traces) {
      expect(r.headers["x-scope-orgid"]).toBe("rca");
      expect(r.headers).not.toHaveProperty("thanos-tenant");
    }
    for (const r of metrics) {
      expect(r.headers["thanos-tenant"]).toBe("platform-team");
      expect(r.headers).not.toHaveProperty("x-scope-orgid");
    }
    for (const r of logs) {
      expect(r.headers["x-scope-orgid"]).toBe("rca");
      expect(r.headers).not.toHaveProperty("thanos-tenant");
    }
    for (const r of receiver.requests) {
      expect(r.method).toBe("POST");
      expect(r.contentType).toBe("application/json");
      expect(r.headers).not.toHaveProperty("leak");
      expect(r.headers).not.toHaveProperty("leak-traces");
    }
    // The variables were not used: said once at setup, nothing else.
    expect(warnings).toEqual([
      "OTEL_EXPORTER_OTLP_TRACES_HEADERS is set but not used: traces.headers in code wins for traces (headers are never merged across levels: give every header the signal needs in code).",
      "OTEL_EXPORTER_OTLP_HEADERS is set but not used: traces.headers in code wins for traces; metrics.headers in code wins for metrics; logs.headers in code wins for logs (headers are never merged across levels: give every header the signal needs in code).",
    ]);
  });

  it("produces one trace, the two GenAI histograms and log records correlated with it, in the OTLP JSON encoding", async () => {
    telemetry = setupTelemetry(grafanaOptions(receiver.url));
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();

    const traceReqs = receiver.requestsTo("/v1/traces");
    // Resource: service.name as a typed string value.
    for (const r of traceReqs) {
      expect(attr(r.json.resourceSpans[0].resource.attributes, "service.name")).toEqual({
        stringValue: "root_cause_analysis",
      });
      // The default resource is kept, not replaced.
      expect(attr(r.json.resourceSpans[0].resource.attributes, "telemetry.sdk.language")).toEqual({
        stringValue: "nodejs",
      });
    }
    const spans = spansOf(traceReqs);
    expect(spans.length).toBeGreaterThanOrEqual(2);
    for (const s of spans) {
      // camelCase field names, hex ids, nanosecond timestamps
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(s).not.toHaveProperty("trace_id");
      expect(String(s.startTimeUnixNano)).toMatch(/^\d{19}$/);
      expect(String(s.endTimeUnixNano)).toMatch(/^\d{19}$/);
      expect(typeof s.kind).toBe("number");
      for (const a of s.attributes ?? []) {
        expect(Object.keys(a.value).length).toBe(1);
        expect(Object.keys(a.value)[0]).toMatch(
          /^(stringValue|intValue|doubleValue|boolValue|arrayValue|kvlistValue|bytesValue)$/,
        );
      }
    }
    const traceIds = new Set(spans.map((s: any) => s.traceId));
    expect(traceIds.size).toBe(1);
    const [traceId] = [...traceIds];
    const roots = spans.filter((s: any) => !s.parentSpanId);
    expect(roots.length).toBe(1);
    const chat = spans.find((s: any) => String(s.name).startsWith("chat"));
    expect(chat).toBeDefined();
    expect(chat.kind).toBe(3); // SPAN_KIND_CLIENT
    const ids = new Set(spans.map((s: any) => s.spanId));
    for (const s of spans) if (s.parentSpanId) expect(ids.has(s.parentSpanId)).toBe(true);
    expect(attr(chat.attributes, "gen_ai.operation.name")).toEqual({ stringValue: "chat" });
    const inputTokens = attr(chat.attributes, "gen_ai.usage.input_tokens") as { intValue: unknown };
    expect(Number(inputTokens.intValue)).toBe(10);

    const metrics = metricsOf(receiver.requestsTo("/api/v1/otlp/v1/metrics"));
    const duration = metrics.find((m: any) => m.name === "gen_ai.client.operation.duration");
    const tokens = metrics.find((m: any) => m.name === "gen_ai.client.token.usage");
    expect(duration?.unit).toBe("s");
    expect(duration?.histogram.aggregationTemporality).toBe(2); // CUMULATIVE
    expect(tokens?.histogram.aggregationTemporality).toBe(2);
    const tokenSums = Object.fromEntries(
      tokens.histogram.dataPoints.map((dp: any) => [
        attr(dp.attributes, "gen_ai.token.type")?.stringValue,
        dp.sum,
      ]),
    );
    expect(tokenSums).toEqual({ input: 10, output: 5 });

    const records = logRecordsOf(receiver.requestsTo("/otlp/v1/logs"));
    expect(records.length).toBeGreaterThan(0);
    for (const rec of records) {
      expect(rec.traceId).toBe(traceId);
      expect(ids.has(rec.spanId)).toBe(true);
    }
    expect(
      records.some(
        (r: any) =>
          r.eventName === "gen_ai.client.inference.operation.details" && r.spanId === chat.spanId,
      ),
    ).toBe(true);
  });
});

describe("setupTelemetry configuration sources", () => {
  it("works from the environment only; the signal-specific headers variable replaces the generic one", async () => {
    process.env.OTEL_SERVICE_NAME = "env_service";
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "X-Generic=g";
    process.env.OTEL_EXPORTER_OTLP_LOGS_HEADERS = "X-Scope-OrgID=rca";
    process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${receiver.url}/api/v1/otlp`;
    telemetry = setupTelemetry({ disableBatch: true, onWarning });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();

    const traces = receiver.requestsTo("/v1/traces");
    const metrics = receiver.requestsTo("/api/v1/otlp"); // as-is, like the exporters do
    const logs = receiver.requestsTo("/v1/logs");
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(0);
    for (const r of [...traces, ...metrics]) expect(r.headers["x-generic"]).toBe("g");
    for (const r of logs) {
      expect(r.headers["x-scope-orgid"]).toBe("rca");
      expect(r.headers).not.toHaveProperty("x-generic");
    }
    expect(attr(traces[0].json.resourceSpans[0].resource.attributes, "service.name")).toEqual({
      stringValue: "env_service",
    });
  });

  it("passes captureContent and handlerOptions to the handler", async () => {
    telemetry = setupTelemetry({
      disableBatch: true,
      onWarning,
      endpoint: receiver.url,
      captureContent: true,
      handlerOptions: { logs: false },
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    const chat = spansOf(receiver.requestsTo("/v1/traces")).find((s: any) =>
      String(s.name).startsWith("chat"),
    );
    expect(String(attr(chat.attributes, "gen_ai.input.messages")?.stringValue)).toContain("ping");
    expect(receiver.requestsTo("/v1/logs")).toEqual([]);
  });

  it("exports metrics with CUMULATIVE temporality even when the environment prefers delta", async () => {
    process.env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE = "delta";
    telemetry = setupTelemetry({ disableBatch: true, onWarning, endpoint: receiver.url });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    const histograms = metricsOf(receiver.requestsTo("/v1/metrics")).filter(
      (m: any) => m.histogram,
    );
    expect(histograms.length).toBeGreaterThan(0);
    for (const m of histograms) expect(m.histogram.aggregationTemporality).toBe(2);
  });

  it("uses url as-is", async () => {
    telemetry = setupTelemetry({
      disableBatch: true,
      onWarning,
      endpoint: receiver.url,
      metrics: { url: `${receiver.url}/api/v1/otlp` },
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    expect(receiver.requestsTo("/api/v1/otlp").length).toBeGreaterThan(0);
    expect(receiver.requestsTo("/api/v1/otlp/v1/metrics")).toEqual([]);
    expect(receiver.requestsTo("/v1/metrics")).toEqual([]);
  });

  it("sends nothing for a signal turned off (option false, OTEL_<SIGNAL>_EXPORTER=none)", async () => {
    process.env.OTEL_LOGS_EXPORTER = "none";
    telemetry = setupTelemetry({
      disableBatch: true,
      onWarning,
      endpoint: receiver.url,
      traces: false,
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    expect(receiver.requestsTo("/v1/metrics").length).toBeGreaterThan(0);
    expect(receiver.requestsTo("/v1/traces")).toEqual([]);
    expect(receiver.requestsTo("/v1/logs")).toEqual([]);
    expect(receiver.requests.every((r) => r.path === "/v1/metrics")).toBe(true);
  });

  it("sends nothing at all with OTEL_SDK_DISABLED=true", async () => {
    process.env.OTEL_SDK_DISABLED = "true";
    telemetry = setupTelemetry({ disableBatch: true, onWarning, endpoint: receiver.url });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it("sends http/protobuf with the -proto exporters when asked, decodable with the official schema", async () => {
    telemetry = setupTelemetry({
      onWarning,
      endpoint: receiver.url,
      protocol: "http/protobuf",
      headers: { "X-Scope-OrgID": "rca" },
      serviceName: "proto_svc",
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    for (const path of ["/v1/traces", "/v1/metrics", "/v1/logs"]) {
      const reqs = receiver.requestsTo(path);
      expect(reqs.length, path).toBeGreaterThan(0);
      for (const r of reqs) {
        expect(r.contentType).toBe("application/x-protobuf");
        expect(r.headers["x-scope-orgid"]).toBe("rca");
      }
    }
    const traceReq = decodeTraceRequest(receiver.requestsTo("/v1/traces")[0].body);
    expect(attr(traceReq.resourceSpans[0].resource.attributes, "service.name")).toEqual({
      stringValue: "proto_svc",
    });
    const spans = traceReq.resourceSpans.flatMap((rs: any) =>
      rs.scopeSpans.flatMap((ss: any) => ss.spans),
    );
    const traceIds = new Set(spans.map((s: any) => base64ToHex(s.traceId)));
    expect(traceIds.size).toBe(1);
    expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(spans.some((s: any) => String(s.name).startsWith("chat"))).toBe(true);

    const metricNames = receiver
      .requestsTo("/v1/metrics")
      .flatMap((r) =>
        decodeMetricsRequest(r.body).resourceMetrics.flatMap((rm: any) =>
          rm.scopeMetrics.flatMap((sm: any) => sm.metrics.map((m: any) => m.name)),
        ),
      );
    expect(metricNames).toEqual(
      expect.arrayContaining(["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]),
    );

    const records = receiver
      .requestsTo("/v1/logs")
      .flatMap((r) =>
        decodeLogsRequest(r.body).resourceLogs.flatMap((rl: any) =>
          rl.scopeLogs.flatMap((sl: any) => sl.logRecords),
        ),
      );
    expect(records.length).toBeGreaterThan(0);
    for (const rec of records) expect(base64ToHex(rec.traceId)).toBe([...traceIds][0]);
  });

  it("batches by default and gzips when asked; shutdown() flushes what is pending", async () => {
    telemetry = setupTelemetry({ onWarning, endpoint: receiver.url, compression: "gzip" });
    await pingChain().invoke({ question: "ping" });
    // Batch processors hold the spans until shutdown.
    await telemetry.shutdown();
    const traces = receiver.requestsTo("/v1/traces");
    expect(traces.length).toBe(1);
    expect(traces[0].headers["content-encoding"]).toBe("gzip");
    expect(spansOf(traces).length).toBeGreaterThanOrEqual(2);
  });
});

describe("setupTelemetry called twice", () => {
  it("returns the same handle, with a warning only when the options differ", async () => {
    const options = { disableBatch: true, onWarning, endpoint: receiver.url };
    telemetry = setupTelemetry(options);
    expect(setupTelemetry({ ...options, onWarning: (m: string) => warnings.push(m) })).toBe(
      telemetry,
    );
    expect(warnings).toEqual([]);
    expect(setupTelemetry({ ...options, serviceName: "other" })).toBe(telemetry);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/called again with different options/);
    // Still one pipeline: one run gives one trace.
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    const spans = spansOf(receiver.requestsTo("/v1/traces"));
    expect(spans.filter((s: any) => !s.parentSpanId)).toHaveLength(1);
  });

  it("builds a new pipeline after shutdown()", async () => {
    const first = setupTelemetry({ onWarning, endpoint: receiver.url });
    await first.shutdown();
    telemetry = setupTelemetry({ onWarning, endpoint: receiver.url });
    expect(telemetry).not.toBe(first);
  });
});
