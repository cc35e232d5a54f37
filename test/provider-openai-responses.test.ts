/**
 * ChatOpenAI with `useResponsesApi` (@langchain/openai 1.6) against a local server speaking OpenAI's
 * Responses API (JSON and its typed SSE events): the status as finish reason (`completed`,
 * `incomplete_details.reason`), the output message's finish reason in the conventions' set, the
 * response model once (LangChain's stream concatenates `model` with itself; `model_name` is
 * right), max tokens from `max_output_tokens`, cached and reasoning tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatOpenAI } from "@langchain/openai";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { ChatGeneration, LLMResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import {
  startResponsesMock,
  type ResponsesMock,
} from "./helpers/provider-mocks/openai-responses.js";
import { telemetry } from "./helpers/agent-kit.js";
import { only } from "./helpers/spans.js";
import { validate } from "./helpers/genai-schemas.js";

const SERVED = "gpt-4o-mini-2024-07-18";
const USAGE = { input_tokens: 25, output_tokens: 12, cached_tokens: 10, reasoning_tokens: 4 };

let mock: ResponsesMock;
beforeAll(async () => {
  mock = await startResponsesMock();
});
afterAll(async () => {
  await mock.close();
});

function model() {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-test-SECRET000",
    useResponsesApi: true,
    configuration: { baseURL: `${mock.url}/v1` },
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

class LastResult extends BaseCallbackHandler {
  name = "last_result";
  override awaitHandlers = true;
  result: LLMResult | undefined;
  override handleLLMEnd(output: LLMResult): void {
    this.result = output;
  }
}

function common() {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 64,
    "server.address": "127.0.0.1",
    "server.port": mock.port,
    "gen_ai.response.model": SERVED,
    "gen_ai.usage.input_tokens": 25,
    "gen_ai.usage.output_tokens": 12,
    "gen_ai.usage.cache_read.input_tokens": 10,
    "gen_ai.usage.reasoning.output_tokens": 4,
  };
}

describe("ChatOpenAI (Responses API) against OpenAI's /v1/responses", () => {
  it("plain: status completed as finish reason, stop in the output message, response id and model, max_output_tokens, cached and reasoning tokens", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE, model: SERVED, id: "resp_plain1" });
    const t = telemetry({ captureContent: true });
    await model().invoke("Say hello", { callbacks: [t.handler] });
    expect(mock.requests.at(-1)!.body.max_output_tokens).toBe(64);
    const { "gen_ai.input.messages": _in, ...attributes } = only(
      t.spans(),
      "chat gpt-4o-mini",
    ).attributes;
    expect(attributes).toEqual({
      ...common(),
      "gen_ai.response.id": "resp_plain1",
      "gen_ai.response.finish_reasons": ["completed"],
      "gen_ai.output.messages": JSON.stringify([
        {
          role: "assistant",
          parts: [{ type: "text", content: "Hello there!" }],
          finish_reason: "stop",
        },
      ]),
    });
    await t.shutdown();
  });

  it("SSE stream: stream flag, time to first chunk, the response model once (LangChain's doubled `model` is not used), status completed", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE, model: SERVED, id: "resp_stream1" });
    const t = telemetry();
    const last = new LastResult();
    for await (const _ of await model().stream("Say hello", { callbacks: [t.handler, last] })) {
      // drain
    }
    expect(mock.requests.at(-1)!.body.stream).toBe(true);
    const span = only(t.spans(), "chat gpt-4o-mini");
    const { "gen_ai.response.time_to_first_chunk": ttfc, ...rest } = span.attributes;
    expect(ttfc as number).toBeGreaterThan(0);
    expect(rest).toEqual({
      ...common(),
      "gen_ai.request.stream": true,
      "gen_ai.response.id": "resp_stream1",
      "gen_ai.response.finish_reasons": ["completed"],
    });
    // Pinned upstream behaviour: response.created and response.completed both set `model`, and
    // merging the chunks concatenates them. When this fails, @langchain/openai fixed it.
    const message = (last.result!.generations[0]![0] as ChatGeneration).message as AIMessageChunk;
    expect(message.response_metadata.model).toBe(SERVED + SERVED);
    expect(message.response_metadata.model_name).toBe(SERVED);
    await t.shutdown();
  });

  it("a function call, plain and streamed: status completed, the output message's finish_reason tool_call", async () => {
    const call = { id: "call_r1", name: "get_weather", args: { city: "Paris" } };
    mock.script.set({ toolCalls: [call], usage: USAGE, model: SERVED, id: "resp_tool1" });
    const t = telemetry({ captureContent: true });
    const bound = model().bindTools([weather]);
    await bound.invoke("Weather in Paris?", { callbacks: [t.handler] });
    for await (const _ of await bound.stream("Weather in Paris?", { callbacks: [t.handler] })) {
      // drain
    }
    const spans = t.spans().filter((s) => s.name === "chat gpt-4o-mini");
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["completed"]);
      expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual(
        [
          {
            role: "assistant",
            parts: [
              {
                type: "tool_call",
                id: "call_r1",
                name: "get_weather",
                arguments: { city: "Paris" },
              },
            ],
            finish_reason: "tool_call",
          },
        ],
      );
    }
    await t.shutdown();
  });

  it("incomplete (max_output_tokens): that reason as finish reason, length in the output message and the details record's finish reasons", async () => {
    mock.script.set({
      text: "Hello th",
      incomplete: "max_output_tokens",
      usage: USAGE,
      model: SERVED,
      id: "resp_cut1",
    });
    const t = telemetry({ captureContent: true });
    await model().invoke("Say hello", { callbacks: [t.handler] });
    const span = only(t.spans(), "chat gpt-4o-mini");
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["max_output_tokens"]);
    expect(JSON.parse(span.attributes["gen_ai.output.messages"] as string)[0].finish_reason).toBe(
      "length",
    );
    const record = t.records("gen_ai.client.inference.operation.details")[0]!;
    expect(record.attributes["gen_ai.response.finish_reasons"]).toEqual(["max_output_tokens"]);
    await t.shutdown();
  });
});
