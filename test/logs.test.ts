/**
 * GenAI log records, read back through an in-memory log exporter: event names, bodies (the line
 * Loki shows), severities, attributes, trace/span ids equal to the run's span, content only when
 * capture is on, the Loki size budget, the severity floor, the off switch and the global
 * provider registered after the handler was built.
 */
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda } from "@langchain/core/runnables";
import { SpanStatusCode } from "@opentelemetry/api";
import { tool } from "@langchain/core/tools";
import { logs } from "@opentelemetry/api-logs";
import {
  BatchLogRecordProcessor,
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ScriptedChatModel, TestClock, type ScriptedReply } from "./helpers/models.js";
import { runTravelAgent } from "./helpers/langchain-fixtures.js";

const INFERENCE_DETAILS = "gen_ai.client.inference.operation.details";
const OPERATION_DETAILS = "gen_ai.client.operation.details";
const EXCEPTION = "gen_ai.client.operation.exception";
const CONTENT_KEYS = [
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.system_instructions",
  "gen_ai.tool.definitions",
];

let clock: TestClock;
let logExporter: InMemoryLogRecordExporter;
let loggerProvider: LoggerProvider;
let spanExporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;

beforeEach(() => {
  clock = new TestClock().install();
  logExporter = new InMemoryLogRecordExporter();
  loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
  });
  spanExporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  logs.disable();
  await loggerProvider.shutdown();
  await tracerProvider.shutdown();
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

const OK_REPLY: ScriptedReply = {
  text: "Hi there!",
  inputTokens: 412,
  outputTokens: 96,
  responseModel: "gpt-4o-mini",
  finishReason: "stop",
  id: "chatcmpl-1",
  latencyMs: 1230,
};

function records(eventName?: string): ReadableLogRecord[] {
  const all = logExporter.getFinishedLogRecords();
  return eventName ? all.filter((r) => r.eventName === eventName) : all;
}

function span(name: string): ReadableSpan {
  const s = spanExporter.getFinishedSpans().find((x) => x.name === name);
  expect(
    s,
    `span ${name} among ${spanExporter
      .getFinishedSpans()
      .map((x) => x.name)
      .join(", ")}`,
  ).toBeDefined();
  return s!;
}

function expectOnSpan(record: ReadableLogRecord, s: ReadableSpan): void {
  expect(record.spanContext?.traceId).toBe(s.spanContext().traceId);
  expect(record.spanContext?.spanId).toBe(s.spanContext().spanId);
}

/** Loki's structured-metadata accounting: names with `_` for `.`, values as text (arrays as JSON). */
function lokiMetadataBytes(attributes: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(attributes))
    n +=
      Buffer.byteLength(k.replace(/\./g, "_")) +
      Buffer.byteLength(typeof v === "string" ? v : JSON.stringify(v));
  return n;
}

describe("inference details records", () => {
  it("a chat emits one gen_ai.client.inference.operation.details record: INFO, short body, the span's attributes, on the chat span", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [handler] });

    expect(records()).toHaveLength(1);
    const [r] = records(INFERENCE_DETAILS);
    expect(r.severityNumber).toBe(SeverityNumber.INFO);
    expect(r.severityText).toBe("INFO");
    expect(r.body).toBe("chat gpt-4o-mini: 412 in / 96 out tokens, 1.23 s, stop");
    expect(r.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini",
      "server.address": "api.openai.com",
      "server.port": 443,
      "gen_ai.response.id": "chatcmpl-1",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 412,
      "gen_ai.usage.output_tokens": 96,
      "gen_ai.client.operation.duration": 1.23,
    });
    expect(r.instrumentationScope.name).toBe("langchain-opentelemetry");
    expectOnSpan(r, span("chat gpt-4o-mini"));
  });

  it("a streamed chat's record says so and carries the time to first chunk", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    const reply: ScriptedReply = {
      ...OK_REPLY,
      chunks: [
        { text: "Hi", afterMs: 250 },
        { text: " there!", afterMs: 250 },
      ],
    };
    for await (const _ of await chatModel([reply]).stream("Hello", { callbacks: [handler] }))
      void _;

    const [r] = records(INFERENCE_DETAILS);
    expect(r.body).toBe("chat gpt-4o-mini: 412 in / 96 out tokens, 0.50 s, stop");
    expect(r.attributes["gen_ai.request.stream"]).toBe(true);
    expect(r.attributes["gen_ai.response.time_to_first_chunk"]).toBe(0.25);
  });

  it("carries no content when capture is off", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      captureContent: false,
    });
    await chatModel([OK_REPLY]).invoke(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      { callbacks: [handler] },
    );
    const [r] = records(INFERENCE_DETAILS);
    for (const key of CONTENT_KEYS) expect(r.attributes).not.toHaveProperty(key);
    expect(JSON.stringify(r.attributes)).not.toMatch(/Hello|Be brief|Hi there/);
  });

  it("carries the messages in structured form (not JSON strings) when capture is on", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      captureContent: true,
    });
    await chatModel([OK_REPLY]).invoke(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      { callbacks: [handler] },
    );
    const [r] = records(INFERENCE_DETAILS);
    expect(r.attributes["gen_ai.system_instructions"]).toEqual([
      { type: "text", content: "Be brief." },
    ]);
    expect(r.attributes["gen_ai.input.messages"]).toEqual([
      { role: "user", parts: [{ type: "text", content: "Hello" }] },
    ]);
    expect(r.attributes["gen_ai.output.messages"]).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Hi there!" }], finish_reason: "stop" },
    ]);
  });
});

describe("failures", () => {
  class RateLimitError extends Error {}

  it("a failed root chat emits a details record with error.type and an exception record, both ERROR, on the chat span", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    await expect(
      chatModel([
        { text: "", latencyMs: 500, error: new RateLimitError("429 Too Many Requests") },
      ]).invoke("Hello", { callbacks: [handler] }),
    ).rejects.toThrow();

    const chat = span("chat gpt-4o-mini");
    const [details] = records(INFERENCE_DETAILS);
    expect(details.severityNumber).toBe(SeverityNumber.ERROR);
    expect(details.body).toBe("chat gpt-4o-mini: 0.50 s, failed: RateLimitError");
    expect(details.attributes["error.type"]).toBe("RateLimitError");
    expect(details.attributes["gen_ai.client.operation.duration"]).toBe(0.5);
    expectOnSpan(details, chat);

    const [ex] = records(EXCEPTION);
    expect(ex.severityNumber).toBe(SeverityNumber.ERROR);
    expect(ex.severityText).toBe("ERROR");
    expect(ex.body).toBe("chat gpt-4o-mini failed: RateLimitError: 429 Too Many Requests");
    expect(ex.attributes["exception.type"]).toBe("RateLimitError");
    expect(ex.attributes["exception.message"]).toBe("429 Too Many Requests");
    expect(ex.attributes["exception.stacktrace"]).toMatch(/^Error: 429 Too Many Requests\n\s+at /);
    expect(ex.attributes["error.type"]).toBe("RateLimitError");
    expect(ex.attributes["gen_ai.request.model"]).toBe("gpt-4o-mini");
    expectOnSpan(ex, chat);
    expect(records()).toHaveLength(2);
  });

  it("a failing retriever ends its span ERROR with the exception and emits one exception record on it", async () => {
    class IndexOffline extends Error {}
    class FailingRetriever extends BaseRetriever {
      override lc_namespace = ["test"];
      override async _getRelevantDocuments(): Promise<Document[]> {
        throw new IndexOffline("vector index offline");
      }
    }
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    await expect(
      new FailingRetriever().invoke("where is it", { callbacks: [handler] }),
    ).rejects.toThrow("vector index offline");

    const failed = span("retrieval FailingRetriever");
    expect(spanExporter.getFinishedSpans()).toHaveLength(1);
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: "vector index offline" });
    expect(failed.attributes).toEqual({
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "FailingRetriever",
      "error.type": "IndexOffline",
    });
    expect(
      failed.events.map((e) => [
        e.name,
        e.attributes?.["exception.type"],
        e.attributes?.["exception.message"],
      ]),
    ).toEqual([["exception", "IndexOffline", "vector index offline"]]);

    // Its details record (issue 13: retrievals get one, like tools) and one exception record.
    expect(records().map((r) => [r.eventName, r.severityText, r.body])).toEqual([
      [
        "gen_ai.client.operation.details",
        "ERROR",
        expect.stringMatching(/^retrieval FailingRetriever: \d+\.\d\d s, failed: IndexOffline$/),
      ],
      [
        "gen_ai.client.operation.exception",
        "ERROR",
        "retrieval FailingRetriever failed: IndexOffline: vector index offline",
      ],
    ]);
    const [ex] = records(EXCEPTION);
    expect(ex.severityNumber).toBe(SeverityNumber.ERROR);
    expect(ex.severityText).toBe("ERROR");
    expect(ex.body).toBe("retrieval FailingRetriever failed: IndexOffline: vector index offline");
    const { "exception.stacktrace": stack, ...rest } = ex.attributes;
    expect(rest).toEqual({
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "FailingRetriever",
      "error.type": "IndexOffline",
      "exception.type": "IndexOffline",
      "exception.message": "vector index offline",
    });
    expect(stack).toMatch(/^Error: vector index offline\n\s+at /);
    expectOnSpan(ex, failed);
  });

  it("a chat failing inside a chain: one exception record, at the chat, ERROR because the root failed with it (the app saw the error); its details record WARN", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    const model = chatModel([{ text: "", latencyMs: 100, error: new RateLimitError("429") }]);
    const chain = RunnableLambda.from(async (q: string, config) =>
      model.invoke(q, config),
    ).withConfig({ runName: "answer" });
    await expect(chain.invoke("Hello", { callbacks: [handler] })).rejects.toThrow();

    const exceptions = records(EXCEPTION);
    expect(exceptions.map((r) => [r.body, r.severityText])).toEqual([
      ["chat gpt-4o-mini failed: RateLimitError: 429", "ERROR"],
    ]);
    expect(records(INFERENCE_DETAILS)[0].severityNumber).toBe(SeverityNumber.WARN);
    expectOnSpan(exceptions[0], span("chat gpt-4o-mini"));
  });
});

describe("tool and agent records", () => {
  it("an agent run emits gen_ai.client.operation.details for the tool and the agent, each on its own span", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    await runTravelAgent(clock, handler);

    const ops = records(OPERATION_DETAILS);
    expect(ops.map((r) => r.body)).toEqual([
      "execute_tool get_weather: 2.00 s",
      "invoke_agent travel_agent: 2.00 s, 2 model calls, 1 tool call",
    ]);
    expect(ops.every((r) => r.severityNumber === SeverityNumber.INFO)).toBe(true);
    expect(ops[0].attributes).toEqual({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.type": "function",
      "gen_ai.agent.name": "travel_agent",
      "gen_ai.tool.call.id": "call_1",
      "gen_ai.client.operation.duration": 2,
    });
    expect(ops[1].attributes).toEqual({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "travel_agent",
      "gen_ai.client.operation.duration": 2,
      "langchain.agent.inference_count": 2,
      "langchain.agent.tool_call_count": 1,
    });
    expectOnSpan(ops[0], span("execute_tool get_weather"));
    expectOnSpan(ops[1], span("invoke_agent travel_agent"));
    // The agent's two model calls have their own inference records, on their own spans.
    const inference = records(INFERENCE_DETAILS);
    expect(inference).toHaveLength(2);
    const chatSpanIds = spanExporter
      .getFinishedSpans()
      .filter((s) => s.name.startsWith("chat"))
      .map((s) => s.spanContext().spanId);
    expect(inference.map((r) => r.spanContext?.spanId).sort()).toEqual(chatSpanIds.sort());
    expect(new Set(records().map((r) => r.spanContext?.traceId)).size).toBe(1);
  });

  it("a tool's arguments and result are in its record only when capture is on", async () => {
    const echo = tool(async ({ text }: { text: string }) => `echo: ${text}`, {
      name: "echo",
      description: "Echo",
      schema: z.object({ text: z.string() }),
    });
    const off = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
    });
    await echo.invoke({ text: "private" }, { callbacks: [off] });
    expect(JSON.stringify(records(OPERATION_DETAILS)[0].attributes)).not.toContain("private");

    logExporter.reset();
    const on = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      captureContent: true,
    });
    await echo.invoke({ text: "private" }, { callbacks: [on] });
    const [r] = records(OPERATION_DETAILS);
    expect(r.attributes["gen_ai.tool.call.arguments"]).toBe('{"text":"private"}');
    expect(r.attributes["gen_ai.tool.call.result"]).toBe("echo: private");
  });
});

describe("size budget for Loki", () => {
  it("truncates oversize content so a record stays under 64 KB of structured metadata and 128 entries, content still structured", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `meta_${i}`);
    const metadata = Object.fromEntries(keys.map((k) => [k, `value ${k}`]));
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      captureContent: true,
      maxContentLength: 1_000_000,
      metricMetadataKeys: keys,
    });
    const huge = "日本語のテキスト ".repeat(40_000); // ~360 KB of UTF-8, multi-byte
    const reply: ScriptedReply = { ...OK_REPLY, text: "é".repeat(100_000) };
    await chatModel([reply]).invoke(
      [
        { role: "system", content: huge },
        { role: "user", content: huge },
      ],
      { callbacks: [handler], metadata },
    );

    const [r] = records(INFERENCE_DETAILS);
    const attrs = r.attributes as Record<string, unknown>;
    expect(lokiMetadataBytes(attrs)).toBeLessThan(48 * 1024);
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(64);
    // The operation's own attributes survive; the opted-in metadata is what gets dropped.
    for (const key of [
      "gen_ai.operation.name",
      "gen_ai.request.model",
      "gen_ai.usage.input_tokens",
      "gen_ai.response.finish_reasons",
    ])
      expect(attrs).toHaveProperty(key);
    const input = attrs["gen_ai.input.messages"] as {
      role: string;
      parts: { type: string; content: string }[];
    }[];
    expect(input[0].role).toBe("user");
    expect(input[0].parts[0].content.startsWith("日本語のテキスト")).toBe(true);
    expect(input[0].parts[0].content.endsWith("…[truncated]")).toBe(true);
    const output = attrs["gen_ai.output.messages"] as { parts: { content: string }[] }[];
    expect(output[0].parts[0].content.endsWith("…[truncated]")).toBe(true);
    expect(Array.isArray(attrs["gen_ai.system_instructions"])).toBe(true);
  });

  it("keeps small content whole", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      captureContent: true,
    });
    await chatModel([OK_REPLY]).invoke("x".repeat(5_000), { callbacks: [handler] });
    const input = records(INFERENCE_DETAILS)[0].attributes["gen_ai.input.messages"] as {
      parts: { content: string }[];
    }[];
    expect(input[0].parts[0].content).toBe("x".repeat(5_000));
  });
});

describe("switches", () => {
  it("logMinSeverity WARN drops the INFO details of a successful call and keeps failures", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      logMinSeverity: SeverityNumber.WARN,
    });
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [handler] });
    expect(records()).toEqual([]);
    await expect(
      chatModel([{ text: "", error: new Error("boom") }]).invoke("Hello", { callbacks: [handler] }),
    ).rejects.toThrow();
    expect(records().map((r) => r.eventName)).toEqual([INFERENCE_DETAILS, EXCEPTION]);
  });

  it("logs: false emits nothing, through a given or the global provider", async () => {
    logs.setGlobalLoggerProvider(loggerProvider);
    const given = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      metrics: false,
      logs: false,
    });
    const global = new OpenTelemetryCallbackHandler({
      tracerProvider,
      metrics: false,
      logs: false,
    });
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [given] });
    await expect(
      chatModel([{ text: "", error: new Error("boom") }]).invoke("Hello", { callbacks: [global] }),
    ).rejects.toThrow();
    expect(records()).toEqual([]);
  });

  it("handler.forceFlush() with no loggerProvider given flushes the global logger provider", async () => {
    const batched = new InMemoryLogRecordExporter();
    const globalProvider = new LoggerProvider({
      processors: [
        new BatchLogRecordProcessor({ exporter: batched, scheduledDelayMillis: 3_600_000 }),
      ],
    });
    logs.setGlobalLoggerProvider(globalProvider);
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider, metrics: false });
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [handler] });
    expect(batched.getFinishedLogRecords()).toEqual([]); // still in the batch
    await handler.forceFlush();
    expect(batched.getFinishedLogRecords().map((r) => r.eventName)).toEqual([INFERENCE_DETAILS]);
    await globalProvider.shutdown();
  });

  it("a handler built with no loggerProvider emits through a global provider registered later", async () => {
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider, metrics: false });
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [handler] });
    expect(records()).toEqual([]); // nothing registered yet: the records go nowhere, silently

    logs.setGlobalLoggerProvider(loggerProvider);
    await chatModel([OK_REPLY]).invoke("Hello", { callbacks: [handler] });
    const [r] = records(INFERENCE_DETAILS);
    expect(r.body).toBe("chat gpt-4o-mini: 412 in / 96 out tokens, 1.23 s, stop");
    expectOnSpan(r, spanExporter.getFinishedSpans().at(-1)!);
  });
});
