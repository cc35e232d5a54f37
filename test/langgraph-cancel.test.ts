/**
 * Cancellation is its own outcome, not a failure: `break` out of `agent.stream()`, `graph.stream()`
 * and `streamEvents()` (LangGraph then aborts the run), an application `AbortSignal`, and
 * `endRunAsCancelled` (what a wrapper that sees a stream closed early calls). Status UNSET,
 * `langchain.run.cancelled`, no exception events or records, no WARN/ERROR records, and the chat
 * span keeps what was measured before the cancel. A real failure after a cancel is still a failure.
 */
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { afterEach, describe, expect, it, vi } from "vitest";
import { endRunAsCancelled } from "../src/handler/cancellation.js";
import { AgentScriptModel, EXCEPTION, line, telemetry } from "./helpers/agent-kit.js";
import { only, renderTree } from "./helpers/spans.js";

let t: ReturnType<typeof telemetry>;
afterEach(async () => t?.shutdown());

const KEYS = ["langchain.run.cancelled", "gen_ai.request.stream", "error.type"];
const STREAM_TURN = { chunks: ["Hel", "lo ", "wor", "ld"], delayMs: 15 };

/** LangGraph aborts a stopped run a few ms later: wait until every run has ended. */
async function settled() {
  await vi.waitFor(() => expect(t.handler.openRunCount).toBe(0), { timeout: 3000, interval: 10 });
}

function expectNoFailure() {
  for (const s of t.spans()) {
    expect(s.status.code, s.name).toBe(0);
    expect(s.events, s.name).toEqual([]);
    expect(s.attributes["error.type"], s.name).toBeUndefined();
  }
  expect(t.records(EXCEPTION)).toEqual([]);
  expect(t.records().filter((r) => (r.severityNumber ?? 0) >= SeverityNumber.WARN)).toEqual([]);
}

async function expectCancelledChatMetrics() {
  expect(await t.points("gen_ai.client.operation.duration")).toEqual([]);
  expect(await t.points("gen_ai.invoke_agent.duration")).toEqual([]);
  expect(
    (await t.points("gen_ai.client.operation.time_to_first_chunk")).map((p) => p.count),
  ).toEqual([1]);
}

function chatty() {
  return createAgent({ model: new AgentScriptModel([STREAM_TURN]), tools: [], name: "chatty" });
}

describe("break out of a LangGraph stream after two chunks", () => {
  it("agent.stream(): root, node and chat cancelled as aborted, no failure; the chat span keeps stream flag and time to first chunk", async () => {
    t = telemetry();
    let n = 0;
    for await (const _ of await chatty().stream(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler], streamMode: "messages", configurable: { thread_id: "c-1" } },
    )) {
      if (++n === 2) break;
    }
    await settled();
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_agent chatty INTERNAL langchain.run.cancelled=aborted",
        "  model_request INTERNAL langchain.run.cancelled=aborted",
        "    chat gpt-test CLIENT langchain.run.cancelled=aborted gen_ai.request.stream=true",
      ].join("\n"),
    );
    expect(
      only(t.spans(), "chat gpt-test").attributes["gen_ai.response.time_to_first_chunk"],
    ).toBeGreaterThan(0);
    expectNoFailure();
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.operation.details INFO invoke_agent chatty: N s, 1 model call, cancelled: aborted",
      "gen_ai.client.inference.operation.details INFO chat gpt-test: N s, cancelled: aborted",
    ]);
    for (const r of t.records()) {
      expect(r.attributes["langchain.run.cancelled"]).toBe("aborted");
      expect(r.attributes["gen_ai.conversation.id"]).toBe("c-1");
    }
    await expectCancelledChatMetrics();
  });

  it("graph.stream() over a plain graph: the workflow, its node and the chat are cancelled as aborted", async () => {
    t = telemetry();
    const model = new AgentScriptModel([STREAM_TURN]);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("talk", async (s: typeof MessagesAnnotation.State, config) => ({
        messages: [await model.invoke(s.messages, config)],
      }))
      .addEdge(START, "talk")
      .addEdge("talk", END)
      .compile({ name: "talk_graph" });
    let n = 0;
    for await (const _ of await graph.stream(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler], streamMode: "messages" },
    )) {
      if (++n === 2) break;
    }
    await settled();
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow talk_graph INTERNAL langchain.run.cancelled=aborted",
        "  talk INTERNAL langchain.run.cancelled=aborted",
        "    chat gpt-test CLIENT langchain.run.cancelled=aborted gen_ai.request.stream=true",
      ].join("\n"),
    );
    expectNoFailure();
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.inference.operation.details INFO chat gpt-test: N s, cancelled: aborted",
    ]);
  });

  it("streamEvents(): the same outcome", async () => {
    t = telemetry();
    let n = 0;
    for await (const e of chatty().streamEvents(
      { messages: [{ role: "user", content: "hi" }] },
      { callbacks: [t.handler], version: "v2" },
    )) {
      if (e.event === "on_chat_model_stream" && ++n === 2) break;
    }
    await settled();
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_agent chatty INTERNAL langchain.run.cancelled=aborted",
        "  model_request INTERNAL langchain.run.cancelled=aborted",
        "    chat gpt-test CLIENT langchain.run.cancelled=aborted gen_ai.request.stream=true",
      ].join("\n"),
    );
    expectNoFailure();
    expect(t.records()).toHaveLength(2);
    await expectCancelledChatMetrics();
  });
});

describe("an application AbortSignal", () => {
  it("aborting an agent.invoke(): root and node cancelled as aborted; the model call that still finished ends OK", async () => {
    t = telemetry();
    const agent = createAgent({
      model: new AgentScriptModel([{ text: "late", delayMs: 60, inputTokens: 3, outputTokens: 1 }]),
      tools: [],
      name: "slow",
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(
      agent.invoke(
        { messages: [{ role: "user", content: "hi" }] },
        { callbacks: [t.handler], signal: controller.signal },
      ),
    ).rejects.toThrow();
    await settled();
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_agent slow INTERNAL langchain.run.cancelled=aborted",
        "  model_request INTERNAL langchain.run.cancelled=aborted",
        "    chat gpt-test CLIENT",
      ].join("\n"),
    );
    expectNoFailure();
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.operation.details INFO invoke_agent slow: N s, 1 model call, cancelled: aborted",
      "gen_ai.client.inference.operation.details INFO chat gpt-test-1: 3 in / 1 out tokens, N s, stop",
    ]);
    expect((await t.points("gen_ai.client.operation.duration")).map((p) => p.count)).toEqual([1]);
    expect(await t.points("gen_ai.invoke_agent.duration")).toEqual([]);
  });

  it("a real failure after the abort is still a failure: the model call fails with its own error after the run was aborted", async () => {
    t = telemetry();
    class ServerError extends Error {}
    const model = new AgentScriptModel([
      { delayMs: 60, error: new ServerError("500 from provider") },
    ]);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("talk", async (s: typeof MessagesAnnotation.State, config) => ({
        messages: [await model.invoke(s.messages, config)],
      }))
      .addEdge(START, "talk")
      .addEdge("talk", END)
      .compile({ name: "talk_graph" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 15);
    await expect(
      graph.invoke(
        { messages: [{ role: "user", content: "hi" }] },
        { callbacks: [t.handler], signal: controller.signal },
      ),
    ).rejects.toThrow();
    await settled();
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow talk_graph INTERNAL langchain.run.cancelled=aborted",
        "  talk INTERNAL langchain.run.cancelled=aborted",
        "    chat gpt-test CLIENT error.type=ServerError",
      ].join("\n"),
    );
    expect(only(t.spans(), "chat gpt-test").status.code).toBe(2);
    // Its parents had ended (cancelled) before it failed: nothing saw the error, so WARN.
    expect(t.records(EXCEPTION).map(line)).toEqual([
      "gen_ai.client.operation.exception WARN chat gpt-test failed: ServerError: 500 from provider",
    ]);
  });
});

describe("endRunAsCancelled (a wrapper saw the consumer stop reading a core stream)", () => {
  it("ends the run and its open descendants as consumer_stopped; later callbacks for them are ignored; an unknown run id ends nothing", async () => {
    t = telemetry();
    const chain = ChatPromptTemplate.fromMessages([["human", "{q}"]]).pipe(
      new AgentScriptModel([STREAM_TURN]),
    );
    const runId = "0195f7c4-0000-7000-8000-000000000001";
    let n = 0;
    // A core stream fires no end or error callback after a break.
    for await (const _ of await chain.stream({ q: "hi" }, { callbacks: [t.handler], runId }))
      if (++n === 2) break;
    // The package's own stream wrapper already ended the model run at the break (issue 12);
    // the root is left to a wrapper that knows its run id.
    expect(t.handler.openRunCount).toBe(1);
    expect(endRunAsCancelled(t.handler, runId, "consumer_stopped")).toBe(1);
    expect(endRunAsCancelled(t.handler, runId, "consumer_stopped")).toBe(0);
    expect(renderTree(t.spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow RunnableSequence INTERNAL langchain.run.cancelled=consumer_stopped",
        "  ChatPromptTemplate INTERNAL",
        "  chat gpt-test CLIENT langchain.run.cancelled=consumer_stopped gen_ai.request.stream=true",
      ].join("\n"),
    );
    expectNoFailure();
    expect(t.records().map(line)).toEqual([
      "gen_ai.client.inference.operation.details INFO chat gpt-test: N s, cancelled: consumer_stopped",
    ]);
    expect(t.handler.openRunCount).toBe(0);
  });
});
