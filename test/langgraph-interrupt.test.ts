/**
 * Human in the loop as one story: `interrupt()` in an agent's tool, then `new Command({ resume })`
 * on the same `thread_id` (MemorySaver). The interrupted run's root span and agent record say it
 * was interrupted and where; the resumed run's root span links to the interrupted one. Via invoke,
 * via stream, and 50 concurrent conversations without cross-talk.
 */
import {
  Annotation,
  Command,
  END,
  interrupt,
  MemorySaver,
  START,
  StateGraph,
} from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { createAgent, tool } from "langchain";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AgentScriptModel, line, OPERATION_DETAILS, telemetry } from "./helpers/agent-kit.js";
import { only, renderTree, spanId } from "./helpers/spans.js";

let t: ReturnType<typeof telemetry>;
afterEach(async () => t?.shutdown());

function supportAgent() {
  const refund = tool(
    async ({ amount }: { amount: number }) =>
      interrupt({ approve: amount }) ? "refunded" : "refused",
    {
      name: "refund",
      description: "Refund an order, after human approval",
      schema: z.object({ amount: z.number() }),
    },
  );
  return createAgent({
    model: new AgentScriptModel([
      {
        toolCalls: [{ name: "refund", args: { amount: 5 }, id: "c1" }],
        inputTokens: 10,
        outputTokens: 2,
      },
      { text: "Refunded.", inputTokens: 20, outputTokens: 3 },
    ]),
    tools: [refund],
    name: "support",
    checkpointer: new MemorySaver(),
  });
}

type Mode = "invoke" | "stream";
async function run(
  agent: ReturnType<typeof supportAgent>,
  input: unknown,
  threadId: string,
  mode: Mode,
) {
  const config = { callbacks: [t.handler], configurable: { thread_id: threadId } };
  if (mode === "invoke") return agent.invoke(input as never, config);
  for await (const _ of await agent.stream(input as never, config));
}

describe.each(["invoke", "stream"] as const)("interrupt and resume via %s", (mode) => {
  it("the interrupted root says so and where; tool and node are control flow; the agent record says it too", async () => {
    t = telemetry();
    const agent = supportAgent();
    await run(agent, { messages: [{ role: "user", content: "refund me" }] }, "hitl-1", mode);
    expect(
      renderTree(t.spans(), { attributes: ["langgraph.interrupt.node", "langchain.control_flow"] }),
    ).toBe(
      [
        "invoke_agent support INTERNAL langgraph.interrupt.node=tools",
        "  model_request INTERNAL",
        "    chat gpt-test CLIENT",
        "  tools INTERNAL langchain.control_flow=GraphInterrupt",
        "    execute_tool refund INTERNAL langchain.control_flow=GraphInterrupt",
      ].join("\n"),
    );
    for (const s of t.spans()) {
      expect(s.status.code, s.name).toBe(0);
      expect(s.events, s.name).toEqual([]);
      expect(s.attributes["error.type"], s.name).toBeUndefined();
    }
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.inference.operation.details INFO chat gpt-test-1: 10 in / 2 out tokens, N s, tool_calls",
      "gen_ai.client.operation.details INFO execute_tool refund: N s, interrupted",
      "gen_ai.client.operation.details INFO invoke_agent support: N s, 10 in / 2 out tokens, 1 model call, 1 tool call, interrupted at tools",
    ]);
    const agentRecord = t.records(OPERATION_DETAILS).at(-1)!;
    expect(agentRecord.attributes["langgraph.interrupt.node"]).toBe("tools");
    expect(agentRecord.attributes["gen_ai.conversation.id"]).toBe("hitl-1");
    expect(t.handler.openRunCount).toBe(0);
  });

  it("the resumed run is a new trace whose root links to the interrupted root; both carry the thread id", async () => {
    t = telemetry();
    const agent = supportAgent();
    await run(agent, { messages: [{ role: "user", content: "refund me" }] }, "hitl-2", mode);
    const interrupted = only(t.spans(), "invoke_agent support");
    t.reset();
    await run(agent, new Command({ resume: true }), "hitl-2", mode);
    const resumed = only(t.spans(), "invoke_agent support");
    expect(resumed.spanContext().traceId).not.toBe(interrupted.spanContext().traceId);
    expect(resumed.parentSpanContext).toBeUndefined();
    expect(resumed.links.map((l) => [l.context.traceId, l.context.spanId, l.attributes])).toEqual([
      [
        interrupted.spanContext().traceId,
        interrupted.spanContext().spanId,
        { "langgraph.link": "resumes_interrupted_run" },
      ],
    ]);
    expect(resumed.attributes["langgraph.resumed"]).toBe(true);
    expect(resumed.attributes["langgraph.interrupt.node"]).toBeUndefined();
    expect([
      interrupted.attributes["gen_ai.conversation.id"],
      resumed.attributes["gen_ai.conversation.id"],
    ]).toEqual(["hitl-2", "hitl-2"]);
    expect(renderTree(t.spans())).toBe(
      [
        "invoke_agent support INTERNAL",
        "  tools INTERNAL",
        "    execute_tool refund INTERNAL",
        "  model_request INTERNAL",
        "    chat gpt-test CLIENT",
      ].join("\n"),
    );
    // The link is used once: a second resume of a finished thread links to nothing.
    t.reset();
    await run(agent, new Command({ resume: true }), "hitl-2", mode);
    expect(only(t.spans(), "invoke_agent support").links).toEqual([]);
  });
});

it("a workflow interrupted in a node: the root names the node; a resume in a handler that never saw the interrupt (another process) has the attribute, no link", async () => {
  t = telemetry();
  const S = Annotation.Root({ q: Annotation<string>, a: Annotation<string> });
  const checkpointer = new MemorySaver();
  const graph = new StateGraph(S)
    .addNode("ask", (s: typeof S.State) => ({ a: String(interrupt({ question: s.q })) }))
    .addEdge(START, "ask")
    .addEdge("ask", END)
    .compile({ checkpointer, name: "ask_graph" });
  await graph.invoke(
    { q: "name?" },
    { callbacks: [t.handler], configurable: { thread_id: "wf-1" } },
  );
  expect(only(t.spans(), "invoke_workflow ask_graph").attributes["langgraph.interrupt.node"]).toBe(
    "ask",
  );
  const other = telemetry();
  try {
    await graph.invoke(new Command({ resume: "bob" }), {
      callbacks: [other.handler],
      configurable: { thread_id: "wf-1" },
    });
    const resumed = only(other.spans(), "invoke_workflow ask_graph");
    expect(resumed.links).toEqual([]);
    expect(resumed.attributes["langgraph.resumed"]).toBe(true);
    expect(resumed.attributes["gen_ai.conversation.id"]).toBe("wf-1");
  } finally {
    await other.shutdown();
  }
});

it("50 concurrent conversations interrupted and resumed: each resume links to its own interrupted run; no cross-talk of conversation ids or agent names; no router spans", async () => {
  t = telemetry();
  const agents = Array.from({ length: 50 }, () => supportAgent());
  await Promise.all(
    agents.map((a, i) =>
      run(
        a,
        { messages: [{ role: "user", content: `refund ${i}` }] },
        `thread-${i}`,
        i % 2 ? "stream" : "invoke",
      ),
    ),
  );
  const interrupted = new Map<string, { traceId: string; spanId: string }>();
  for (const s of t.spans().filter((x) => x.name === "invoke_agent support"))
    interrupted.set(String(s.attributes["gen_ai.conversation.id"]), {
      traceId: s.spanContext().traceId,
      spanId: spanId(s),
    });
  expect(interrupted.size).toBe(50);
  t.reset();
  await Promise.all(
    agents.map((a, i) =>
      run(a, new Command({ resume: true }), `thread-${i}`, i % 2 ? "invoke" : "stream"),
    ),
  );
  const all = t.spans();
  const roots = all.filter((s) => s.name === "invoke_agent support");
  expect(roots).toHaveLength(50);
  for (const root of roots) {
    const conv = String(root.attributes["gen_ai.conversation.id"]);
    expect(
      root.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    ).toEqual([interrupted.get(conv)]);
    const trace = all.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    expect(trace).toHaveLength(5);
    for (const s of trace)
      if (s.attributes["gen_ai.conversation.id"] !== undefined)
        expect(s.attributes["gen_ai.conversation.id"]).toBe(conv);
  }
  expect(all.some((s) => s.name === "RunnableLambda")).toBe(false);
  const agentRecords = t
    .records(OPERATION_DETAILS)
    .filter((r) => r.attributes["gen_ai.operation.name"] === "invoke_agent");
  expect(agentRecords).toHaveLength(50);
  for (const r of agentRecords) expect(r.attributes["gen_ai.agent.name"]).toBe("support");
  expect(t.handler.openRunCount).toBe(0);
});

it("createReactAgent interrupted in its tool and resumed: both roots are invoke_agent (the resume starts at the tools node), linked", async () => {
  t = telemetry();
  const refund = tool(
    async ({ amount }: { amount: number }) =>
      interrupt({ approve: amount }) ? "refunded" : "refused",
    {
      name: "refund",
      description: "Refund",
      schema: z.object({ amount: z.number() }),
    },
  );
  const agent = createReactAgent({
    llm: new AgentScriptModel([
      { toolCalls: [{ name: "refund", args: { amount: 5 }, id: "c1" }] },
      { text: "Refunded." },
    ]),
    tools: [refund],
    name: "react_support",
    checkpointer: new MemorySaver(),
  });
  const config = { callbacks: [t.handler], configurable: { thread_id: "react-1" } };
  await agent.invoke({ messages: [{ role: "user", content: "refund" }] }, config);
  const interrupted = only(t.spans(), "invoke_agent react_support");
  expect(interrupted.attributes["langgraph.interrupt.node"]).toBe("tools");
  t.reset();
  await agent.invoke(new Command({ resume: true }), config);
  const resumed = only(t.spans(), "invoke_agent react_support");
  expect(resumed.attributes["gen_ai.agent.name"]).toBe("react_support");
  expect(resumed.links.map((l) => l.context.spanId)).toEqual([interrupted.spanContext().spanId]);
});
