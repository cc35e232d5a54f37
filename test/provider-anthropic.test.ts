/**
 * ChatAnthropic (@langchain/anthropic 1.5.11) against a local server speaking Anthropic's Messages
 * API (JSON and SSE): finish reasons, response model and id, server address, usage with cache
 * read/creation, the stream's output count as Anthropic reported it (LangChain's is one too many),
 * and captured messages without empty parts. The API key never appears.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatAnthropic } from "@langchain/anthropic";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { ChatGeneration, LLMResult } from "@langchain/core/outputs";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { startAnthropicMock, type AnthropicMock } from "./helpers/provider-mocks/anthropic.js";
import { telemetry } from "./helpers/agent-kit.js";
import { allTelemetryText, only } from "./helpers/spans.js";
import { validate } from "./helpers/genai-schemas.js";

const API_KEY = "sk-ant-test-SECRET456";
const SERVED = "claude-3-5-haiku-20241022";
/** Anthropic's input_tokens leave cache reads and writes out; the conventions' input count has them. */
const USAGE = {
  input_tokens: 25,
  output_tokens: 14,
  cache_read_input_tokens: 10,
  cache_creation_input_tokens: 3,
};

let mock: AnthropicMock;
beforeAll(async () => {
  mock = await startAnthropicMock();
});
afterAll(async () => {
  await mock.close();
});

function model() {
  return new ChatAnthropic({
    model: "claude-3-5-haiku-latest",
    apiKey: API_KEY,
    anthropicApiUrl: mock.url,
    maxRetries: 0,
    temperature: 0.2,
    maxTokens: 64,
  });
}

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

function common() {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-3-5-haiku-latest",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 64,
    "server.address": "127.0.0.1",
    "server.port": mock.port,
  };
}

const USAGE_ATTRIBUTES = {
  "gen_ai.usage.input_tokens": 38,
  "gen_ai.usage.output_tokens": 14,
  "gen_ai.usage.cache_read.input_tokens": 10,
  "gen_ai.usage.cache_creation.input_tokens": 3,
};

/** Records what LangChain hands to handleLLMEnd, to pin its own numbers. */
class LastResult extends BaseCallbackHandler {
  name = "last_result";
  override awaitHandlers = true;
  result: LLMResult | undefined;
  override handleLLMEnd(output: LLMResult): void {
    this.result = output;
  }
}

describe("ChatAnthropic against Anthropic's Messages API", () => {
  it("plain: finish reason end_turn (stop in output messages), response model and id, cache read/creation in the input count, server from anthropicApiUrl; metric points carry the server", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE, model: SERVED, id: "msg_plain1" });
    const t = telemetry();
    await model().invoke("Say hello", { callbacks: [t.handler] });
    expect(mock.requests.at(-1)!.body.stream).toBeFalsy();
    expect(only(t.spans(), "chat claude-3-5-haiku-latest").attributes).toEqual({
      ...common(),
      "gen_ai.response.model": SERVED,
      "gen_ai.response.id": "msg_plain1",
      "gen_ai.response.finish_reasons": ["end_turn"],
      ...USAGE_ATTRIBUTES,
    });
    const metricAttributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.request.model": "claude-3-5-haiku-latest",
      "gen_ai.response.model": SERVED,
      "server.address": "127.0.0.1",
      "server.port": mock.port,
    };
    expect(await t.points("gen_ai.client.token.usage")).toEqual([
      { attributes: { ...metricAttributes, "gen_ai.token.type": "input" }, count: 1, sum: 38 },
      { attributes: { ...metricAttributes, "gen_ai.token.type": "output" }, count: 1, sum: 14 },
    ]);
    expect(await t.points("gen_ai.client.operation.time_to_first_chunk")).toEqual([]);
    await t.shutdown();
  });

  it("SSE stream: stream flag, time to first chunk, the response model and stop reason from the stream, and Anthropic's output count (14, where LangChain's sum says 15)", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE, model: SERVED, id: "msg_stream1" });
    const t = telemetry();
    const last = new LastResult();
    let text = "";
    for await (const c of await model().stream("Say hello", { callbacks: [t.handler, last] }))
      text += c.content as string;
    expect(text).toBe("Hello there!");
    expect(mock.requests.at(-1)!.body.stream).toBe(true);
    const span = only(t.spans(), "chat claude-3-5-haiku-latest");
    const { "gen_ai.response.time_to_first_chunk": ttfc, ...rest } = span.attributes;
    expect(ttfc as number).toBeGreaterThan(0);
    expect(rest).toEqual({
      ...common(),
      "gen_ai.request.stream": true,
      "gen_ai.response.model": SERVED,
      "gen_ai.response.id": "msg_stream1",
      "gen_ai.response.finish_reasons": ["end_turn"],
      ...USAGE_ATTRIBUTES,
    });
    // Pinned upstream behaviour: LangChain adds message_start's provisional output_tokens (1) to
    // message_delta's final count. When this fails, @langchain/anthropic fixed it: drop the correction.
    const generation = last.result!.generations[0]![0] as ChatGeneration;
    expect((generation.message as AIMessageChunk).usage_metadata).toMatchObject({
      input_tokens: 38,
      output_tokens: 15,
    });
    const points = await t.points("gen_ai.client.token.usage");
    expect(points.map((p) => [p.attributes["gen_ai.token.type"], p.sum])).toEqual([
      ["input", 38],
      ["output", 14],
    ]);
    const ttfcPoints = await t.points("gen_ai.client.operation.time_to_first_chunk");
    expect(ttfcPoints).toHaveLength(1);
    expect(ttfcPoints[0]!.count).toBe(1);
    await t.shutdown();
  });

  it("a tool call, plain: tool_use, the call in the output message with finish_reason tool_call", async () => {
    const call = { id: "toolu_01", name: "get_weather", args: { city: "Paris" } };
    mock.script.set({ toolCalls: [call], usage: USAGE, model: SERVED, id: "msg_tool1" });
    const t = telemetry({ captureContent: true });
    await model()
      .bindTools([weather])
      .invoke("Weather in Paris?", { callbacks: [t.handler] });
    const span = only(t.spans(), "chat claude-3-5-haiku-latest");
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_use"]);
    expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          { type: "tool_call", id: "toolu_01", name: "get_weather", arguments: { city: "Paris" } },
        ],
        finish_reason: "tool_call",
      },
    ]);
    await t.shutdown();
  });

  it("a streamed tool call: no empty input_json_delta part in the output message; finish from the stream's message_delta", async () => {
    const call = { id: "toolu_02", name: "get_weather", args: { city: "Rome" } };
    mock.script.set({ toolCalls: [call], usage: USAGE, model: SERVED, id: "msg_tool2" });
    const t = telemetry({ captureContent: true });
    for await (const _ of await model()
      .bindTools([weather])
      .stream("Weather in Rome?", { callbacks: [t.handler] })) {
      // drain
    }
    const span = only(t.spans(), "chat claude-3-5-haiku-latest");
    expect(span.attributes["gen_ai.request.stream"]).toBe(true);
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_use"]);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBe(14);
    expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          { type: "tool_call", id: "toolu_02", name: "get_weather", arguments: { city: "Rome" } },
        ],
        finish_reason: "tool_call",
      },
    ]);
    // The details record carries the same numbers as the span.
    const record = t.records("gen_ai.client.inference.operation.details")[0]!;
    expect(record.attributes["gen_ai.usage.output_tokens"]).toBe(14);
    expect(record.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_use"]);
    expect(allTelemetryText(t.spans())).not.toContain("SECRET456");
    expect(JSON.stringify(t.records().map((r) => r.attributes))).not.toContain("SECRET456");
    expect(mock.requests.at(-1)!.headers["x-api-key"]).toBe(API_KEY);
    await t.shutdown();
  });
});
