/**
 * LangGraph as its users see it: which agent a model, tool or retrieval run belongs to (from our
 * run tree, not from inherited metadata), agent vs workflow by what the graph is, subgraphs,
 * `Send` fan-out told apart by task identity, routers hidden, per-agent token totals, retrieval.
 */
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { Annotation, END, MessagesAnnotation, Send, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { createAgent, tool } from "langchain";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AgentScriptModel,
  INFERENCE_DETAILS,
  line,
  OPERATION_DETAILS,
  telemetry,
} from "./helpers/agent-kit.js";
import { isChildOf, named, only, renderTree } from "./helpers/spans.js";

const NODE_KEYS = [
  "gen_ai.operation.name",
  "gen_ai.agent.name",
  "gen_ai.workflow.name",
  "langgraph.node",
  "langgraph.send.index",
];
let t: ReturnType<typeof telemetry>;
afterEach(async () => t?.shutdown());

function supervisorSetup() {
  const getWeather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: "get_weather",
    description: "Weather for a city",
    schema: z.object({ city: z.string() }),
  });
  const specialist = createAgent({
    model: new AgentScriptModel([
      {
        toolCalls: [{ name: "get_weather", args: { city: "Paris" }, id: "w1" }],
        inputTokens: 30,
        outputTokens: 3,
      },
      { text: "Sunny in Paris.", inputTokens: 40, outputTokens: 4 },
    ]),
    tools: [getWeather],
    name: "weather_specialist",
  });
  // The usual pattern: the supervisor's tool invokes the specialist and passes its config on.
  const askSpecialist = tool(
    async ({ q }: { q: string }, config) => {
      const r = await specialist.invoke({ messages: [{ role: "user", content: q }] }, config);
      return String(r.messages.at(-1)?.content);
    },
    {
      name: "ask_weather_specialist",
      description: "Ask the weather specialist",
      schema: z.object({ q: z.string() }),
    },
  );
  return createAgent({
    model: new AgentScriptModel([
      {
        toolCalls: [{ name: "ask_weather_specialist", args: { q: "Paris?" }, id: "s1" }],
        inputTokens: 100,
        outputTokens: 10,
      },
      { text: "It is sunny in Paris.", inputTokens: 200, outputTokens: 20 },
    ]),
    tools: [askSpecialist],
    name: "supervisor",
  });
}

describe("multi-agent: a supervisor whose tool invokes a weather_specialist agent (config passed on)", () => {
  it("exact tree, no router spans; every span in one trace", async () => {
    t = telemetry();
    await supervisorSetup().invoke(
      { messages: [{ role: "user", content: "Weather?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-7" } },
    );
    expect(renderTree(t.spans(), { attributes: ["gen_ai.agent.name", "gen_ai.tool.name"] })).toBe(
      [
        "invoke_agent supervisor INTERNAL gen_ai.agent.name=supervisor",
        "  model_request INTERNAL",
        "    chat gpt-test CLIENT",
        "  tools INTERNAL",
        "    execute_tool ask_weather_specialist INTERNAL gen_ai.tool.name=ask_weather_specialist",
        "      invoke_agent weather_specialist INTERNAL gen_ai.agent.name=weather_specialist",
        "        model_request INTERNAL",
        "          chat gpt-test CLIENT",
        "        tools INTERNAL",
        "          execute_tool get_weather INTERNAL gen_ai.tool.name=get_weather",
        "        model_request INTERNAL",
        "          chat gpt-test CLIENT",
        "  model_request INTERNAL",
        "    chat gpt-test CLIENT",
      ].join("\n"),
    );
    expect(new Set(t.spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(t.handler.openRunCount).toBe(0);
  });

  it("the inner tool's metric point and record name the inner agent; the outer tool's the supervisor", async () => {
    t = telemetry();
    await supervisorSetup().invoke(
      { messages: [{ role: "user", content: "Weather?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-7" } },
    );
    const tools = (await t.points("gen_ai.execute_tool.duration")).map((p) => [
      p.attributes,
      p.count,
    ]);
    expect(tools).toEqual(
      expect.arrayContaining([
        [
          {
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.type": "function",
            "gen_ai.agent.name": "weather_specialist",
          },
          1,
        ],
        [
          {
            "gen_ai.tool.name": "ask_weather_specialist",
            "gen_ai.tool.type": "function",
            "gen_ai.agent.name": "supervisor",
          },
          1,
        ],
      ]),
    );
    expect(tools).toHaveLength(2);
    const agents = (await t.points("gen_ai.invoke_agent.duration")).map((p) => [
      p.attributes,
      p.count,
    ]);
    expect(agents).toEqual(
      expect.arrayContaining([
        [{ "gen_ai.agent.name": "supervisor" }, 1],
        [{ "gen_ai.agent.name": "weather_specialist" }, 1],
      ]),
    );
    expect(agents).toHaveLength(2);
    const toolRecords = t
      .records(OPERATION_DETAILS)
      .filter((r) => r.attributes["gen_ai.operation.name"] === "execute_tool");
    expect(
      toolRecords.map((r) => [
        r.attributes["gen_ai.tool.name"],
        r.attributes["gen_ai.agent.name"],
        r.attributes["gen_ai.conversation.id"],
      ]),
    ).toEqual([
      ["get_weather", "weather_specialist", "conv-7"],
      ["ask_weather_specialist", "supervisor", "conv-7"],
    ]);
  });

  it("gen_ai.agent.name only where the conventions define it: invoke_agent spans, not chat or tool spans, not inference records", async () => {
    t = telemetry();
    await supervisorSetup().invoke(
      { messages: [{ role: "user", content: "Weather?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-7" } },
    );
    for (const s of t.spans()) {
      if (s.attributes["gen_ai.operation.name"] === "invoke_agent")
        expect(s.attributes["gen_ai.agent.name"]).toBe(s.name.slice("invoke_agent ".length));
      else expect(s.attributes["gen_ai.agent.name"], s.name).toBeUndefined();
      expect(s.attributes["gen_ai.conversation.id"] ?? "node", s.name).toMatch(/^(conv-7|node)$/);
    }
    for (const r of t.records(INFERENCE_DETAILS))
      expect(r.attributes["gen_ai.agent.name"]).toBeUndefined();
  });

  it("per-agent totals: each invoke_agent span sums its own inference calls (a nested agent's are its own) and counts model and tool calls; its record too", async () => {
    t = telemetry();
    await supervisorSetup().invoke(
      { messages: [{ role: "user", content: "Weather?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-7" } },
    );
    expect(only(t.spans(), "invoke_agent supervisor").attributes).toEqual({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "supervisor",
      "gen_ai.conversation.id": "conv-7",
      "gen_ai.usage.input_tokens": 300,
      "gen_ai.usage.output_tokens": 30,
      "langchain.agent.inference_count": 2,
      "langchain.agent.tool_call_count": 1,
    });
    const inner = only(t.spans(), "invoke_agent weather_specialist").attributes;
    expect([
      inner["gen_ai.usage.input_tokens"],
      inner["gen_ai.usage.output_tokens"],
      inner["langchain.agent.inference_count"],
      inner["langchain.agent.tool_call_count"],
    ]).toEqual([70, 7, 2, 1]);
    const agentRecords = t
      .records(OPERATION_DETAILS)
      .filter((r) => r.attributes["gen_ai.operation.name"] === "invoke_agent");
    expect(agentRecords.map(line)).toEqual([
      "gen_ai.client.operation.details INFO invoke_agent weather_specialist: N s, 70 in / 7 out tokens, 2 model calls, 1 tool call",
      "gen_ai.client.operation.details INFO invoke_agent supervisor: N s, 300 in / 30 out tokens, 2 model calls, 1 tool call",
    ]);
    const sup = agentRecords[1].attributes;
    expect([
      sup["gen_ai.usage.input_tokens"],
      sup["gen_ai.usage.output_tokens"],
      sup["langchain.agent.inference_count"],
      sup["langchain.agent.tool_call_count"],
    ]).toEqual([300, 30, 2, 1]);
  });
});

describe("agent vs workflow by what the graph is", () => {
  function routerGraph() {
    return new StateGraph(MessagesAnnotation)
      .addNode("greet", () => ({ messages: [{ role: "ai", content: "hello" }] }))
      .addNode("farewell", () => ({ messages: [{ role: "ai", content: "bye" }] }))
      .addConditionalEdges(START, function routeByIntent(s: typeof MessagesAnnotation.State) {
        return String(s.messages.at(-1)?.content).includes("hi") ? "greet" : "farewell";
      })
      .addConditionalEdges("greet", function afterGreet() {
        return END;
      })
      .addEdge("farewell", END)
      .compile({ name: "router_graph" });
  }

  it("a MessagesAnnotation router graph (no model/tool loop) is invoke_workflow, records no agent duration, and its routers make no spans", async () => {
    t = telemetry();
    await routerGraph().invoke(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler] },
    );
    expect(renderTree(t.spans(), { attributes: NODE_KEYS })).toBe(
      [
        "invoke_workflow router_graph INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=router_graph",
        "  greet INTERNAL langgraph.node=greet",
      ].join("\n"),
    );
    expect(await t.points("gen_ai.invoke_agent.duration")).toEqual([]);
    expect(t.records(OPERATION_DETAILS)).toEqual([]);
  });

  it("with showHiddenRuns the router after a node shows again, under its node", async () => {
    t = telemetry({ showHiddenRuns: true });
    await routerGraph().invoke(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler] },
    );
    const greet = only(t.spans(), "greet");
    expect(
      t
        .spans()
        .filter((s) => isChildOf(s, greet))
        .map((s) => s.name),
    ).toEqual(["RunnableLambda"]);
  });

  it("createReactAgent is an agent; a graph the user marks with metadata gen_ai.agent.name is an agent of that name", async () => {
    t = telemetry();
    const react = createReactAgent({
      llm: new AgentScriptModel([{ text: "ok", inputTokens: 5, outputTokens: 1 }]),
      tools: [],
      name: "react_one",
    });
    await react.invoke({ messages: [{ role: "user", content: "x" }] }, { callbacks: [t.handler] });
    const marked = routerGraph().withConfig({ metadata: { "gen_ai.agent.name": "triage" } });
    await marked.invoke(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler] },
    );
    const roots = t.spans().filter((s) => s.parentSpanContext === undefined);
    expect(
      roots.map((s) => [
        s.name,
        s.attributes["gen_ai.operation.name"],
        s.attributes["gen_ai.agent.name"],
        s.attributes["gen_ai.workflow.name"],
      ]),
    ).toEqual([
      ["invoke_agent react_one", "invoke_agent", "react_one", undefined],
      ["invoke_agent triage", "invoke_agent", "triage", undefined],
    ]);
    expect(
      (await t.points("gen_ai.invoke_agent.duration"))
        .map((p) => p.attributes["gen_ai.agent.name"])
        .sort(),
    ).toEqual(["react_one", "triage"]);
    // createReactAgent's routing lambda after its model node is hidden too.
    expect(t.spans().some((s) => s.name === "RunnableLambda")).toBe(false);
  });

  it("a subgraph node is invoke_workflow {its name} with its name and the conversation id, under its node", async () => {
    t = telemetry();
    const S = Annotation.Root({ q: Annotation<string>, a: Annotation<string> });
    const inner = new StateGraph(S)
      .addNode("inner_step", (s: typeof S.State) => ({ a: `${s.q}!` }))
      .addEdge(START, "inner_step")
      .addEdge("inner_step", END)
      .compile({ name: "inner_graph" });
    const outer = new StateGraph(S)
      .addNode("child", inner)
      .addEdge(START, "child")
      .addEdge("child", END)
      .compile({ name: "outer_graph" });
    expect(
      await outer.invoke(
        { q: "x" },
        { callbacks: [t.handler], configurable: { thread_id: "th-sub" } },
      ),
    ).toEqual({ q: "x", a: "x!" });
    expect(renderTree(t.spans(), { attributes: [...NODE_KEYS, "gen_ai.conversation.id"] })).toBe(
      [
        "invoke_workflow outer_graph INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=outer_graph gen_ai.conversation.id=th-sub",
        "  child INTERNAL langgraph.node=child",
        "    invoke_workflow inner_graph INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=inner_graph gen_ai.conversation.id=th-sub",
        "      inner_step INTERNAL langgraph.node=inner_step",
      ].join("\n"),
    );
    const innerStep = only(t.spans(), "inner_step").attributes;
    const child = only(t.spans(), "child").attributes;
    // The subgraph's node namespace is nested under its parent task's.
    expect(
      String(innerStep["langgraph.checkpoint_ns"]).startsWith(
        `${String(child["langgraph.checkpoint_ns"])}|inner_step:`,
      ),
    ).toBe(true);
  });
});

describe("Send fan-out of 3", () => {
  it("three branches of one step: same node and step, distinct checkpoint_ns and task ids, Send index 0, 1, 2", async () => {
    t = telemetry();
    const S = Annotation.Root({
      items: Annotation<string[]>,
      out: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const graph = new StateGraph(S)
      .addNode("work", (s: { item: string }) => ({ out: [s.item.toUpperCase()] }))
      .addConditionalEdges(START, function fanOut(s: typeof S.State) {
        return s.items.map((item) => new Send("work", { item }));
      })
      .addEdge("work", END)
      .compile({ name: "fan_graph" });
    expect(await graph.invoke({ items: ["a", "b", "c"] }, { callbacks: [t.handler] })).toEqual({
      items: ["a", "b", "c"],
      out: ["A", "B", "C"],
    });
    const work = named(t.spans(), "work");
    expect(work).toHaveLength(3);
    expect(
      work.map((s) => [
        s.attributes["langgraph.node"],
        s.attributes["langgraph.step"],
        s.attributes["langgraph.send.index"],
      ]),
    ).toEqual([
      ["work", 1, 0],
      ["work", 1, 1],
      ["work", 1, 2],
    ]);
    for (const s of work) {
      const ns = String(s.attributes["langgraph.checkpoint_ns"]);
      expect(ns).toMatch(/^work:[0-9a-f-]{36}$/);
      expect(s.attributes["langgraph.task_id"]).toBe(ns.slice("work:".length));
    }
    expect(new Set(work.map((s) => s.attributes["langgraph.task_id"])).size).toBe(3);
    expect(renderTree(t.spans())).toBe(
      [
        "invoke_workflow fan_graph INTERNAL",
        "  work INTERNAL",
        "  work INTERNAL",
        "  work INTERNAL",
      ].join("\n"),
    );
  });
});

class StaticRetriever extends BaseRetriever {
  override lc_namespace = ["test"];
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return [
      new Document({ pageContent: `secret about ${query}`, metadata: { id: "d1" } }),
      new Document({ pageContent: "more secret", metadata: { id: "d2" } }),
    ];
  }
}

describe("retrieval inside an agent's tool", () => {
  it("document count without content, conversation id and agent name inherited, and a details record", async () => {
    t = telemetry();
    const retriever = new StaticRetriever();
    const search = tool(
      async ({ q }: { q: string }, config) =>
        (await retriever.invoke(q, config)).map((d) => d.pageContent).join("\n"),
      {
        name: "search_docs",
        description: "Search",
        schema: z.object({ q: z.string() }),
      },
    );
    const agent = createAgent({
      model: new AgentScriptModel([
        { toolCalls: [{ name: "search_docs", args: { q: "plans" }, id: "r1" }] },
        { text: "found" },
      ]),
      tools: [search],
      name: "librarian",
    });
    await agent.invoke(
      { messages: [{ role: "user", content: "plans?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-r" } },
    );
    const retrieval = only(t.spans(), "retrieval StaticRetriever");
    expect(retrieval.attributes).toEqual({
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "StaticRetriever",
      "gen_ai.conversation.id": "conv-r",
      "langchain.retrieval.document_count": 2,
    });
    const rec = t
      .records(OPERATION_DETAILS)
      .filter((r) => r.attributes["gen_ai.operation.name"] === "retrieval");
    expect(rec.map(line)).toEqual([
      "gen_ai.client.operation.details INFO retrieval StaticRetriever: N s, 2 documents",
    ]);
    expect(rec[0].attributes).toEqual({
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "StaticRetriever",
      "gen_ai.conversation.id": "conv-r",
      "gen_ai.agent.name": "librarian",
      "langchain.retrieval.document_count": 2,
      "gen_ai.client.operation.duration": rec[0].attributes["gen_ai.client.operation.duration"],
    });
    expect(rec[0].spanContext?.spanId).toBe(retrieval.spanContext().spanId);
    expect(
      JSON.stringify(t.records().map((r) => r.attributes)) +
        JSON.stringify(t.spans().map((s) => s.attributes)),
    ).not.toContain("secret");
  });
});
