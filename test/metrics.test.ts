/**
 * The GenAI histograms, read back through an in-memory metric reader: exact points (counts,
 * sums, bucket boundaries, attributes) after a chat, a streamed chat, a failed chat and an agent
 * run. Time is scripted (`performance.now` is a test clock), so every duration is exact.
 */
import { InMemoryCache } from "@langchain/core/caches";
import { tool } from "@langchain/core/tools";
import { MeterProvider, MetricReader, type HistogramMetricData } from "@opentelemetry/sdk-metrics";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ScriptedChatModel, TestClock, type ScriptedReply } from "./helpers/models.js";
import { runTravelAgent } from "./helpers/langchain-fixtures.js";

/** Advisory buckets, copied from gen-ai-metrics.md of the conventions v1.41.0. */
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** `gen_ai.invoke_agent.duration` buckets of the conventions' development branch. */
const AGENT_BUCKETS = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6];

/** A reader the test collects from on demand (cumulative temporality, the SDK default). */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function collect(reader: MetricReader): Promise<Map<string, HistogramMetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const out = new Map<string, HistogramMetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    expect(scope.scope.name).toBe("langchain-opentelemetry");
    for (const m of scope.metrics) out.set(m.descriptor.name, m as HistogramMetricData);
  }
  return out;
}

/** Bucket counts with one observation per value, for the given boundaries (upper bounds inclusive). */
function countsFor(boundaries: number[], values: number[]): number[] {
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  for (const v of values) {
    const i = boundaries.findIndex((b) => v <= b);
    counts[i === -1 ? boundaries.length : i]++;
  }
  return counts;
}

function point(m: HistogramMetricData | undefined, attributes: Record<string, unknown>) {
  expect(m, "metric exists").toBeDefined();
  const p = m!.dataPoints.find(
    (dp) => JSON.stringify(sorted(dp.attributes)) === JSON.stringify(sorted(attributes)),
  );
  expect(
    p,
    `point with ${JSON.stringify(attributes)} among ${JSON.stringify(m!.dataPoints.map((d) => d.attributes))}`,
  ).toBeDefined();
  return p!;
}

function metric(all: Map<string, HistogramMetricData>, name: string): HistogramMetricData {
  const m = all.get(name);
  expect(m, `metric ${name}`).toBeDefined();
  return m!;
}

function sorted(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** The point of `m` with `attributes` holds one observation, `value`, in the buckets `boundaries`. */
function expectOneObservation(
  m: HistogramMetricData,
  attributes: Record<string, unknown>,
  value: number,
  boundaries: number[],
): void {
  const p = point(m, attributes).value;
  expect(p.count).toBe(1);
  expect(p.sum).toBe(value);
  expect(p.buckets.boundaries).toEqual(boundaries);
  expect(p.buckets.counts).toEqual(countsFor(boundaries, [value]));
}

const CHAT_ATTRS = {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "openai",
  "gen_ai.request.model": "gpt-4o-mini",
  "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
  "server.address": "api.openai.com",
  "server.port": 443,
};

let clock: TestClock;
let reader: TestReader;
let meterProvider: MeterProvider;

beforeEach(() => {
  clock = new TestClock().install();
  reader = new TestReader();
  meterProvider = new MeterProvider({ readers: [reader] });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await meterProvider.shutdown();
});

function chatModel(replies: ScriptedReply[]) {
  return new ScriptedChatModel({
    model: "gpt-4o-mini",
    provider: "openai",
    baseURL: "https://api.openai.com/v1",
    replies,
    clock,
  });
}

describe("GenAI histograms", () => {
  it("a chat records one duration point and one token point per token type, with the conventions' buckets and attributes", async () => {
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const model = chatModel([
      {
        text: "Hi!",
        inputTokens: 412,
        outputTokens: 96,
        responseModel: "gpt-4o-mini-2024-07-18",
        finishReason: "stop",
        id: "chatcmpl-1",
        latencyMs: 1250,
      },
    ]);
    await model.invoke("Hello", { callbacks: [handler] });

    const metrics = await collect(reader);
    const duration = metrics.get("gen_ai.client.operation.duration")!;
    expect(duration.descriptor.unit).toBe("s");
    expect(duration.dataPoints).toHaveLength(1);
    expectOneObservation(duration, CHAT_ATTRS, 1.25, DURATION_BUCKETS);

    const tokens = metrics.get("gen_ai.client.token.usage")!;
    expect(tokens.descriptor.unit).toBe("{token}");
    expect(tokens.dataPoints).toHaveLength(2);
    expectOneObservation(
      tokens,
      { ...CHAT_ATTRS, "gen_ai.token.type": "input" },
      412,
      TOKEN_BUCKETS,
    );
    const output = point(tokens, { ...CHAT_ATTRS, "gen_ai.token.type": "output" }).value;
    expect(output.sum).toBe(96);
    expect(output.buckets.counts).toEqual(countsFor(TOKEN_BUCKETS, [96]));

    // Streaming-only histograms get no point from a non-streaming call.
    expect(metrics.get("gen_ai.client.operation.time_to_first_chunk")?.dataPoints ?? []).toEqual(
      [],
    );
    expect(metrics.get("gen_ai.client.operation.time_per_output_chunk")?.dataPoints ?? []).toEqual(
      [],
    );
  });

  it("a streamed chat records time to first chunk once and time per output chunk for each chunk after the first", async () => {
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const model = chatModel([
      {
        text: "Hello world",
        inputTokens: 20,
        outputTokens: 3,
        responseModel: "gpt-4o-mini-2024-07-18",
        finishReason: "stop",
        chunks: [
          { text: "Hel", afterMs: 250 },
          { text: "lo", afterMs: 125 },
          { text: " world", afterMs: 125 },
        ],
      },
    ]);
    let text = "";
    for await (const chunk of await model.stream("Hello", { callbacks: [handler] }))
      text += chunk.content as string;
    expect(text).toBe("Hello world");

    const metrics = await collect(reader);
    const ttfc = metrics.get("gen_ai.client.operation.time_to_first_chunk")!;
    expect(ttfc.descriptor.unit).toBe("s");
    expect(ttfc.dataPoints).toHaveLength(1);
    expectOneObservation(ttfc, CHAT_ATTRS, 0.25, DURATION_BUCKETS);

    const perChunk = metrics.get("gen_ai.client.operation.time_per_output_chunk")!;
    expect(perChunk.descriptor.unit).toBe("s");
    const each = point(perChunk, CHAT_ATTRS).value;
    // Three text chunks: two intervals. The final usage chunk (empty text) is no output chunk.
    expect(each.count).toBe(2);
    expect(each.sum).toBe(0.25);
    expect(each.buckets.boundaries).toEqual(DURATION_BUCKETS);
    expect(each.buckets.counts).toEqual(countsFor(DURATION_BUCKETS, [0.125, 0.125]));

    const duration = point(metrics.get("gen_ai.client.operation.duration"), CHAT_ATTRS).value;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBe(0.5);
    expect(
      point(metrics.get("gen_ai.client.token.usage"), {
        ...CHAT_ATTRS,
        "gen_ai.token.type": "output",
      }).value.sum,
    ).toBe(3);
  });

  it("a failed chat records its duration with error.type and no token usage", async () => {
    class RateLimitError extends Error {}
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const model = chatModel([
      { text: "", latencyMs: 500, error: new RateLimitError("429 Too Many Requests") },
    ]);
    await expect(model.invoke("Hello", { callbacks: [handler] })).rejects.toThrow("429");

    const metrics = await collect(reader);
    const duration = metrics.get("gen_ai.client.operation.duration")!;
    expect(duration.dataPoints).toHaveLength(1);
    const { "gen_ai.response.model": _unknown, ...requested } = CHAT_ATTRS;
    const d = point(duration, { ...requested, "error.type": "RateLimitError" }).value;
    expect(d.count).toBe(1);
    expect(d.sum).toBe(0.5);
    expect(d.buckets.counts).toEqual(countsFor(DURATION_BUCKETS, [0.5]));
    expect(metrics.get("gen_ai.client.token.usage")?.dataPoints ?? []).toEqual([]);
  });

  it("a cache hit records its duration but no token point: its usage was spent once, on the miss", async () => {
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const model = new ScriptedChatModel({
      model: "gpt-4o-mini",
      provider: "openai",
      baseURL: "https://api.openai.com/v1",
      cache: new InMemoryCache(),
      clock,
      replies: [
        {
          text: "Hi!",
          inputTokens: 412,
          outputTokens: 96,
          responseModel: "gpt-4o-mini-2024-07-18",
          latencyMs: 1250,
        },
      ],
    });
    expect((await model.invoke("Hello", { callbacks: [handler] })).content).toBe("Hi!");
    // The second call is answered from the cache (the cached message still carries its usage).
    expect((await model.invoke("Hello", { callbacks: [handler] })).content).toBe("Hi!");

    const metrics = await collect(reader);
    const tokens = metrics.get("gen_ai.client.token.usage")!;
    expect(tokens.dataPoints).toHaveLength(2);
    expectOneObservation(
      tokens,
      { ...CHAT_ATTRS, "gen_ai.token.type": "input" },
      412,
      TOKEN_BUCKETS,
    );
    expectOneObservation(
      tokens,
      { ...CHAT_ATTRS, "gen_ai.token.type": "output" },
      96,
      TOKEN_BUCKETS,
    );
    const duration = point(metrics.get("gen_ai.client.operation.duration"), CHAT_ATTRS).value;
    expect(duration.count).toBe(2);
    expect(duration.sum).toBe(1.25);
  });

  it("one handler, same model: success, failure, success give a point without and a point with error.type (no outcome borrows the other's attributes)", async () => {
    class RateLimitError extends Error {}
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    // No response model on the successes: the failure's attributes then differ from theirs by error.type alone.
    const model = chatModel([
      { text: "one", latencyMs: 100 },
      { text: "", latencyMs: 200, error: new RateLimitError("429 Too Many Requests") },
      { text: "three", latencyMs: 400 },
    ]);
    await model.invoke("a", { callbacks: [handler] });
    await expect(model.invoke("b", { callbacks: [handler] })).rejects.toThrow("429");
    await model.invoke("c", { callbacks: [handler] });

    const { "gen_ai.response.model": _unknown, ...requested } = CHAT_ATTRS;
    const duration = metric(await collect(reader), "gen_ai.client.operation.duration");
    expect(duration.dataPoints.map((p) => [p.attributes, p.value.count, p.value.sum])).toEqual(
      expect.arrayContaining([
        [requested, 2, 0.5],
        [{ ...requested, "error.type": "RateLimitError" }, 1, 0.2],
      ]),
    );
    expect(duration.dataPoints).toHaveLength(2);
  });

  it("an agent run records gen_ai.execute_tool.duration per tool call and gen_ai.invoke_agent.duration once", async () => {
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    await runTravelAgent(clock, handler);

    const metrics = await collect(reader);
    const toolDuration = metrics.get("gen_ai.execute_tool.duration")!;
    expect(toolDuration.descriptor.unit).toBe("s");
    expect(toolDuration.dataPoints).toHaveLength(1);
    expectOneObservation(
      toolDuration,
      {
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.agent.name": "travel_agent",
      },
      2,
      DURATION_BUCKETS,
    );

    const agentDuration = metrics.get("gen_ai.invoke_agent.duration")!;
    expect(agentDuration.descriptor.unit).toBe("s");
    expect(agentDuration.dataPoints).toHaveLength(1);
    expectOneObservation(agentDuration, { "gen_ai.agent.name": "travel_agent" }, 2, AGENT_BUCKETS);

    // The agent's two model calls are inference operations of their own.
    const chats = metrics.get("gen_ai.client.operation.duration")!.dataPoints;
    expect(chats.reduce((n, p) => n + p.value.count, 0)).toBe(2);
    expect(chats.every((p) => p.attributes["gen_ai.operation.name"] === "chat")).toBe(true);
  });

  it("a failing tool records its duration with error.type", async () => {
    class LookupError extends Error {}
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const broken = tool(
      async () => {
        clock.advance(40);
        throw new LookupError("no such city");
      },
      { name: "get_weather", description: "Weather", schema: z.object({ city: z.string() }) },
    );
    await expect(broken.invoke({ city: "Atlantis" }, { callbacks: [handler] })).rejects.toThrow(
      "no such city",
    );

    const metrics = await collect(reader);
    const t = point(metrics.get("gen_ai.execute_tool.duration"), {
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.type": "function",
      "error.type": "LookupError",
    }).value;
    expect(t.count).toBe(1);
    expect(t.sum).toBe(0.04);
  });

  it("points carry no run ids, content or user metadata; only keys opted in with metricMetadataKeys", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      meterProvider,
      logs: false,
      captureContent: true,
      metricMetadataKeys: ["tenant"],
    });
    const model = chatModel([
      {
        text: "secret answer",
        inputTokens: 5,
        outputTokens: 2,
        responseModel: "gpt-4o-mini-2024-07-18",
        latencyMs: 100,
      },
    ]);
    await model.invoke("secret question", {
      callbacks: [handler],
      metadata: { tenant: "acme", user_id: "u-123", thread_id: "t-9" },
      runId: "4b1e3c52-4f9a-4f2e-9d47-1c2b3a4d5e6f",
    });

    const metrics = await collect(reader);
    for (const m of metrics.values()) {
      for (const p of m.dataPoints) {
        const keys = Object.keys(p.attributes).filter((k) => k !== "gen_ai.token.type");
        expect(keys.sort()).toEqual([...Object.keys(CHAT_ATTRS), "tenant"].sort());
        expect(p.attributes.tenant).toBe("acme");
        expect(JSON.stringify(p.attributes)).not.toMatch(/secret|u-123|t-9|4b1e3c52/);
      }
    }
  });

  it("an opted-in metadata key reaches tool points too, and never replaces a conventions attribute", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      meterProvider,
      logs: false,
      metricMetadataKeys: ["tenant", "gen_ai.tool.name"],
    });
    const echo = tool(async ({ text }: { text: string }) => text, {
      name: "echo",
      description: "Echo",
      schema: z.object({ text: z.string() }),
    });
    await echo.invoke(
      { text: "hi" },
      {
        callbacks: [handler],
        metadata: { tenant: "acme", "gen_ai.tool.name": "spoofed", user_id: "u-1" },
      },
    );

    const metrics = await collect(reader);
    const points = metrics.get("gen_ai.execute_tool.duration")!.dataPoints;
    expect(points.map((p) => p.attributes)).toEqual([
      { tenant: "acme", "gen_ai.tool.name": "echo", "gen_ai.tool.type": "function" },
    ]);
  });

  it("metrics: false records nothing", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      meterProvider,
      metrics: false,
      logs: false,
    });
    await chatModel([{ text: "x", inputTokens: 1, outputTokens: 1, latencyMs: 10 }]).invoke("y", {
      callbacks: [handler],
    });
    const metrics = await collect(reader);
    expect([...metrics.values()].flatMap((m) => m.dataPoints)).toEqual([]);
  });
});

/**
 * Prometheus' OTLP translation of a metric name (the `UnderscoreEscapingWithSuffixes` strategy,
 * Prometheus' default): dots become underscores, the unit is appended as a suffix after dropping
 * `{...}` annotations and spelling `s` as `seconds`, and a histogram series gets `_bucket`.
 */
function prometheusBucketSeries(name: string, unit: string): string {
  const units: Record<string, string> = {
    s: "seconds",
    ms: "milliseconds",
    By: "bytes",
    "1": "ratio",
  };
  let base = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  const suffix = units[unit] ?? unit.replace(/\{[^}]*\}/g, "").replace(/[^a-zA-Z0-9_:]/g, "_");
  if (suffix && !base.endsWith(`_${suffix}`)) base += `_${suffix}`;
  return `${base}_bucket`;
}

describe("Prometheus names", () => {
  it("names and units translate to gen_ai_client_token_usage_bucket and gen_ai_client_operation_duration_seconds_bucket", async () => {
    const handler = new OpenTelemetryCallbackHandler({ meterProvider, logs: false });
    const model = chatModel([
      {
        text: "ok",
        inputTokens: 3,
        outputTokens: 1,
        responseModel: "gpt-4o-mini-2024-07-18",
        chunks: [
          { text: "o", afterMs: 10 },
          { text: "k", afterMs: 10 },
        ],
      },
    ]);
    for await (const _ of await model.stream("hi", { callbacks: [handler] })) void _;

    const metrics = await collect(reader);
    const series = [...metrics.values()]
      .map((m) => prometheusBucketSeries(m.descriptor.name, m.descriptor.unit))
      .sort();
    expect(series).toEqual(
      [
        "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_client_operation_time_per_output_chunk_seconds_bucket",
        "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
        "gen_ai_client_token_usage_bucket",
      ].sort(),
    );
  });
});
