/**
 * Attributes read from what LangChain passes to the callbacks: provider names, request
 * parameters, usage (and its fallback), response ids, conversation ids, cache hits, text
 * completion models, custom events, and hidden LangGraph runs.
 */
import { describe, expect, it } from "vitest";
import { FakeListChatModel, FakeLLM } from "@langchain/core/utils/testing";
import { InMemoryCache } from "@langchain/core/caches";
import { RunnableLambda } from "@langchain/core/runnables";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { createAgent, FakeToolCallingModel } from "langchain";
import { isChildOf, memoryHandler, only, renderTree } from "./helpers/spans.js";

const LLM = {
  lc: 1,
  type: "constructor",
  id: ["langchain", "chat_models", "x", "SomeChat"],
  kwargs: {},
};

/** A chat model run through the callbacks, as LangChain calls them; returns the span's attributes. */
function chatRun(
  metadata: Record<string, unknown>,
  invocationParams: Record<string, unknown>,
  output: unknown,
  options = {},
) {
  const { handler, spans } = memoryHandler(options);
  handler.handleChatModelStart(
    LLM,
    [[]],
    "run-1",
    undefined,
    { invocation_params: invocationParams },
    [],
    metadata,
  );
  handler.handleLLMEnd(output, "run-1");
  return only(spans(), spans()[0].name);
}

describe("identifier cap", () => {
  it("a 1000-character model name is cut to exactly 256 characters, ending in the truncation mark, on the span name and attributes", () => {
    const mark = "…[truncated]";
    const cut = (c: string) => c.repeat(256 - mark.length) + mark;
    const span = chatRun(
      { ls_provider: "openai" },
      { model: "m".repeat(1000) },
      {
        generations: [
          [{ text: "x", message: { response_metadata: { model_name: "r".repeat(1000) } } }],
        ],
        llmOutput: { model_name: "r".repeat(1000) },
      },
    );
    expect(cut("m")).toHaveLength(256);
    expect(span.name).toBe(`chat ${cut("m")}`);
    expect(span.attributes["gen_ai.request.model"]).toBe(cut("m"));
    expect(span.attributes["gen_ai.response.model"]).toBe(cut("r"));
  });
});

describe("provider names", () => {
  const cases: [string, string][] = [
    ["openai", "openai"],
    ["anthropic", "anthropic"],
    ["azure", "azure.ai.openai"],
    ["bedrock", "aws.bedrock"],
    ["amazon_bedrock", "aws.bedrock"],
    ["google_vertexai", "gcp.vertex_ai"],
    ["google_genai", "gcp.gemini"],
    ["mistral", "mistral_ai"],
    ["groq", "groq"],
    ["cohere", "cohere"],
    ["deepseek", "deepseek"],
    ["xai", "x_ai"],
    ["ollama", "ollama"],
  ];
  for (const [lsProvider, expected] of cases) {
    it(`ls_provider ${lsProvider} -> gen_ai.provider.name ${expected}`, () => {
      expect(
        chatRun({ ls_provider: lsProvider }, { model: "m" }, { generations: [] }).attributes[
          "gen_ai.provider.name"
        ],
      ).toBe(expected);
    });
  }

  it("without ls_provider, response_metadata.model_provider names the provider at the end", () => {
    const span = chatRun(
      {},
      { model: "m" },
      {
        generations: [
          [{ text: "x", message: { response_metadata: { model_provider: "anthropic" } } }],
        ],
      },
    );
    expect(span.attributes["gen_ai.provider.name"]).toBe("anthropic");
  });
});

describe("request parameters, usage and response", () => {
  it("every known request parameter from invocation_params; model from invocation_params over ls_model_name", () => {
    const span = chatRun(
      { ls_provider: "openai", ls_model_name: "from-metadata", ls_temperature: 0.9 },
      {
        model: "gpt-x",
        temperature: 0.1,
        max_tokens: 100,
        top_p: 0.5,
        top_k: 3,
        frequency_penalty: 0.2,
        presence_penalty: 0.3,
        seed: 42,
        stop: ["END", "STOP"],
        n: 2,
        response_format: { type: "json_schema" },
      },
      { generations: [] },
    );
    expect(span.name).toBe("chat gpt-x");
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-x",
      "gen_ai.request.temperature": 0.1,
      "gen_ai.request.max_tokens": 100,
      "gen_ai.request.top_p": 0.5,
      "gen_ai.request.top_k": 3,
      "gen_ai.request.frequency_penalty": 0.2,
      "gen_ai.request.presence_penalty": 0.3,
      "gen_ai.request.seed": 42,
      "gen_ai.request.stop_sequences": ["END", "STOP"],
      "gen_ai.request.choice.count": 2,
      "gen_ai.output.type": "json",
    });
  });

  it("ls_model_name, ls_temperature and ls_max_tokens when invocation_params lack them", () => {
    const span = chatRun(
      { ls_model_name: "claude-x", ls_temperature: 0.7, ls_max_tokens: 256 },
      {},
      { generations: [] },
    );
    expect(span.name).toBe("chat claude-x");
    expect(span.attributes["gen_ai.request.model"]).toBe("claude-x");
    expect(span.attributes["gen_ai.request.temperature"]).toBe(0.7);
    expect(span.attributes["gen_ai.request.max_tokens"]).toBe(256);
  });

  it("usage_metadata: input/output as reported (cached and reasoning included, not subtracted), cache creation too", () => {
    const message = {
      id: "msg_01",
      usage_metadata: {
        input_tokens: 100,
        output_tokens: 50,
        total_tokens: 150,
        input_token_details: { cache_read: 60, cache_creation: 20 },
        output_token_details: { reasoning: 30 },
      },
      response_metadata: { model_name: "claude-x-20250101", stop_reason: "end_turn" },
    };
    const span = chatRun(
      { ls_provider: "anthropic" },
      { model: "claude-x" },
      {
        generations: [[{ text: "hi", message }]],
        llmOutput: { estimatedTokenUsage: { promptTokens: 999 } },
      },
    );
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(100);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBe(50);
    expect(span.attributes["gen_ai.usage.cache_read.input_tokens"]).toBe(60);
    expect(span.attributes["gen_ai.usage.cache_creation.input_tokens"]).toBe(20);
    expect(span.attributes["gen_ai.usage.reasoning.output_tokens"]).toBe(30);
    expect(span.attributes["gen_ai.response.model"]).toBe("claude-x-20250101");
    expect(span.attributes["gen_ai.response.id"]).toBe("msg_01");
    expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["end_turn"]);
  });

  it("llmOutput.tokenUsage is the fallback; estimatedTokenUsage is never used", () => {
    expect(
      chatRun(
        {},
        { model: "m" },
        {
          generations: [[{ text: "x" }]],
          llmOutput: { tokenUsage: { promptTokens: 7, completionTokens: 3 } },
        },
      ).attributes,
    ).toMatchObject({
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 3,
    });
    const estimated = chatRun(
      {},
      { model: "m" },
      {
        generations: [[{ text: "x" }]],
        llmOutput: { estimatedTokenUsage: { promptTokens: 7, completionTokens: 3 } },
      },
    );
    expect(estimated.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    expect(estimated.attributes["gen_ai.usage.output_tokens"]).toBeUndefined();
  });

  it("the run-<uuid> / lc_run--<uuid> ids LangChain fills in are not response ids", () => {
    for (const id of [
      "run-0b6f3c1e-1111-2222-3333-444455556666",
      "lc_run--0b6f3c1e-1111-2222-3333-444455556666",
    ]) {
      expect(
        chatRun({}, { model: "m" }, { generations: [[{ text: "x", message: { id } }]] }).attributes[
          "gen_ai.response.id"
        ],
      ).toBeUndefined();
    }
  });

  it("gen_ai.conversation.id from thread_id, session_id or conversation_id metadata", () => {
    expect(
      chatRun({ thread_id: "t-9" }, {}, { generations: [] }).attributes["gen_ai.conversation.id"],
    ).toBe("t-9");
    expect(
      chatRun({ session_id: "s-9" }, {}, { generations: [] }).attributes["gen_ai.conversation.id"],
    ).toBe("s-9");
    expect(
      chatRun({ conversation_id: "c-9" }, {}, { generations: [] }).attributes[
        "gen_ai.conversation.id"
      ],
    ).toBe("c-9");
  });

  it("gen_ai.conversation.id from metadata follows the association rule: conversation_id > session_id > thread_id", () => {
    const conv = (metadata: Record<string, unknown>) =>
      chatRun(metadata, {}, { generations: [] }).attributes["gen_ai.conversation.id"];
    expect(conv({ thread_id: "t", session_id: "s", conversation_id: "c" })).toBe("c");
    expect(conv({ thread_id: "t", session_id: "s" })).toBe("s");
    expect(conv({ thread_id: "t", conversationId: "c2" })).toBe("c2");
    expect(conv({ thread_id: 7 })).toBe("7");
    // Not a usable id: the next key is read.
    expect(conv({ conversation_id: "", session_id: true, thread_id: "t" })).toBe("t");
  });

  it("server.address/port from a base URL in the serialized configuration, never the rest of kwargs", () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    const llm = {
      ...LLM,
      kwargs: {
        configuration: {
          baseURL: "https://llm.internal.example:8443/v1",
          defaultHeaders: { "x-api-key": "HEADERSECRET" },
        },
        openai_api_key: "KEYSECRET",
      },
    };
    handler.handleChatModelStart(
      llm,
      [[]],
      "r",
      undefined,
      { invocation_params: { model: "m" } },
      [],
      {},
    );
    handler.handleLLMEnd({ generations: [] }, "r");
    const span = only(spans(), "chat m");
    expect(span.attributes["server.address"]).toBe("llm.internal.example");
    expect(span.attributes["server.port"]).toBe(8443);
    expect(JSON.stringify(span.attributes)).not.toMatch(/SECRET/);
  });
});

describe("runs of other kinds", () => {
  it("an LLM (text completion model) is a CLIENT span `text_completion` with the prompt as a user message when capture is on", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    await new FakeLLM({ response: "done" }).invoke("complete this", { callbacks: [handler] });
    const span = only(spans(), "text_completion");
    expect(renderTree(spans())).toBe("text_completion CLIENT");
    expect(span.attributes["gen_ai.operation.name"]).toBe("text_completion");
    expect(JSON.parse(span.attributes["gen_ai.input.messages"] as string)).toEqual([
      { role: "user", parts: [{ type: "text", content: "complete this" }] },
    ]);
    expect(JSON.parse(span.attributes["gen_ai.output.messages"] as string)).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "done" }], finish_reason: "stop" },
    ]);
  });

  it("a cache hit is marked langchain.cache_hit and not as streamed (LangChain replays it as one token)", async () => {
    const { handler, spans } = memoryHandler();
    const model = new FakeListChatModel({ responses: ["a", "b"], cache: new InMemoryCache() });
    expect((await model.invoke("same", { callbacks: [handler] })).content).toBe("a");
    expect((await model.invoke("same", { callbacks: [handler] })).content).toBe("a");
    const [miss, hit] = spans();
    expect(miss.attributes["langchain.cache_hit"]).toBeUndefined();
    expect(hit.attributes["langchain.cache_hit"]).toBe(true);
    expect(hit.attributes["gen_ai.request.stream"]).toBeUndefined();
    expect(hit.attributes["gen_ai.response.time_to_first_chunk"]).toBeUndefined();
  });

  it("custom events become span events: the name always, the data only with capture on", async () => {
    const fn = RunnableLambda.from(async (x: string) => {
      await dispatchCustomEvent("progress", { step: "SECRETSTEP" });
      return x;
    });
    const off = memoryHandler();
    await fn.invoke("q", { callbacks: [off.handler] });
    expect(
      only(off.spans(), "invoke_workflow RunnableLambda").events.map((e) => [e.name, e.attributes]),
    ).toEqual([["progress", {}]]);
    const on = memoryHandler({ captureContent: true });
    await fn.invoke("q", { callbacks: [on.handler] });
    expect(
      only(on.spans(), "invoke_workflow RunnableLambda").events.map((e) => [e.name, e.attributes]),
    ).toEqual([["progress", { "langchain.event.data": '{"step":"SECRETSTEP"}' }]]);
  });
});

describe("hidden LangGraph runs", () => {
  it("showHiddenRuns: true records them (__start__)", async () => {
    const { handler, spans } = memoryHandler({ showHiddenRuns: true });
    await createAgent({ model: new FakeToolCallingModel({}), tools: [], name: "a1" }).invoke(
      { messages: [{ role: "user", content: "x" }] },
      { callbacks: [handler] },
    );
    expect(renderTree(spans())).toBe(
      [
        "invoke_agent a1 INTERNAL",
        "  __start__ INTERNAL",
        "  model_request INTERNAL",
        "    chat CLIENT",
      ].join("\n"),
    );
  });

  it("children of a hidden run attach to its nearest recorded ancestor, through several hidden levels", () => {
    const { handler, spans } = memoryHandler();
    handler.handleChainStart(
      { id: ["x", "Root"] },
      {},
      "root",
      undefined,
      [],
      {},
      undefined,
      "Root",
    );
    handler.handleChainStart(
      { id: ["x", "H1"] },
      {},
      "h1",
      "root",
      ["langsmith:hidden"],
      {},
      undefined,
      "H1",
    );
    handler.handleChainStart(
      { id: ["x", "H2"] },
      {},
      "h2",
      "h1",
      ["langsmith:hidden"],
      {},
      undefined,
      "H2",
    );
    handler.handleChatModelStart(
      LLM,
      [[]],
      "model",
      "h2",
      { invocation_params: { model: "m" } },
      [],
      {},
    );
    handler.handleLLMEnd({ generations: [] }, "model");
    handler.handleChainEnd({}, "h2");
    handler.handleChainEnd({}, "h1");
    handler.handleChainEnd({}, "root");
    expect(renderTree(spans())).toBe(
      ["invoke_workflow Root INTERNAL", "  chat m CLIENT"].join("\n"),
    );
    expect(isChildOf(only(spans(), "chat m"), only(spans(), "invoke_workflow Root"))).toBe(true);
    expect(handler.openRunCount).toBe(0);
  });
});
