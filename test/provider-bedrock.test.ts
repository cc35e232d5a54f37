/**
 * ChatBedrockConverse (@langchain/aws 1.4.5) against a local server speaking Bedrock's Converse API
 * (JSON) and ConverseStream (the AWS event-stream binary framing), over HTTP/2 as the AWS SDK's
 * Bedrock runtime client speaks it: finish reasons (`stopReason`, `messageStop.stopReason`), usage
 * with cache reads and writes, the AWS request id as response id, tool calls. The endpoint is only
 * on the model object: with `noteModelInstance`, the client's custom endpoint gives the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatBedrockConverse } from "@langchain/aws";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { startBedrockMock, type BedrockMock } from "./helpers/provider-mocks/bedrock.js";
import { telemetry } from "./helpers/agent-kit.js";
import { allTelemetryText, only } from "./helpers/spans.js";
import { validate } from "./helpers/genai-schemas.js";

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const SPAN = `chat ${MODEL}`;
const CREDENTIALS = { accessKeyId: "AKIDTESTSECRET", secretAccessKey: "test-SECRET-key" };
/** Bedrock's inputTokens leave cache reads and writes out; the conventions' input count has them. */
const USAGE = {
  inputTokens: 25,
  outputTokens: 12,
  cacheReadInputTokens: 10,
  cacheWriteInputTokens: 3,
};

let mock: BedrockMock;
beforeAll(async () => {
  mock = await startBedrockMock();
});
afterAll(async () => {
  await mock.close();
});

function client() {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: mock.url,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
}

function model() {
  return new ChatBedrockConverse({
    model: MODEL,
    region: "us-east-1",
    client: client(),
    temperature: 0.2,
    maxTokens: 64,
  });
}

/** What a wrapper around the model call does: tells the handler which model object runs. */
class NotingBedrock extends ChatBedrockConverse {
  handler: OpenTelemetryCallbackHandler | undefined;
  override _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ) {
    if (runManager) this.handler?.noteModelInstance(runManager.runId, this);
    return super._generate(messages, options, runManager);
  }
}

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

const REQUEST = {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "aws.bedrock",
  "gen_ai.request.model": MODEL,
  "gen_ai.request.temperature": 0.2,
  "gen_ai.request.max_tokens": 64,
};
const USAGE_ATTRIBUTES = {
  "gen_ai.usage.input_tokens": 38,
  "gen_ai.usage.output_tokens": 12,
  "gen_ai.usage.cache_read.input_tokens": 10,
  "gen_ai.usage.cache_creation.input_tokens": 3,
};

describe("ChatBedrockConverse against Bedrock's Converse API", () => {
  it("Converse: finish reason stopReason, the AWS request id, usage with cache read/write", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE });
    const t = telemetry();
    await model().invoke("Say hello", { callbacks: [t.handler] });
    expect(mock.requests.at(-1)!.path).toBe(`/model/${MODEL}/converse`);
    // server.*: not in the callbacks; from the model object (last test), when something hands it over.
    const {
      "server.address": _address,
      "server.port": _port,
      ...attributes
    } = only(t.spans(), SPAN).attributes;
    expect(attributes).toEqual({
      ...REQUEST,
      "gen_ai.response.id": "req-mock-bedrock",
      "gen_ai.response.finish_reasons": ["end_turn"],
      ...USAGE_ATTRIBUTES,
    });
    expect(await t.points("gen_ai.client.operation.time_to_first_chunk")).toEqual([]);
    await t.shutdown();
  });

  it("ConverseStream (event-stream frames): stream flag, time to first chunk, finish from messageStop, usage from metadata", async () => {
    mock.script.set({ text: "Hello there!", usage: USAGE });
    const t = telemetry();
    let text = "";
    for await (const c of await model().stream("Say hello", { callbacks: [t.handler] }))
      text += c.content as string;
    expect(text).toBe("Hello there!");
    expect(mock.requests.at(-1)!.path).toBe(`/model/${MODEL}/converse-stream`);
    const span = only(t.spans(), SPAN);
    const {
      "gen_ai.response.time_to_first_chunk": ttfc,
      "server.address": _address,
      "server.port": _port,
      ...rest
    } = span.attributes;
    expect(ttfc as number).toBeGreaterThan(0);
    // No response id: the stream's request id does not reach LangChain's chunks.
    expect(rest).toEqual({
      ...REQUEST,
      "gen_ai.request.stream": true,
      "gen_ai.response.finish_reasons": ["end_turn"],
      ...USAGE_ATTRIBUTES,
    });
    expect(await t.points("gen_ai.client.operation.time_to_first_chunk")).toHaveLength(1);
    await t.shutdown();
  });

  it("tool calls, plain and streamed: stopReason tool_use, the output message's finish_reason tool_call", async () => {
    const call = { id: "tooluse_01", name: "get_weather", args: { city: "Paris" } };
    mock.script.set({ toolCalls: [call], usage: USAGE });
    const t = telemetry({ captureContent: true });
    // bindTools' declared call options omit `callbacks` (they are accepted at run time).
    const bound = model().bindTools([weather]) as unknown as Runnable<string>;
    await bound.invoke("Weather in Paris?", { callbacks: [t.handler] });
    for await (const _ of await bound.stream("Weather in Paris?", { callbacks: [t.handler] })) {
      // drain
    }
    const spans = t.spans().filter((s) => s.name === SPAN);
    expect(spans.map((s) => s.attributes["gen_ai.request.stream"])).toEqual([undefined, true]);
    for (const span of spans) {
      expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_use"]);
      expect(validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"])).toEqual(
        [
          {
            role: "assistant",
            parts: [
              {
                type: "tool_call",
                id: "tooluse_01",
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

  it("with the model object (noteModelInstance): the client's custom endpoint gives server.address/port, on the span and the metric points; no credential anywhere", async () => {
    mock.script.set({ text: "Hi", usage: USAGE, finish: "max_tokens" });
    const t = telemetry({ captureContent: true });
    const m = new NotingBedrock({ model: MODEL, region: "us-east-1", client: client() });
    m.handler = t.handler;
    await m.invoke("hi", { callbacks: [t.handler] });
    const span = only(t.spans(), SPAN);
    expect(span.attributes["server.address"]).toBe("127.0.0.1");
    expect(span.attributes["server.port"]).toBe(mock.port);
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["max_tokens"]);
    expect(
      (
        validate("gen_ai.output.messages", span.attributes["gen_ai.output.messages"]) as {
          finish_reason: string;
        }[]
      )[0]!.finish_reason,
    ).toBe("length");
    for (const p of await t.points("gen_ai.client.token.usage"))
      expect(p.attributes).toMatchObject({
        "server.address": "127.0.0.1",
        "server.port": mock.port,
      });
    const everything =
      allTelemetryText(t.spans()) + JSON.stringify(t.records().map((r) => r.attributes));
    expect(everything).not.toContain("SECRET");
    expect(String(mock.requests.at(-1)!.headers.authorization)).toContain("AKIDTESTSECRET");
    await t.shutdown();
  });
});
