/**
 * One exception record per failure, at the run where the error originated, with the conversation
 * id and agent name. Ancestors that fail only because the error propagated get ERROR status and
 * `error.type`, no exception event and no further record. The record is ERROR when the failure
 * reached the application (the root failed with it), WARN when something recovered from it.
 */
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createAgent, tool } from "langchain";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AgentScriptModel, EXCEPTION, line, telemetry } from "./helpers/agent-kit.js";
import { only, renderTree } from "./helpers/spans.js";

let t: ReturnType<typeof telemetry>;
afterEach(async () => t?.shutdown());

class RateLimitError extends Error {}
class LookupError extends Error {}

describe("a model failure inside an agent", () => {
  it("3 ERROR spans, 1 exception event (on chat), 3 records: chat details, one exception record (ERROR: the app saw it) at chat, agent details", async () => {
    t = telemetry();
    const agent = createAgent({
      model: new AgentScriptModel([{ error: new RateLimitError("429 Too Many Requests") }]),
      tools: [],
      name: "helper",
    });
    await expect(
      agent.invoke(
        { messages: [{ role: "user", content: "hi" }] },
        { callbacks: [t.handler], configurable: { thread_id: "conv-f" } },
      ),
    ).rejects.toThrow("429");
    expect(renderTree(t.spans(), { attributes: ["error.type"] })).toBe(
      [
        "invoke_agent helper INTERNAL error.type=RateLimitError",
        "  model_request INTERNAL error.type=RateLimitError",
        "    chat gpt-test CLIENT error.type=RateLimitError",
      ].join("\n"),
    );
    for (const s of t.spans()) expect(s.status.code, s.name).toBe(2);
    expect(t.spans().map((s) => [s.name, s.events.map((e) => e.name)])).toEqual([
      ["chat gpt-test", ["exception"]],
      ["model_request", []],
      ["invoke_agent helper", []],
    ]);
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.inference.operation.details WARN chat gpt-test: N s, failed: RateLimitError",
      "gen_ai.client.operation.details ERROR invoke_agent helper: N s, 1 model call, failed: RateLimitError",
      "gen_ai.client.operation.exception ERROR chat gpt-test failed: RateLimitError: 429 Too Many Requests",
    ]);
    const exception = t.records(EXCEPTION)[0];
    expect(exception.spanContext?.spanId).toBe(
      only(t.spans(), "chat gpt-test").spanContext().spanId,
    );
    expect(exception.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-test",
      "gen_ai.conversation.id": "conv-f",
      "gen_ai.agent.name": "helper",
      "error.type": "RateLimitError",
      "exception.type": "RateLimitError",
      "exception.message": "429 Too Many Requests",
    });
  });
});

describe("a tool failure the agent recovers from", () => {
  it("the tool span is ERROR; node and agent are OK; one exception record, WARN, with conversation id and agent name", async () => {
    t = telemetry();
    const lookup = tool(
      async () => {
        throw new LookupError("order 7 not found");
      },
      { name: "lookup_order", description: "Find an order", schema: z.object({ id: z.string() }) },
    );
    const agent = createAgent({
      model: new AgentScriptModel([
        { toolCalls: [{ name: "lookup_order", args: { id: "7" }, id: "t1" }] },
        { text: "Sorry, no such order." },
      ]),
      tools: [lookup],
      name: "support",
    });
    await agent.invoke(
      { messages: [{ role: "user", content: "order 7?" }] },
      { callbacks: [t.handler], configurable: { thread_id: "conv-r" } },
    );
    expect(
      t
        .spans()
        .filter((s) => s.status.code === 2)
        .map((s) => s.name),
    ).toEqual(["execute_tool lookup_order"]);
    expect(t.records(EXCEPTION).map(line)).toEqual([
      "gen_ai.client.operation.exception WARN execute_tool lookup_order failed: LookupError: order 7 not found",
    ]);
    expect(t.records(EXCEPTION)[0].attributes).toMatchObject({
      "gen_ai.conversation.id": "conv-r",
      "gen_ai.agent.name": "support",
      "gen_ai.tool.name": "lookup_order",
    });
    expect(t.records().filter((r) => r.severityText === "ERROR")).toEqual([]);
    expect(t.records().map(line)).toContain(
      "gen_ai.client.operation.details WARN execute_tool lookup_order: N s, failed: LookupError",
    );
  });
});

describe("a node failure in a workflow", () => {
  it("node ERROR with the exception event, root ERROR with error.type only; one record, ERROR, at the node", async () => {
    t = telemetry();
    const S = Annotation.Root({ q: Annotation<string> });
    const graph = new StateGraph(S)
      .addNode("parse", () => {
        throw new TypeError("bad input");
      })
      .addEdge(START, "parse")
      .addEdge("parse", END)
      .compile({ name: "parse_graph" });
    await expect(
      graph.invoke({ q: "x" }, { callbacks: [t.handler], configurable: { thread_id: "conv-n" } }),
    ).rejects.toThrow("bad input");
    expect(
      t.spans().map((s) => [s.name, s.status.code, s.attributes["error.type"], s.events.length]),
    ).toEqual([
      ["parse", 2, "TypeError", 1],
      ["invoke_workflow parse_graph", 2, "TypeError", 0],
    ]);
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.operation.exception ERROR parse failed: TypeError: bad input",
    ]);
    expect(t.records()[0].attributes["gen_ai.conversation.id"]).toBe("conv-n");
    expect(t.records()[0].spanContext?.spanId).toBe(only(t.spans(), "parse").spanContext().spanId);
  });
});
