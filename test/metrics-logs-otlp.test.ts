/**
 * GenAI histograms and log records on the wire: `setupTelemetry()` with a Thanos-style metrics
 * URL and a Loki-style logs endpoint, a real chain run (prompt | chat model | parser), and the
 * OTLP/HTTP JSON bodies decoded at a local receiver: each signal at its own URL with its own
 * headers, cumulative histograms with the conventions' names, units and buckets, and log records
 * whose trace and span ids are those of the spans that arrived at the traces URL.
 */
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { ScriptedChatModel, TestClock } from "./helpers/models.js";
import { clearOtelEnv, snapshotEnv } from "./helpers/env.js";
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedRequest,
} from "./helpers/otlp-receiver.js";

const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** OTLP `AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE`. */
const CUMULATIVE = 2;

let receiver: OtlpReceiver;
let telemetry: TelemetryHandle | undefined;
const restoreEnv = snapshotEnv();

beforeEach(async () => {
  // Only the options below decide where telemetry goes.
  clearOtelEnv();
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver.close();
  vi.restoreAllMocks();
  restoreEnv();
});

type OtlpAttr = { key: string; value: Record<string, unknown> };
/** OTLP JSON attributes as a plain object (`{stringValue}`, `{intValue}`, `{arrayValue}`, ...). */
function attrs(list: OtlpAttr[] | undefined): Record<string, unknown> {
  const plain = (v: Record<string, any>): unknown =>
    "stringValue" in v
      ? v.stringValue
      : "intValue" in v
        ? Number(v.intValue)
        : "doubleValue" in v
          ? Number(v.doubleValue)
          : "boolValue" in v
            ? v.boolValue
            : "arrayValue" in v
              ? (v.arrayValue.values ?? []).map(plain)
              : v;
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));
}
const jsonBodies = (reqs: ReceivedRequest[]) =>
  reqs.map((r) => {
    expect(r.contentType).toBe("application/json");
    return r.json;
  });
const metricsOf = (reqs: ReceivedRequest[]) =>
  jsonBodies(reqs).flatMap((b) =>
    b.resourceMetrics.flatMap((rm: any) =>
      rm.scopeMetrics
        .filter((sm: any) => sm.scope.name === "langchain-opentelemetry")
        .flatMap((sm: any) => sm.metrics),
    ),
  );
const logRecordsOf = (reqs: ReceivedRequest[]) =>
  jsonBodies(reqs).flatMap((b) =>
    b.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords)),
  );
const spansOf = (reqs: ReceivedRequest[]) =>
  jsonBodies(reqs).flatMap((b) =>
    b.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)),
  );

it("a chain run's GenAI histograms and log records arrive at their own URLs with their own headers", async () => {
  telemetry = setupTelemetry({
    serviceName: "rca",
    disableBatch: true,
    flushOnExit: false,
    traces: { endpoint: receiver.url, headers: { "X-Scope-OrgID": "rca" } },
    metrics: { url: `${receiver.url}/api/v1/otlp/v1/metrics`, headers: { "THANOS-TENANT": "t" } },
    logs: { endpoint: `${receiver.url}/otlp`, headers: { "X-Scope-OrgID": "rca" } },
    onWarning: (m) => {
      throw new Error(`unexpected warning: ${m}`);
    },
  });
  const clock = new TestClock().install();
  const model = new ScriptedChatModel({
    model: "gpt-4o-mini",
    provider: "openai",
    clock,
    replies: [
      {
        text: "pong",
        inputTokens: 12,
        outputTokens: 1,
        responseModel: "gpt-4o-mini-2024-07-18",
        finishReason: "stop",
        id: "chatcmpl-9",
        latencyMs: 750,
      },
    ],
  });
  const chain = ChatPromptTemplate.fromMessages([["human", "{question}"]])
    .pipe(model)
    .pipe(new StringOutputParser());
  expect(await chain.invoke({ question: "ping" })).toBe("pong");
  await telemetry.shutdown();

  const metricRequests = receiver.requestsTo("/api/v1/otlp/v1/metrics");
  const logRequests = receiver.requestsTo("/otlp/v1/logs");
  const traceRequests = receiver.requestsTo("/v1/traces");
  expect(metricRequests.length).toBeGreaterThan(0);
  expect(logRequests.length).toBeGreaterThan(0);
  expect(traceRequests.length).toBeGreaterThan(0);
  expect(receiver.requests.length).toBe(
    metricRequests.length + logRequests.length + traceRequests.length,
  );
  for (const r of metricRequests) {
    expect(r.headers["thanos-tenant"]).toBe("t");
    expect(r.headers).not.toHaveProperty("x-scope-orgid");
  }
  for (const r of logRequests) {
    expect(r.headers["x-scope-orgid"]).toBe("rca");
    expect(r.headers).not.toHaveProperty("thanos-tenant");
  }

  // Metrics: cumulative histograms, the conventions' names, units, buckets and attributes.
  const metrics = metricsOf(metricRequests);
  const byName = new Map<string, any>(metrics.map((m: any) => [m.name, m]));
  const chatAttrs = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
  };
  const duration = byName.get("gen_ai.client.operation.duration");
  expect(duration.unit).toBe("s");
  expect(duration.histogram.aggregationTemporality).toBe(CUMULATIVE);
  expect(duration.histogram.dataPoints).toHaveLength(1);
  const dp = duration.histogram.dataPoints[0];
  expect(attrs(dp.attributes)).toEqual(chatAttrs);
  expect(Number(dp.count)).toBe(1);
  expect(dp.explicitBounds).toEqual(DURATION_BUCKETS);
  expect(dp.sum).toBe(0.75);
  // 0.75 s falls in (0.64, 1.28]: the eighth bucket.
  expect(dp.bucketCounts.map(Number)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);

  const tokens = byName.get("gen_ai.client.token.usage");
  expect(tokens.unit).toBe("{token}");
  expect(tokens.histogram.aggregationTemporality).toBe(CUMULATIVE);
  const points = tokens.histogram.dataPoints.map((p: any) => ({
    attributes: attrs(p.attributes),
    count: Number(p.count),
    sum: p.sum,
    bounds: p.explicitBounds,
  }));
  expect(points).toEqual(
    expect.arrayContaining([
      {
        attributes: { ...chatAttrs, "gen_ai.token.type": "input" },
        count: 1,
        sum: 12,
        bounds: TOKEN_BUCKETS,
      },
      {
        attributes: { ...chatAttrs, "gen_ai.token.type": "output" },
        count: 1,
        sum: 1,
        bounds: TOKEN_BUCKETS,
      },
    ]),
  );
  expect(points).toHaveLength(2);

  // Log records: the inference details record, on the chat span of the trace that arrived.
  const records = logRecordsOf(logRequests);
  const details = records.filter(
    (r: any) => r.eventName === "gen_ai.client.inference.operation.details",
  );
  expect(details).toHaveLength(1);
  expect(details[0].body).toEqual({
    stringValue: "chat gpt-4o-mini-2024-07-18: 12 in / 1 out tokens, 0.75 s, stop",
  });
  expect(details[0].severityText).toBe("INFO");
  expect(attrs(details[0].attributes)["gen_ai.response.id"]).toBe("chatcmpl-9");
  const spans = spansOf(traceRequests);
  const chatSpan = spans.find((s: any) => s.name === "chat gpt-4o-mini");
  expect(chatSpan).toBeDefined();
  expect(details[0].traceId).toBe(chatSpan.traceId);
  expect(details[0].spanId).toBe(chatSpan.spanId);
  expect(details[0].traceId).toMatch(/^[0-9a-f]{32}$/);
});
