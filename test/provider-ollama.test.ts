/**
 * ChatOllama (@langchain/ollama 1.3.0) against a local server speaking Ollama's chat API (NDJSON):
 * every call streams over the wire (ChatOllama's _generate reads the stream too), finish reason
 * from `done_reason`, response model, usage from prompt_eval_count / eval_count, request
 * parameters from `options`. The base URL is only on the model object: the server attributes come
 * from `noteModelInstance`, which the code wrapping the model call gives it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatOllama } from "@langchain/ollama";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { startOllamaMock, type OllamaMock } from "./helpers/provider-mocks/ollama.js";
import { telemetry } from "./helpers/agent-kit.js";
import { only } from "./helpers/spans.js";
import { validate } from "./helpers/genai-schemas.js";

const USAGE = { prompt_eval_count: 25, eval_count: 12 };

let mock: OllamaMock;
beforeAll(async () => {
  mock = await startOllamaMock();
});
afterAll(async () => {
  await mock.close();
});

function model() {
  return new ChatOllama({
    model: "llama3.2",
    baseUrl: mock.url,
    temperature: 0.2,
    topP: 0.9,
    numPredict: 64,
  });
}

/** What a wrapper around the model call does: tells the handler which model object runs. */
class NotingOllama extends ChatOllama {
  constructor(
    private readonly handler: OpenTelemetryCallbackHandler,
    fields: ConstructorParameters<typeof ChatOllama>[0],
  ) {
    super(fields);
  }
  override _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ) {
    if (runManager) this.handler.noteModelInstance(runManager.runId, this);
    return super._generate(messages, options, runManager);
  }
}

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

function common() {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "ollama",
    "gen_ai.request.model": "llama3.2",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.max_tokens": 64,
  };
}

describe("ChatOllama against Ollama's chat API", () => {
  it("invoke: streamed over the wire (NDJSON), so a stream with its first chunk; finish done_reason, response model, usage; the server from the model object, which the run-context wrapper hands to the handler (the base URL is not in the callbacks)", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE });
    const t = telemetry();
    const answer = await model().invoke("Say hello", { callbacks: [t.handler] });
    expect(answer.content).toBe("Hello there!");
    expect(mock.requests.at(-1)!.body.stream).toBe(true);
    const span = only(t.spans(), "chat llama3.2");
    const { "gen_ai.response.time_to_first_chunk": ttfc, ...rest } = span.attributes;
    expect(ttfc as number).toBeGreaterThan(0);
    expect(rest).toEqual({
      ...common(),
      "gen_ai.request.stream": true,
      "gen_ai.response.model": "llama3.2",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 25,
      "gen_ai.usage.output_tokens": 12,
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(mock.url).port),
    });
    await t.shutdown();
  });

  it("with the model object (noteModelInstance): server.address/port from baseUrl on the span and every metric point", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE, finish: "length" });
    const t = telemetry();
    await new NotingOllama(t.handler, { model: "llama3.2", baseUrl: mock.url }).invoke("hi", {
      callbacks: [t.handler],
    });
    const span = only(t.spans(), "chat llama3.2");
    expect(span.attributes["server.address"]).toBe("127.0.0.1");
    expect(span.attributes["server.port"]).toBe(mock.port);
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["length"]);
    const server = { "server.address": "127.0.0.1", "server.port": mock.port };
    for (const metric of [
      "gen_ai.client.token.usage",
      "gen_ai.client.operation.duration",
      "gen_ai.client.operation.time_to_first_chunk",
    ]) {
      const points = await t.points(metric);
      expect(points.length, metric).toBeGreaterThan(0);
      for (const p of points) expect(p.attributes, metric).toMatchObject(server);
    }
    await t.shutdown();
  });

  it("a tool call: Ollama says stop; the output message has the call and finish_reason tool_call", async () => {
    mock.script.set({
      toolCalls: [{ id: "unused", name: "get_weather", args: { city: "Paris" } }],
      usage: USAGE,
    });
    const t = telemetry({ captureContent: true });
    const answer = await model()
      .bindTools([weather])
      .invoke("Weather in Paris?", { callbacks: [t.handler] });
    const span = only(t.spans(), "chat llama3.2");
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    // A tool-call-only stream has no text chunk, but its tool-call chunk is output.
    expect(typeof span.attributes["gen_ai.response.time_to_first_chunk"]).toBe("number");
    expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          {
            type: "tool_call",
            id: answer.tool_calls![0]!.id,
            name: "get_weather",
            arguments: { city: "Paris" },
          },
        ],
        finish_reason: "tool_call",
      },
    ]);
    await t.shutdown();
  });
});
