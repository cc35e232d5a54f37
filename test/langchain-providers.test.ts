/**
 * The per-provider readers of src/langchain/providers.ts on the payload shapes each integration
 * produces (as observed against the provider mocks): finish values and their mapping, response
 * model and id, server address from settings and from the model object, nested request parameters,
 * stream detection, Anthropic's final stream output count.
 */
import { describe, expect, it } from "vitest";
import { AIMessage, AIMessageChunk } from "@langchain/core/messages";
import { ChatGenerationChunk } from "@langchain/core/outputs";
import {
  anthropicFinalOutputTokens,
  customEndpointOfModelInstance,
  isChunkToken,
  isStreamedResult,
  nestedRequestParams,
  normaliseFinishReason,
  rawFinishReason,
  responseIdOf,
  responseModelOf,
  serverOfModelInstance,
  serverOfSettings,
  serverOfUrl,
} from "../src/langchain/providers.js";

describe("finish reasons", () => {
  it("maps every listed provider value to the conventions' set and keeps the others verbatim", () => {
    const table: [string, string][] = [
      ["stop", "stop"],
      ["length", "length"],
      ["tool_calls", "tool_call"],
      ["function_call", "tool_call"],
      ["content_filter", "content_filter"],
      ["end_turn", "stop"],
      ["stop_sequence", "stop"],
      ["max_tokens", "length"],
      ["model_context_window_exceeded", "length"],
      ["tool_use", "tool_call"],
      ["refusal", "content_filter"],
      ["guardrail_intervened", "content_filter"],
      ["content_filtered", "content_filter"],
      ["STOP", "stop"],
      ["MAX_TOKENS", "length"],
      ["SAFETY", "content_filter"],
      ["RECITATION", "content_filter"],
      ["BLOCKLIST", "content_filter"],
      ["PROHIBITED_CONTENT", "content_filter"],
      ["SPII", "content_filter"],
      ["IMAGE_SAFETY", "content_filter"],
      ["completed", "stop"],
      ["max_output_tokens", "length"],
      ["failed", "error"],
      ["pause_turn", "pause_turn"],
      ["MALFORMED_FUNCTION_CALL", "MALFORMED_FUNCTION_CALL"],
      ["load", "load"],
    ];
    for (const [raw, mapped] of table) expect(normaliseFinishReason(raw, false), raw).toBe(mapped);
  });

  it("a natural stop of a reply with tool calls is tool_call; other reasons stay; none is stop", () => {
    expect(normaliseFinishReason("STOP", true)).toBe("tool_call");
    expect(normaliseFinishReason("completed", true)).toBe("tool_call");
    expect(normaliseFinishReason("length", true)).toBe("length");
    expect(normaliseFinishReason(undefined, true)).toBe("tool_call");
    expect(normaliseFinishReason(undefined, false)).toBe("stop");
  });

  it("reads the provider's value wherever its integration puts it", () => {
    const gen = (rm: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      message: { response_metadata: rm, ...extra },
    });
    expect(rawFinishReason({ generationInfo: { finish_reason: "length" } })).toBe("length");
    expect(rawFinishReason(gen({ stop_reason: "end_turn" }))).toBe("end_turn");
    expect(rawFinishReason(gen({}, { additional_kwargs: { stop_reason: "max_tokens" } }))).toBe(
      "max_tokens",
    );
    expect(rawFinishReason({ generationInfo: { finishReason: "SAFETY" } })).toBe("SAFETY");
    expect(rawFinishReason(gen({ done_reason: "stop" }))).toBe("stop");
    expect(rawFinishReason(gen({ stopReason: "tool_use" }))).toBe("tool_use");
    expect(rawFinishReason(gen({ messageStop: { stopReason: "guardrail_intervened" } }))).toBe(
      "guardrail_intervened",
    );
    expect(rawFinishReason(gen({ object: "response", status: "completed" }))).toBe("completed");
    expect(
      rawFinishReason(
        gen({
          object: "response",
          status: "incomplete",
          incomplete_details: { reason: "content_filter" },
        }),
      ),
    ).toBe("content_filter");
    // `status` of something that is not a Responses API response is not a finish reason.
    expect(rawFinishReason(gen({ status: "completed" }))).toBeUndefined();
    expect(rawFinishReason(null)).toBeUndefined();
    expect(rawFinishReason({ message: "x" })).toBeUndefined();
  });
});

describe("response model and id", () => {
  it("model_name before model (the Responses API stream doubles model), then Anthropic's stream kwargs", () => {
    expect(
      responseModelOf({
        message: {
          response_metadata: {
            model_name: "gpt-4o-mini-2024-07-18",
            model: "gpt-4o-mini-2024-07-18gpt-4o-mini-2024-07-18",
          },
        },
      }),
    ).toBe("gpt-4o-mini-2024-07-18");
    expect(responseModelOf({ message: { response_metadata: { model: "llama3.2" } } })).toBe(
      "llama3.2",
    );
    expect(
      responseModelOf({
        message: {
          response_metadata: {},
          additional_kwargs: { model: "claude-3-5-haiku-20241022" },
        },
      }),
    ).toBe("claude-3-5-haiku-20241022");
    expect(
      responseModelOf({ message: { response_metadata: { model_provider: "google-genai" } } }),
    ).toBeUndefined();
  });

  it("the provider's id; LangChain's run- and lc_run ids are not response ids", () => {
    expect(responseIdOf({ message: { id: "msg_01" } })).toBe("msg_01");
    expect(responseIdOf({ message: { id: "run-0192", response_metadata: { id: "resp_9" } } })).toBe(
      undefined,
    );
    expect(responseIdOf({ message: { response_metadata: { id: "resp_9" } } })).toBe("resp_9");
    expect(responseIdOf({ message: { id: "lc_run--0192" } })).toBeUndefined();
  });
});

describe("server address", () => {
  it("host and port of a URL, the scheme's default port when none; nothing for non-URLs", () => {
    expect(serverOfUrl("https://api.anthropic.com")).toEqual({
      address: "api.anthropic.com",
      port: 443,
    });
    expect(serverOfUrl("http://10.0.0.5/v1")).toEqual({ address: "10.0.0.5", port: 80 });
    expect(serverOfUrl("http://[::1]:11434")).toEqual({ address: "::1", port: 11434 });
    expect(serverOfUrl("http://user:secret@host:8080/x?key=1")).toEqual({
      address: "host",
      port: 8080,
    });
    expect(serverOfUrl("not a url")).toBeUndefined();
    expect(serverOfUrl("file:///tmp/x")).toBeUndefined();
    expect(serverOfUrl(42)).toBeUndefined();
  });

  it("from serialized settings: OpenAI, Gemini, Anthropic, Azure endpoint, base path and instance name", () => {
    const kw = (kwargs: Record<string, unknown>) => ({ lc: 1, type: "constructor", kwargs });
    expect(
      serverOfSettings(kw({ configuration: { baseURL: "http://127.0.0.1:9/v1" } }), undefined),
    ).toEqual({ address: "127.0.0.1", port: 9 });
    expect(
      serverOfSettings(kw({ base_url: "https://generativelanguage.googleapis.com" }), undefined),
    ).toEqual({ address: "generativelanguage.googleapis.com", port: 443 });
    expect(
      serverOfSettings(kw({ anthropic_api_url: "https://api.anthropic.com" }), undefined),
    ).toEqual({ address: "api.anthropic.com", port: 443 });
    expect(
      serverOfSettings(kw({ azure_endpoint: "https://acme.openai.azure.com/" }), undefined),
    ).toEqual({ address: "acme.openai.azure.com", port: 443 });
    expect(
      serverOfSettings(
        kw({ openai_api_base: "https://acme.openai.azure.com/openai/deployments" }),
        undefined,
      ),
    ).toEqual({ address: "acme.openai.azure.com", port: 443 });
    expect(serverOfSettings(kw({ azure_open_ai_api_instance_name: "acme" }), undefined)).toEqual({
      address: "acme.openai.azure.com",
      port: 443,
    });
    expect(
      serverOfSettings(kw({ azure_open_ai_api_instance_name: "a.b/c" }), undefined),
    ).toBeUndefined();
    expect(
      serverOfSettings({ lc: 1, type: "not_implemented", id: ["x"] }, undefined),
    ).toBeUndefined();
    expect(serverOfSettings(undefined, { baseURL: "http://h:1" })).toEqual({
      address: "h",
      port: 1,
    });
  });

  it("from the model object: Ollama's baseUrl, Bedrock's endpointHost or region; a custom client endpoint is async", async () => {
    expect(serverOfModelInstance({ baseUrl: "http://127.0.0.1:11434" })).toEqual({
      address: "127.0.0.1",
      port: 11434,
    });
    const client = (config: Record<string, unknown>) => ({ config });
    expect(
      serverOfModelInstance({
        endpointHost: "bedrock.example.com",
        region: "us-east-1",
        client: client({}),
      }),
    ).toEqual({ address: "bedrock.example.com", port: 443 });
    expect(serverOfModelInstance({ region: "eu-west-3", client: client({}) })).toEqual({
      address: "bedrock-runtime.eu-west-3.amazonaws.com",
      port: 443,
    });
    const custom = {
      region: "us-east-1",
      client: client({
        isCustomEndpoint: true,
        endpoint: async () => ({ hostname: "127.0.0.1", port: 4566, protocol: "http:", path: "/" }),
      }),
    };
    expect(serverOfModelInstance(custom)).toBeUndefined();
    await expect(customEndpointOfModelInstance(custom)).resolves.toEqual({
      address: "127.0.0.1",
      port: 4566,
    });
    const noPort = {
      client: client({
        isCustomEndpoint: true,
        endpoint: async () => ({ hostname: "vpce.example.com", protocol: "https:" }),
      }),
    };
    await expect(customEndpointOfModelInstance(noPort)).resolves.toEqual({
      address: "vpce.example.com",
      port: 443,
    });
    const failing = {
      client: client({
        isCustomEndpoint: true,
        endpoint: async () => {
          throw new Error("no");
        },
      }),
    };
    await expect(customEndpointOfModelInstance(failing)).resolves.toBeUndefined();
    expect(
      customEndpointOfModelInstance({ region: "us-east-1", client: client({}) }),
    ).toBeUndefined();
    expect(serverOfModelInstance({ region: "us-east-1" })).toBeUndefined(); // not an AWS client
    expect(serverOfModelInstance(null)).toBeUndefined();
    // AzureChatOpenAI.withConfig's ChatOpenAI keeps the Azure settings only in `fields`.
    expect(
      serverOfModelInstance({ fields: { azureOpenAIEndpoint: "https://acme.openai.azure.com/" } }),
    ).toEqual({ address: "acme.openai.azure.com", port: 443 });
    expect(serverOfModelInstance({ azureOpenAIApiInstanceName: "acme" })).toEqual({
      address: "acme.openai.azure.com",
      port: 443,
    });
    expect(
      serverOfModelInstance({
        azureOpenAIBasePath: "https://proxy.example:8443/openai/deployments",
      }),
    ).toEqual({ address: "proxy.example", port: 8443 });
  });
});

describe("nested request parameters", () => {
  it("Gemini's generationConfig, Ollama's options, Bedrock's inferenceConfig; top-level wins; empty stop lists dropped", () => {
    expect(
      nestedRequestParams({
        generationConfig: {
          stopSequences: [],
          maxOutputTokens: 64,
          temperature: 0.2,
          topP: 0.9,
          topK: 40,
        },
      }),
    ).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 0.9, top_k: 40 });
    expect(
      nestedRequestParams({
        model: "llama3.2",
        options: { num_predict: 64, temperature: 0.2, top_p: 0.8, seed: 7, stop: ["\n"] },
      }),
    ).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 0.8, seed: 7, stop: ["\n"] });
    expect(
      nestedRequestParams({
        inferenceConfig: { maxTokens: 64, temperature: 0.2, topP: 1, stopSequences: ["END"] },
      }),
    ).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 1, stop: ["END"] });
    expect(nestedRequestParams({ temperature: 1, options: { temperature: 0.2 } })).toBeUndefined();
    expect(nestedRequestParams({ model: "gpt-4o" })).toBeUndefined();
    expect(nestedRequestParams(undefined)).toBeUndefined();
  });
});

describe("streaming", () => {
  it("a token with a chunk is a streamed token; Gemini's tokens have no fields", () => {
    expect(
      isChunkToken({
        chunk: new ChatGenerationChunk({ text: "x", message: new AIMessageChunk("x") }),
      }),
    ).toBe(true);
    expect(isChunkToken(undefined)).toBe(false);
    expect(isChunkToken({ chunk: "x" })).toBe(false);
  });

  it("a result assembled from chunks is a stream; a plain generation with an AIMessage is not", () => {
    const chunk = new ChatGenerationChunk({ text: "x", message: new AIMessageChunk("x") });
    expect(isStreamedResult({ generations: [[chunk]] })).toBe(true);
    expect(
      isStreamedResult({ generations: [[{ text: "x", message: new AIMessageChunk("x") }]] }),
    ).toBe(true);
    expect(isStreamedResult({ generations: [[{ text: "x", message: new AIMessage("x") }]] })).toBe(
      false,
    );
    expect(isStreamedResult({ generations: "x" })).toBe(false);
    expect(isStreamedResult(undefined)).toBe(false);
  });

  it("Anthropic's message_delta chunk gives the final output count; other chunks give none", () => {
    const delta = new AIMessageChunk({
      content: "",
      additional_kwargs: { stop_reason: "end_turn", stop_sequence: null },
      usage_metadata: { input_tokens: 0, output_tokens: 14, total_tokens: 14 },
    });
    expect(
      anthropicFinalOutputTokens({ chunk: new ChatGenerationChunk({ text: "", message: delta }) }),
    ).toBe(14);
    const start = new AIMessageChunk({
      content: "",
      additional_kwargs: { model: "claude" },
      usage_metadata: { input_tokens: 38, output_tokens: 1, total_tokens: 39 },
    });
    expect(
      anthropicFinalOutputTokens({ chunk: new ChatGenerationChunk({ text: "", message: start }) }),
    ).toBeUndefined();
    expect(
      anthropicFinalOutputTokens({
        chunk: new ChatGenerationChunk({ text: "x", message: new AIMessageChunk("x") }),
      }),
    ).toBeUndefined();
    expect(anthropicFinalOutputTokens(undefined)).toBeUndefined();
  });
});
