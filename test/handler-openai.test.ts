/**
 * ChatOpenAI from @langchain/openai against an OpenAI-compatible server on 127.0.0.1 (no
 * network): what a real provider reports reaches the spans - provider, request and response
 * models, response id, usage with cached and reasoning tokens, finish reasons, tool calls,
 * streaming with a usage chunk, server address and port - and the API key never appears.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpanStatusCode } from "@opentelemetry/api";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { ChatOpenAI } from "@langchain/openai";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { allTelemetryText, memoryHandler, only, renderTree } from "./helpers/spans.js";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";
import { validate } from "./helpers/genai-schemas.js";

const API_KEY = "sk-test-SECRET123";
const SERVED_MODEL = "gpt-4o-mini-2024-07-18";
const USAGE = { prompt_tokens: 25, completion_tokens: 12, cached_tokens: 10, reasoning_tokens: 4 };
/** USAGE as the chat span reports it. */
const USAGE_ATTRIBUTES = {
  "gen_ai.usage.input_tokens": 25,
  "gen_ai.usage.output_tokens": 12,
  "gen_ai.usage.cache_read.input_tokens": 10,
  "gen_ai.usage.reasoning.output_tokens": 4,
};

let mock: OpenAIMock;
beforeAll(async () => {
  mock = await startOpenAIMock();
});
afterAll(async () => {
  await mock.close();
});

function model(extra: Record<string, unknown> = {}) {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: API_KEY,
    configuration: { baseURL: mock.baseURL },
    maxRetries: 0,
    temperature: 0.2,
    maxTokens: 64,
    ...extra,
  });
}

/** What a chat span of `model()` reports about its request (the mock's port is known once it listens). */
function requestAttributes() {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 64,
    "server.address": "127.0.0.1",
    "server.port": mock.port,
  };
}

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

describe("ChatOpenAI against an OpenAI-compatible server", () => {
  it("plain JSON: provider, models, response id, usage incl. cache_read and reasoning, finish reason, request params, server address/port", async () => {
    mock.replies = [
      { content: "Hello!", id: "chatcmpl-plain1", model: SERVED_MODEL, usage: USAGE },
    ];
    const { handler, spans } = memoryHandler();
    const answer = await model().invoke("Say hello", { callbacks: [handler] });
    expect(answer.content).toBe("Hello!");
    expect(mock.requests.at(-1)!.body.stream).toBeFalsy();
    expect(renderTree(spans())).toBe("chat gpt-4o-mini CLIENT");
    expect(only(spans(), "chat gpt-4o-mini").attributes).toEqual({
      ...requestAttributes(),
      "gen_ai.response.model": SERVED_MODEL,
      "gen_ai.response.id": "chatcmpl-plain1",
      "gen_ai.response.finish_reasons": ["stop"],
      ...USAGE_ATTRIBUTES,
    });
    expect(handler.openRunCount).toBe(0);
  });

  it("SSE streaming with a final usage chunk: stream flag, time to first chunk, usage, response id/model, finish reason", async () => {
    mock.replies = [
      { content: "Streaming hello!", id: "chatcmpl-stream1", model: SERVED_MODEL, usage: USAGE },
    ];
    const { handler, spans } = memoryHandler();
    let text = "";
    for await (const chunk of await model().stream("Say hello", { callbacks: [handler] }))
      text += chunk.content;
    expect(text).toBe("Streaming hello!");
    const request = mock.requests.at(-1)!.body;
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
    const span = only(spans(), "chat gpt-4o-mini");
    const { "gen_ai.response.time_to_first_chunk": ttfc, ...rest } = span.attributes;
    expect(typeof ttfc).toBe("number");
    expect(ttfc as number).toBeGreaterThan(0);
    expect(rest).toEqual({
      ...requestAttributes(),
      "gen_ai.request.stream": true,
      "gen_ai.response.model": SERVED_MODEL,
      "gen_ai.response.id": "chatcmpl-stream1",
      "gen_ai.response.finish_reasons": ["stop"],
      ...USAGE_ATTRIBUTES,
    });
    expect(handler.openRunCount).toBe(0);
  });

  it("a tool call (capture on): finish reason tool_calls, the call in gen_ai.output.messages, tool definitions from the request; schema-valid", async () => {
    mock.replies = [
      {
        content: null,
        id: "chatcmpl-tool1",
        model: SERVED_MODEL,
        toolCalls: [{ id: "call_abc123", name: "get_weather", arguments: '{"city":"Paris"}' }],
        usage: { prompt_tokens: 40, completion_tokens: 9 },
      },
    ];
    const { handler, spans } = memoryHandler({ captureContent: true });
    const answer = await model()
      .bindTools([weather])
      .invoke("Weather in Paris?", { callbacks: [handler] });
    expect(answer.tool_calls).toEqual([
      { id: "call_abc123", name: "get_weather", args: { city: "Paris" }, type: "tool_call" },
    ]);
    const span = only(spans(), "chat gpt-4o-mini");
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_calls"]);
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(40);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBe(9);
    // OpenAI reported zero cached and reasoning tokens: recorded as 0, not left out.
    expect(span.attributes["gen_ai.usage.cache_read.input_tokens"]).toBe(0);
    expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          {
            type: "tool_call",
            id: "call_abc123",
            name: "get_weather",
            arguments: { city: "Paris" },
          },
        ],
        finish_reason: "tool_call",
      },
    ]);
    expect(validate("gen_ai.input.messages", span.attributes["gen_ai.input.messages"])).toEqual([
      { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
    ]);
    expect(validate("gen_ai.tool.definitions", span.attributes["gen_ai.tool.definitions"])).toEqual(
      [
        {
          type: "function",
          name: "get_weather",
          description: "Weather for a city",
          parameters: expect.objectContaining({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          }),
        },
      ],
    );
  });

  it("a streamed tool call: the call is assembled from chunks into the output messages", async () => {
    mock.replies = [
      {
        content: null,
        id: "chatcmpl-tool2",
        model: SERVED_MODEL,
        toolCalls: [{ id: "call_s1", name: "get_weather", arguments: '{"city":"Rome"}' }],
        usage: USAGE,
      },
    ];
    const { handler, spans } = memoryHandler({ captureContent: true });
    for await (const _chunk of await model()
      .bindTools([weather])
      .stream("Weather in Rome?", { callbacks: [handler] })) {
      // drain
    }
    const span = only(spans(), "chat gpt-4o-mini");
    expect(span.attributes["gen_ai.request.stream"]).toBe(true);
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_calls"]);
    expect(typeof span.attributes["gen_ai.response.time_to_first_chunk"]).toBe("number");
    expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          { type: "tool_call", id: "call_s1", name: "get_weather", arguments: { city: "Rome" } },
        ],
        finish_reason: "tool_call",
      },
    ]);
  });

  it("an HTTP 429 from the provider: the chat span fails with the client's error class", async () => {
    mock.replies = [{ status: 429, content: "Rate limit reached" }];
    const { handler, spans } = memoryHandler();
    await expect(model().invoke("hi", { callbacks: [handler] })).rejects.toThrow();
    const span = only(spans(), "chat gpt-4o-mini");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("RateLimitError");
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
    expect(span.attributes["server.port"]).toBe(mock.port);
  });

  it("the API key reaches the server but never any span, event, metric point or log record (capture on)", async () => {
    mock.replies = [{ content: "fine", id: "chatcmpl-key", model: SERVED_MODEL, usage: USAGE }];
    const logExporter = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { handler, spans } = memoryHandler({
      captureContent: true,
      logs: true,
      metrics: true,
      loggerProvider,
      meterProvider,
    });
    await model().invoke("hi", { callbacks: [handler] });
    for await (const _c of await model().stream("hi", { callbacks: [handler] })) {
      // drain
    }
    expect(mock.requests.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    await reader.forceFlush();
    const records = logExporter.getFinishedLogRecords();
    expect(records.length).toBeGreaterThanOrEqual(2);
    const metricText = JSON.stringify(metricExporter.getMetrics());
    expect(metricText).toContain("gen_ai.client.operation.duration");
    const everything = [
      allTelemetryText(spans()),
      JSON.stringify(records.map((r) => ({ body: r.body, attributes: r.attributes }))),
      metricText,
    ].join("\n");
    expect(everything).not.toContain("SECRET123");
    expect(everything).not.toContain("openai_api_key");
    expect(everything).not.toContain("sk-test");
    await meterProvider.shutdown();
  });
});
