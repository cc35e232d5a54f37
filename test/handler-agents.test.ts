/**
 * Agents and LangGraph: `createAgent` with a fake tool-calling model (two tool calls, then an
 * answer), `createReactAgent`, a plain StateGraph (a workflow, not an agent), and `interrupt()`
 * (control flow, not an error).
 */
import { describe, expect, it } from "vitest";
import { createAgent, FakeToolCallingModel, tool } from "langchain";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import {
  Annotation,
  Command,
  END,
  interrupt,
  MemorySaver,
  START,
  StateGraph,
} from "@langchain/langgraph";
import { z } from "zod";
import { isChildOf, memoryHandler, named, only, parentId, renderTree } from "./helpers/spans.js";

const KEYS = [
  "gen_ai.operation.name",
  "gen_ai.agent.name",
  "gen_ai.workflow.name",
  "gen_ai.tool.name",
  "gen_ai.tool.call.id",
  "langgraph.node",
  "langgraph.step",
];

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});
const time = tool(async ({ city }: { city: string }) => `noon in ${city}`, {
  name: "get_time",
  description: "Time for a city",
  schema: z.object({ city: z.string() }),
});

describe("createAgent with a fake tool-calling model", () => {
  async function run() {
    const h = memoryHandler();
    const model = new FakeToolCallingModel({
      toolCalls: [
        [
          { name: "get_weather", args: { city: "Paris" }, id: "call_1" },
          { name: "get_time", args: { city: "Paris" }, id: "call_2" },
        ],
        [],
      ],
    });
    const agent = createAgent({ model, tools: [weather, time], name: "travel_agent" });
    const result = await agent.invoke(
      { messages: [{ role: "user", content: "Weather in Paris?" }] },
      { callbacks: [h.handler], configurable: { thread_id: "t-1" } },
    );
    return { ...h, result };
  }

  it("exact tree: invoke_agent > model_request > chat, tools > execute_tool x2, model_request > chat (the routing lambdas are hidden)", async () => {
    const { spans, result, handler } = await run();
    // Two tool messages and a final answer came back.
    expect(result.messages.filter((m) => m.getType() === "tool").map((m) => m.content)).toEqual([
      "sunny in Paris",
      "noon in Paris",
    ]);
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      [
        "invoke_agent travel_agent INTERNAL gen_ai.operation.name=invoke_agent gen_ai.agent.name=travel_agent",
        "  model_request INTERNAL langgraph.node=model_request langgraph.step=1",
        "    chat CLIENT gen_ai.operation.name=chat",
        "  tools INTERNAL langgraph.node=tools langgraph.step=2",
        "    execute_tool get_weather INTERNAL gen_ai.operation.name=execute_tool gen_ai.tool.name=get_weather gen_ai.tool.call.id=call_1",
        "  tools INTERNAL langgraph.node=tools langgraph.step=2",
        "    execute_tool get_time INTERNAL gen_ai.operation.name=execute_tool gen_ai.tool.name=get_time gen_ai.tool.call.id=call_2",
        "  model_request INTERNAL langgraph.node=model_request langgraph.step=3",
        "    chat CLIENT gen_ai.operation.name=chat",
      ].join("\n"),
    );
    expect(handler.openRunCount).toBe(0);
  });

  it("parents: every node is a child of the agent span, every tool span a child of a tools node, one trace", async () => {
    const { spans } = await run();
    const all = spans();
    const agent = only(all, "invoke_agent travel_agent");
    expect(parentId(agent)).toBeUndefined();
    for (const node of [...named(all, "model_request"), ...named(all, "tools")])
      expect(isChildOf(node, agent)).toBe(true);
    const toolsNodes = named(all, "tools");
    expect(isChildOf(only(all, "execute_tool get_weather"), toolsNodes[0])).toBe(true);
    expect(isChildOf(only(all, "execute_tool get_time"), toolsNodes[1])).toBe(true);
    const modelNodes = named(all, "model_request");
    const chats = named(all, "chat");
    expect(chats).toHaveLength(2);
    expect(isChildOf(chats[0], modelNodes[0])).toBe(true);
    expect(isChildOf(chats[1], modelNodes[1])).toBe(true);
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1);
    // __start__ and other langsmith:hidden runs are left out.
    expect(all.some((s) => s.name.includes("__start__"))).toBe(false);
  });

  it("key attributes: conversation id from thread_id on agent, model and tool spans; tool type; OK status", async () => {
    const { spans } = await run();
    const all = spans();
    const agent = only(all, "invoke_agent travel_agent");
    expect(agent.attributes).toEqual({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "travel_agent",
      "gen_ai.conversation.id": "t-1",
      // Per-agent totals (FakeToolCallingModel reports no token usage, so no gen_ai.usage.*).
      "langchain.agent.inference_count": 2,
      "langchain.agent.tool_call_count": 2,
    });
    const tool1 = only(all, "execute_tool get_weather");
    expect(tool1.attributes).toEqual({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.type": "function",
      "gen_ai.tool.call.id": "call_1",
      "gen_ai.conversation.id": "t-1",
    });
    for (const chat of named(all, "chat")) {
      expect(chat.attributes["gen_ai.conversation.id"]).toBe("t-1");
      expect(chat.attributes["gen_ai.provider.name"]).toBe("faketoolcallingmodel");
    }
    for (const s of all) expect(s.status.code).toBe(0);
  });
});

describe("an agent used as a tool by another agent", () => {
  it("the inner createAgent graph is its own invoke_agent span (named after itself, not the outer agent) under the tool span", async () => {
    const { handler, spans } = memoryHandler();
    const researcher = createAgent({
      model: new FakeToolCallingModel({}),
      tools: [],
      name: "researcher",
    });
    const askResearcher = tool(
      async ({ q }: { q: string }, config) => {
        const r = await researcher.invoke({ messages: [{ role: "user", content: q }] }, config);
        return String(r.messages.at(-1)?.content);
      },
      {
        name: "ask_researcher",
        description: "Ask the researcher",
        schema: z.object({ q: z.string() }),
      },
    );
    const boss = createAgent({
      model: new FakeToolCallingModel({
        toolCalls: [[{ name: "ask_researcher", args: { q: "x" }, id: "c1" }], []],
      }),
      tools: [askResearcher],
      name: "boss",
    });
    await boss.invoke({ messages: [{ role: "user", content: "go" }] }, { callbacks: [handler] });
    expect(renderTree(spans(), { attributes: ["gen_ai.agent.name", "langgraph.node"] })).toBe(
      [
        "invoke_agent boss INTERNAL gen_ai.agent.name=boss",
        "  model_request INTERNAL langgraph.node=model_request",
        "    chat CLIENT",
        "  tools INTERNAL langgraph.node=tools",
        "    execute_tool ask_researcher INTERNAL",
        "      invoke_agent researcher INTERNAL gen_ai.agent.name=researcher",
        "        model_request INTERNAL langgraph.node=model_request",
        "          chat CLIENT",
        "  model_request INTERNAL langgraph.node=model_request",
        "    chat CLIENT",
      ].join("\n"),
    );
    expect(handler.openRunCount).toBe(0);
  });
});

describe("createReactAgent", () => {
  it("exact tree: invoke_agent > agent > (RunnableSequence > prompt, chat), tools > execute_tool, agent > ...", async () => {
    const { handler, spans } = memoryHandler();
    const model = new FakeToolCallingModel({
      toolCalls: [[{ name: "get_weather", args: { city: "Rome" }, id: "call_9" }], []],
    });
    const agent = createReactAgent({ llm: model, tools: [weather], name: "react_one" });
    const result = await agent.invoke(
      { messages: [{ role: "user", content: "Rome?" }] },
      { callbacks: [handler] },
    );
    expect(
      result.messages.some((m) => m.getType() === "tool" && m.content === "sunny in Rome"),
    ).toBe(true);
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      [
        "invoke_agent react_one INTERNAL gen_ai.operation.name=invoke_agent gen_ai.agent.name=react_one",
        "  agent INTERNAL langgraph.node=agent langgraph.step=1",
        "    RunnableSequence INTERNAL",
        "      prompt INTERNAL",
        "      chat CLIENT gen_ai.operation.name=chat",
        "  tools INTERNAL langgraph.node=tools langgraph.step=2",
        "    execute_tool get_weather INTERNAL gen_ai.operation.name=execute_tool gen_ai.tool.name=get_weather gen_ai.tool.call.id=call_9",
        "  agent INTERNAL langgraph.node=agent langgraph.step=3",
        "    RunnableSequence INTERNAL",
        "      prompt INTERNAL",
        "      chat CLIENT gen_ai.operation.name=chat",
      ].join("\n"),
    );
    const root = only(spans(), "invoke_agent react_one");
    for (const node of [...named(spans(), "agent"), only(spans(), "tools")])
      expect(isChildOf(node, root)).toBe(true);
    expect(handler.openRunCount).toBe(0);
  });
});

describe("LangGraph StateGraph", () => {
  const State = Annotation.Root({ q: Annotation<string>, a: Annotation<string> });

  it("a plain graph (no messages) is a workflow, not an agent, even though LangGraph tags every graph ls_integration=langgraph", async () => {
    const { handler, spans } = memoryHandler();
    const graph = new StateGraph(State)
      .addNode("answer", (s: typeof State.State) => ({ a: s.q.toUpperCase() }))
      .addEdge(START, "answer")
      .addEdge("answer", END)
      .compile({ name: "upper_graph" });
    expect(await graph.invoke({ q: "x" }, { callbacks: [handler] })).toEqual({ q: "x", a: "X" });
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow upper_graph INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=upper_graph",
        "  answer INTERNAL langgraph.node=answer langgraph.step=1",
      ].join("\n"),
    );
  });

  it("interrupt() is control flow: the node span ends OK with langchain.control_flow, the root ends OK; the resume is a new root", async () => {
    const { handler, spans, exporter } = memoryHandler();
    const graph = new StateGraph(State)
      .addNode("ask", (s: typeof State.State) => ({ a: String(interrupt({ question: s.q })) }))
      .addEdge(START, "ask")
      .addEdge("ask", END)
      .compile({ checkpointer: new MemorySaver(), name: "ask_graph" });
    const config = { configurable: { thread_id: "th-1" }, callbacks: [handler] };
    const first = await graph.invoke({ q: "name?" }, config);
    expect((first as Record<string, unknown>).__interrupt__).toBeDefined();
    expect(
      renderTree(spans(), {
        attributes: [...KEYS, "langchain.control_flow", "error.type", "gen_ai.conversation.id"],
      }),
    ).toBe(
      [
        "invoke_workflow ask_graph INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=ask_graph gen_ai.conversation.id=th-1",
        "  ask INTERNAL langgraph.node=ask langgraph.step=1 langchain.control_flow=GraphInterrupt",
      ].join("\n"),
    );
    for (const s of spans()) {
      expect(s.status.code).toBe(0);
      expect(s.events).toEqual([]);
      expect(s.attributes["error.type"]).toBeUndefined();
    }
    expect(handler.openRunCount).toBe(0);
    exporter.reset();

    const resumed = await graph.invoke(new Command({ resume: "bob" }), config);
    expect(resumed).toEqual({ q: "name?", a: "bob" });
    const root = only(spans(), "invoke_workflow ask_graph");
    expect(parentId(root)).toBeUndefined();
    expect(isChildOf(only(spans(), "ask"), root)).toBe(true);
    expect(only(spans(), "ask").attributes["langchain.control_flow"]).toBeUndefined();
    expect(handler.openRunCount).toBe(0);
  });
});
