/**
 * gen_ai.tool.description on execute_tool spans when LangChain does not pass it (1.x): read from
 * the tool definitions of the model call that requested the tool (invocation_params.tools, in the
 * providers' formats), matched by name within the same agent or root run tree, never across two
 * requests; the description a tool object carries itself wins.
 */
import { describe, expect, it } from "vitest";
import { readToolDescriptions } from "../src/langchain/tool-descriptions.js";
import { memoryHandler } from "./helpers/spans.js";

const openaiTool = (name: string, description: string) => ({
  type: "function",
  function: { name, description, parameters: { type: "object", properties: {} } },
});

describe("readToolDescriptions", () => {
  it("reads OpenAI, Anthropic/Bedrock and Gemini definitions; the first of a name wins; no description, no entry", () => {
    const d = readToolDescriptions([
      openaiTool("a", "from OpenAI"),
      { name: "b", description: "from Anthropic", input_schema: {} },
      { functionDeclarations: [{ name: "c", description: "from Gemini" }, { name: "d" }] },
      openaiTool("a", "a second a"),
      { type: "function", function: { name: "e" } },
      null,
      "x",
    ]);
    expect([...d!]).toEqual([
      ["a", "from OpenAI"],
      ["b", "from Anthropic"],
      ["c", "from Gemini"],
    ]);
    expect(readToolDescriptions(undefined)).toBeUndefined();
    expect(readToolDescriptions([{ function: { name: "x" } }])).toBeUndefined();
  });

  it("cuts a description at 1024 characters", () => {
    const d = readToolDescriptions([openaiTool("a", "x".repeat(5000))]);
    expect(d!.get("a")!.length).toBeLessThanOrEqual(1024);
  });
});

/** Drives the handler's callbacks as LangChain does: a root chain, a model call with tools, a tool run. */
function agentRun(
  handler: ReturnType<typeof memoryHandler>["handler"],
  root: string,
  description: string | undefined,
  toolSerialized: Record<string, unknown> = { id: ["tools", "get_weather"] },
) {
  handler.handleChainStart({ id: ["chain"], lc: 1, type: "not_implemented" }, {}, root);
  handler.handleChatModelStart(
    { id: ["langchain", "chat_models", "openai", "ChatOpenAI"], lc: 1, type: "not_implemented" },
    [[]],
    `${root}-model`,
    root,
    {
      invocation_params: {
        model: "gpt-4o-mini",
        tools: description === undefined ? [] : [openaiTool("get_weather", description)],
      },
    },
    undefined,
    { ls_provider: "openai" },
  );
  handler.handleLLMEnd({ generations: [[]] }, `${root}-model`);
  handler.handleToolStart(
    toolSerialized as never,
    '{"city":"Paris"}',
    `${root}-tool`,
    root,
    undefined,
    undefined,
    "get_weather",
  );
  handler.handleToolEnd("sunny", `${root}-tool`);
  handler.handleChainEnd({}, root);
}

describe("gen_ai.tool.description on tool spans", () => {
  const toolDescription = (spans: ReturnType<ReturnType<typeof memoryHandler>["spans"]>) =>
    spans
      .filter((s) => s.name === "execute_tool get_weather")
      .map((s) => s.attributes["gen_ai.tool.description"]);

  it("comes from the requesting model call's definitions, per run tree: two requests with different definitions of one tool name never mix", () => {
    const { handler, spans } = memoryHandler();
    agentRun(handler, "r1", "Weather, first app");
    agentRun(handler, "r2", "Weather, second app");
    expect(toolDescription(spans())).toEqual(["Weather, first app", "Weather, second app"]);
  });

  it("is absent when no model call in the tree defined the tool, even after another tree did", () => {
    const { handler, spans } = memoryHandler();
    agentRun(handler, "r1", "Weather");
    agentRun(handler, "r2", undefined);
    expect(toolDescription(spans())).toEqual(["Weather", undefined]);
  });

  it("a description the tool object carries itself wins", () => {
    const { handler, spans } = memoryHandler();
    agentRun(handler, "r1", "from the definitions", {
      id: ["tools", "get_weather"],
      description: "from the tool",
    });
    expect(toolDescription(spans())).toEqual(["from the tool"]);
  });
});
