/**
 * Content capture: off by default (no prompt, completion, tool argument/result or document text
 * anywhere), on with `captureContent: true` or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
 * and then valid against the GenAI conventions' JSON schemas (v1.41.0, copied in
 * test/fixtures/semconv-genai-v1.41.0), also after truncation to `maxContentLength`.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel, FakeRetriever } from "@langchain/core/utils/testing";
import { Document } from "@langchain/core/documents";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { createAgent, FakeToolCallingModel, tool } from "langchain";
import { z } from "zod";
import { allTelemetryText, memoryHandler, named, only } from "./helpers/spans.js";
import { SCHEMA_FILES, validate, type ContentAttr } from "./helpers/genai-schemas.js";

// ---------------------------------------------------------------- fixtures

/** FakeToolCallingModel that reports its bound tools in `invocation_params` (as real providers do). */
class ToolReportingModel extends FakeToolCallingModel {
  override invocationParams(): Record<string, unknown> {
    // `tools` is declared private in the .d.ts; it is a plain field at runtime.
    const tools = (this as unknown as { tools: StructuredToolInterface[] }).tools;
    return { model: "fake-tools-1", tools: tools.map((t) => convertToOpenAITool(t)) };
  }
  override bindTools(tools: Parameters<FakeToolCallingModel["bindTools"]>[0]): ToolReportingModel {
    const self = this as unknown as { toolCalls: unknown; indexRef: unknown; tools: unknown[] };
    const bound = new ToolReportingModel({
      toolCalls: self.toolCalls,
      indexRef: self.indexRef,
    } as ConstructorParameters<typeof FakeToolCallingModel>[0]);
    (bound as unknown as { tools: unknown[] }).tools = [...self.tools, ...tools];
    return bound;
  }
}

const weather = tool(async ({ city }: { city: string }) => `TOOLRESULT sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

function agentWithTools() {
  const model = new ToolReportingModel({
    toolCalls: [[{ name: "get_weather", args: { city: "TOOLARG_Paris" }, id: "call_1" }], []],
  });
  return createAgent({
    model,
    tools: [weather],
    name: "travel_agent",
    systemPrompt: "SYSPROMPT be helpful",
  });
}

function promptChain(response = "COMPLETION hello there") {
  return ChatPromptTemplate.fromMessages([
    ["system", "SYSPROMPT be brief"],
    ["human", "PROMPT hi {x}"],
  ])
    .pipe(new FakeListChatModel({ responses: [response] }))
    .pipe(new StringOutputParser());
}

const CONTENT_ATTRS = [
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.system_instructions",
  "gen_ai.tool.definitions",
  "gen_ai.tool.call.arguments",
  "gen_ai.tool.call.result",
  "gen_ai.retrieval.query.text",
  "gen_ai.retrieval.documents",
  "langchain.retrieval.documents",
  "langchain.chain.inputs",
  "langchain.chain.outputs",
];

function contentAttributesOf(spans: readonly ReadableSpan[]): string[] {
  return spans.flatMap((s) =>
    Object.keys(s.attributes)
      .filter((k) => CONTENT_ATTRS.includes(k))
      .map((k) => `${s.name}:${k}`),
  );
}

// ---------------------------------------------------------------- tests

describe("content capture off (the default)", () => {
  const ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
  afterEach(() => {
    delete process.env[ENV];
  });

  it("no prompt, completion, system prompt, tool argument, tool result, query or document text on any span, event or log record", async () => {
    const logExporter = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    const { handler, spans } = memoryHandler({ logs: true, loggerProvider });
    await promptChain().invoke({ x: "INPUTVAR" }, { callbacks: [handler] });
    await agentWithTools().invoke(
      { messages: [{ role: "user", content: "PROMPT weather?" }] },
      { callbacks: [handler] },
    );
    const retriever = new FakeRetriever({
      output: [
        new Document({ pageContent: "DOCUMENT secret page", metadata: { source: "DOCSOURCE" } }),
      ],
    });
    await RunnableLambda.from((q: string) => q)
      .pipe(retriever)
      .invoke("QUERY where", { callbacks: [handler] });
    const chat = named(spans(), "chat");
    expect(chat.length).toBeGreaterThan(0);
    expect(contentAttributesOf(spans())).toEqual([]);
    const text = allTelemetryText(spans());
    const records = logExporter.getFinishedLogRecords();
    // The log records exist (model calls, tools, agent): the check below is not vacuous.
    expect(records.length).toBeGreaterThanOrEqual(3);
    const logText = JSON.stringify(
      records.map((r) => ({ body: r.body, attributes: r.attributes })),
    );
    for (const marker of [
      "SYSPROMPT",
      "PROMPT",
      "INPUTVAR",
      "COMPLETION",
      "TOOLARG",
      "TOOLRESULT",
      "QUERY",
      "DOCUMENT",
      "DOCSOURCE",
      "Paris",
    ]) {
      expect(text, `span text contains ${marker}`).not.toContain(marker);
      expect(logText, `log text contains ${marker}`).not.toContain(marker);
    }
    expect(handler.openRunCount).toBe(0);
  });

  it("captureContent: false wins over the environment variable", async () => {
    process.env[ENV] = "true";
    const { handler, spans } = memoryHandler({ captureContent: false });
    await promptChain().invoke({ x: "a" }, { callbacks: [handler] });
    expect(contentAttributesOf(spans())).toEqual([]);
  });

  it("the environment variable other than 'true' leaves capture off", async () => {
    process.env[ENV] = "1";
    const { handler, spans } = memoryHandler();
    await promptChain().invoke({ x: "a" }, { callbacks: [handler] });
    expect(contentAttributesOf(spans())).toEqual([]);
  });

  it(`${ENV}=true (any case, spaces) turns capture on`, async () => {
    process.env[ENV] = " TRUE ";
    const { handler, spans } = memoryHandler();
    await promptChain().invoke({ x: "a" }, { callbacks: [handler] });
    const chat = only(spans(), "chat");
    expect(validate("gen_ai.input.messages", chat.attributes["gen_ai.input.messages"])).toEqual([
      { role: "user", parts: [{ type: "text", content: "PROMPT hi a" }] },
    ]);
  });
});

describe("the schema check itself", () => {
  it("rejects content that breaks the schemas (a text part without content, an output message without finish_reason)", () => {
    expect(() =>
      validate("gen_ai.input.messages", '[{"role":"user","parts":[{"type":"text"}]}]'),
    ).toThrow();
    expect(() => validate("gen_ai.output.messages", '[{"role":"assistant","parts":[]}]')).toThrow();
    expect(() => validate("gen_ai.retrieval.documents", '[{"id":"a"}]')).toThrow();
    expect(
      validate(
        "gen_ai.input.messages",
        '[{"role":"user","parts":[{"type":"text","content":"x"}]}]',
      ),
    ).toEqual([{ role: "user", parts: [{ type: "text", content: "x" }] }]);
  });
});

describe("content capture on", () => {
  it("prompt | model | parser: system instructions, input and output messages exactly, schema-valid; chain inputs/outputs as JSON", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    await promptChain().invoke({ x: "bob" }, { callbacks: [handler] });
    const chat = only(spans(), "chat");
    expect(
      validate("gen_ai.system_instructions", chat.attributes["gen_ai.system_instructions"]),
    ).toEqual([{ type: "text", content: "SYSPROMPT be brief" }]);
    expect(validate("gen_ai.input.messages", chat.attributes["gen_ai.input.messages"])).toEqual([
      { role: "user", parts: [{ type: "text", content: "PROMPT hi bob" }] },
    ]);
    expect(validate("gen_ai.output.messages", chat.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [{ type: "text", content: "COMPLETION hello there" }],
        finish_reason: "stop",
      },
    ]);
    const root = only(spans(), "invoke_workflow RunnableSequence");
    expect(JSON.parse(root.attributes["langchain.chain.inputs"] as string)).toEqual({ x: "bob" });
    expect(JSON.parse(root.attributes["langchain.chain.outputs"] as string)).toEqual({
      output: "COMPLETION hello there",
    });
  });

  it("agent: tool definitions, tool calls in output, tool call responses in the next input, tool arguments/results, agent input/output; all schema-valid", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    await agentWithTools().invoke(
      { messages: [{ role: "user", content: "PROMPT weather?" }] },
      { callbacks: [handler] },
    );
    const [first, second] = named(spans(), "chat fake-tools-1");
    expect(
      validate("gen_ai.tool.definitions", first.attributes["gen_ai.tool.definitions"]),
    ).toEqual([
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
    ]);
    expect(
      validate("gen_ai.system_instructions", first.attributes["gen_ai.system_instructions"]),
    ).toEqual([{ type: "text", content: "SYSPROMPT be helpful" }]);
    expect(validate("gen_ai.output.messages", first.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          // FakeToolCallingModel answers with the contents of all its input messages joined by "-".
          { type: "text", content: "SYSPROMPT be helpful-PROMPT weather?" },
          {
            type: "tool_call",
            id: "call_1",
            name: "get_weather",
            arguments: { city: "TOOLARG_Paris" },
          },
        ],
        // The model gives no finish value; a reply that calls tools finishes with tool_call.
        finish_reason: "tool_call",
      },
    ]);
    const secondInput = validate(
      "gen_ai.input.messages",
      second.attributes["gen_ai.input.messages"],
    ) as { role: string; parts: unknown[] }[];
    expect(secondInput.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(secondInput[1].parts).toContainEqual({
      type: "tool_call",
      id: "call_1",
      name: "get_weather",
      arguments: { city: "TOOLARG_Paris" },
    });
    expect(secondInput[2].parts).toEqual([
      { type: "tool_call_response", id: "call_1", response: "TOOLRESULT sunny in TOOLARG_Paris" },
    ]);
    validate("gen_ai.output.messages", second.attributes["gen_ai.output.messages"]);

    const toolSpan = only(spans(), "execute_tool get_weather");
    expect(JSON.parse(toolSpan.attributes["gen_ai.tool.call.arguments"] as string)).toEqual({
      city: "TOOLARG_Paris",
    });
    expect(toolSpan.attributes["gen_ai.tool.call.result"]).toBe(
      "TOOLRESULT sunny in TOOLARG_Paris",
    );

    const agent = only(spans(), "invoke_agent travel_agent");
    expect(validate("gen_ai.input.messages", agent.attributes["gen_ai.input.messages"])).toEqual([
      { role: "user", parts: [{ type: "text", content: "PROMPT weather?" }] },
    ]);
    // The agent's output: its last message (the final answer).
    expect(validate("gen_ai.output.messages", agent.attributes["gen_ai.output.messages"])).toEqual([
      {
        role: "assistant",
        parts: [
          {
            type: "text",
            content:
              "SYSPROMPT be helpful-PROMPT weather?-SYSPROMPT be helpful-PROMPT weather?-TOOLRESULT sunny in TOOLARG_Paris",
          },
        ],
        // createAgent names its AI messages after the agent.
        name: "travel_agent",
        finish_reason: "stop",
      },
    ]);
  });

  it("multimodal and reasoning content map to blob, uri, file and reasoning parts (schema-valid)", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    const model = new FakeListChatModel({ responses: ["ok"] });
    await model.invoke(
      [
        new SystemMessage("SYS"),
        new HumanMessage({
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: "https://example.test/cat.png" },
          ],
        }),
        new AIMessage({
          content: [
            { type: "reasoning", reasoning: "thinking hard" },
            { type: "text", text: "a cat" },
          ],
        }),
        new HumanMessage({
          content: [
            { type: "file", mimeType: "application/pdf", data: "JVBERi0=" },
            {
              type: "image",
              source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" },
            },
            { type: "image", fileId: "file-123", mimeType: "image/png" },
            { type: "text", text: "thanks" },
          ],
        }),
      ],
      { callbacks: [handler] },
    );
    const input = validate(
      "gen_ai.input.messages",
      only(spans(), "chat").attributes["gen_ai.input.messages"],
    );
    expect(input).toEqual([
      {
        role: "user",
        parts: [
          { type: "text", content: "what is this?" },
          { type: "blob", modality: "image", mime_type: "image/png", content: "iVBORw0KGgo=" },
          { type: "uri", modality: "image", uri: "https://example.test/cat.png" },
        ],
      },
      {
        role: "assistant",
        parts: [
          { type: "reasoning", content: "thinking hard" },
          { type: "text", content: "a cat" },
        ],
      },
      {
        role: "user",
        parts: [
          { type: "blob", modality: "document", mime_type: "application/pdf", content: "JVBERi0=" },
          { type: "blob", modality: "image", mime_type: "image/jpeg", content: "/9j/4AAQ" },
          { type: "file", modality: "image", mime_type: "image/png", file_id: "file-123" },
          { type: "text", content: "thanks" },
        ],
      },
    ]);
  });

  it("retriever with scores: query text and documents (id, score, content) valid against the retrieval-documents schema", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    const retriever = new FakeRetriever({
      output: [
        new Document({ pageContent: "first page", metadata: { source: "a.md", score: 0.9 } }),
        new Document({
          pageContent: "second page",
          id: "doc-2",
          metadata: { relevance_score: 0.5 },
        }),
      ],
    });
    await retriever.invoke("where is it", { callbacks: [handler] });
    const span = only(spans(), "retrieval FakeRetriever");
    expect(span.attributes["gen_ai.retrieval.query.text"]).toBe("where is it");
    expect(
      validate("gen_ai.retrieval.documents", span.attributes["gen_ai.retrieval.documents"]),
    ).toEqual([
      { id: "a.md", score: 0.9, content: "first page" },
      { id: "doc-2", score: 0.5, content: "second page" },
    ]);
    expect(span.attributes["langchain.retrieval.documents"]).toBeUndefined();
  });

  it("retriever without scores: the schema requires a score, so the documents go under langchain.retrieval.documents", async () => {
    const { handler, spans } = memoryHandler({ captureContent: true });
    const retriever = new FakeRetriever({
      output: [
        new Document({ pageContent: "first page", metadata: { source: "a.md", score: 0.9 } }),
        new Document({ pageContent: "p2", id: "doc-2" }),
      ],
    });
    await retriever.invoke("q", { callbacks: [handler] });
    const span = only(spans(), "retrieval FakeRetriever");
    expect(span.attributes["gen_ai.retrieval.documents"]).toBeUndefined();
    expect(JSON.parse(span.attributes["langchain.retrieval.documents"] as string)).toEqual([
      { id: "a.md", score: 0.9, content: "first page" },
      { id: "doc-2", content: "p2" },
    ]);
  });

  it("truncation to maxContentLength keeps every content attribute valid JSON, within the limit, and schema-valid", async () => {
    const max = 300;
    const { handler, spans } = memoryHandler({ captureContent: true, maxContentLength: max });
    const huge = "x".repeat(50_000);
    const chain = ChatPromptTemplate.fromMessages([
      ["system", `${huge} system`],
      ["human", "{q}"],
    ]).pipe(new FakeListChatModel({ responses: [`${huge} answer \u{1F600}"quoted"\\`] }));
    await chain.invoke({ q: `${huge} question \u{1F600}` }, { callbacks: [handler] });
    const all = spans();
    let checked = 0;
    for (const s of all) {
      for (const [k, v] of Object.entries(s.attributes)) {
        if (!CONTENT_ATTRS.includes(k)) continue;
        checked++;
        expect(typeof v).toBe("string");
        expect((v as string).length, `${s.name} ${k}`).toBeLessThanOrEqual(max);
        expect(() => JSON.parse(v as string), `${s.name} ${k}`).not.toThrow();
        if (k in SCHEMA_FILES) validate(k as ContentAttr, v);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    const chat = only(all, "chat");
    const input = JSON.parse(chat.attributes["gen_ai.input.messages"] as string);
    expect(input[0].parts[0].content).toMatch(/^x+…\[truncated\]$/);
  });

  it("many messages: truncation drops trailing items but keeps a schema-valid array", async () => {
    const max = 500;
    const { handler, spans } = memoryHandler({ captureContent: true, maxContentLength: max });
    const messages = Array.from({ length: 200 }, (_, i) => new HumanMessage(`message number ${i}`));
    await new FakeListChatModel({ responses: ["ok"] }).invoke(messages, { callbacks: [handler] });
    const v = only(spans(), "chat").attributes["gen_ai.input.messages"] as string;
    expect(v.length).toBeLessThanOrEqual(max);
    const parsed = validate("gen_ai.input.messages", v) as unknown[];
    // The leading messages are kept whole and in order, as many as fit: one more would not.
    const message = (i: number) => ({
      role: "user",
      parts: [{ type: "text", content: `message number ${i}` }],
    });
    const kept = parsed.length;
    expect(kept).toBeGreaterThan(0);
    expect(parsed).toEqual(Array.from({ length: kept }, (_, i) => message(i)));
    expect(
      JSON.stringify(Array.from({ length: kept + 1 }, (_, i) => message(i))).length,
    ).toBeGreaterThan(max);
  });
});
