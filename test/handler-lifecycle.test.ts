/**
 * Runs that never end: `break` out of `.stream()` fires no end callback. The model run, whose
 * stream the package's wrapper sees closed by its consumer, ends at once as cancelled
 * (`consumer_stopped`); the root and the parser stay open and the timeout sweep ends them as
 * incomplete. The open-run cap,
 * `endOpenRuns`, `forceFlush({ endOpenRuns })` and `shutdown()` keep memory bounded.
 */
import { describe, expect, it, vi } from "vitest";
import { SpanStatusCode } from "@opentelemetry/api";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { createAgent, FakeToolCallingModel, tool } from "langchain";
import { z } from "zod";
import { isChildOf, memoryHandler, only, renderTree } from "./helpers/spans.js";

const INCOMPLETE = ["langchain.run.incomplete", "error.type"];

function chain() {
  return ChatPromptTemplate.fromMessages([["human", "hi {x}"]])
    .pipe(new FakeListChatModel({ responses: ["hello there friend"] }))
    .pipe(new StringOutputParser());
}

describe("break out of .stream()", () => {
  it("ends the model run as consumer_stopped; the timeout sweep ends the root and the parser as incomplete (ERROR)", async () => {
    const { handler, spans } = memoryHandler({ runTimeoutMs: 50 });
    for await (const chunk of await chain().stream({ x: "a" }, { callbacks: [handler] })) {
      expect(chunk).toBe("h");
      break;
    }
    // The model run ended as cancelled at the break (LangChain itself ends none of the three).
    expect(renderTree(spans(), { attributes: [...INCOMPLETE, "langchain.run.cancelled"] })).toBe(
      ["ChatPromptTemplate INTERNAL", "chat CLIENT langchain.run.cancelled=consumer_stopped"].join(
        "\n",
      ),
    );
    expect(only(spans(), "chat").status).toEqual({ code: SpanStatusCode.UNSET });
    expect(handler.openRunCount).toBe(2);
    await vi.waitFor(() => expect(handler.openRunCount).toBe(0), { timeout: 5000, interval: 20 });
    expect(renderTree(spans(), { attributes: INCOMPLETE })).toBe(
      [
        "invoke_workflow RunnableSequence INTERNAL langchain.run.incomplete=timeout error.type=incomplete",
        "  ChatPromptTemplate INTERNAL",
        "  chat CLIENT",
        "  StrOutputParser INTERNAL langchain.run.incomplete=timeout error.type=incomplete",
      ].join("\n"),
    );
    for (const name of ["invoke_workflow RunnableSequence", "StrOutputParser"]) {
      expect(only(spans(), name).status).toEqual({
        code: SpanStatusCode.ERROR,
        message: "run did not end (timeout)",
      });
    }
    // The parent/child links survive the forced end.
    expect(
      isChildOf(only(spans(), "chat"), only(spans(), "invoke_workflow RunnableSequence")),
    ).toBe(true);
  });

  it("a late end callback for a run that already expired is ignored (no second end, no new span)", async () => {
    const { handler, spans } = memoryHandler({ runTimeoutMs: 50 });
    handler.handleChainStart(
      { id: ["x", "Late"] },
      {},
      "late-1",
      undefined,
      [],
      {},
      undefined,
      "Late",
    );
    await vi.waitFor(() => expect(handler.openRunCount).toBe(0), { timeout: 5000, interval: 20 });
    expect(spans()).toHaveLength(1);
    handler.handleChainEnd({ out: 1 }, "late-1");
    handler.handleChainError(new Error("late"), "late-1");
    expect(spans()).toHaveLength(1);
    expect(spans()[0].attributes["langchain.run.incomplete"]).toBe("timeout");
  });
});

describe("break out of a LangGraph agent's .stream()", () => {
  it("LangGraph aborts the graph itself: every span ends at once (no timeout), cancelled as aborted, not failed", async () => {
    const { handler, spans } = memoryHandler({ runTimeoutMs: 0 });
    const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: "get_weather",
      description: "d",
      schema: z.object({ city: z.string() }),
    });
    const agent = createAgent({
      model: new FakeToolCallingModel({
        toolCalls: [[{ name: "get_weather", args: { city: "P" }, id: "c1" }], []],
      }),
      tools: [weather],
      name: "a",
    });
    for await (const update of await agent.stream(
      { messages: [{ role: "user", content: "x" }] },
      { callbacks: [handler], streamMode: "updates" },
    )) {
      expect(Object.keys(update)).toEqual(["model_request"]);
      break;
    }
    expect(handler.openRunCount).toBe(0);
    expect(renderTree(spans(), { attributes: ["error.type", "langchain.run.cancelled"] })).toBe(
      [
        "invoke_agent a INTERNAL langchain.run.cancelled=aborted",
        "  model_request INTERNAL",
        "    chat CLIENT",
        "  tools INTERNAL langchain.run.cancelled=aborted",
        "    execute_tool get_weather INTERNAL langchain.run.cancelled=aborted",
      ].join("\n"),
    );
    for (const s of spans()) expect(s.status).toEqual({ code: SpanStatusCode.UNSET });
  });
});

describe("open-run cap", () => {
  it("past maxOpenRuns the oldest open run is ended as incomplete (open_run_limit); openRunCount never exceeds the cap", () => {
    const { handler, spans } = memoryHandler({ maxOpenRuns: 3, runTimeoutMs: 0 });
    for (let i = 0; i < 5; i++) {
      handler.handleChainStart(
        { id: ["x", `R${i}`] },
        {},
        `run-${i}`,
        undefined,
        [],
        {},
        undefined,
        `R${i}`,
      );
      expect(handler.openRunCount).toBeLessThanOrEqual(3);
    }
    expect(handler.openRunCount).toBe(3);
    expect(spans().map((s) => [s.name, s.attributes["langchain.run.incomplete"]])).toEqual([
      ["invoke_workflow R0", "open_run_limit"],
      ["invoke_workflow R1", "open_run_limit"],
    ]);
    // The survivors still end normally.
    for (let i = 2; i < 5; i++) handler.handleChainEnd({}, `run-${i}`);
    expect(handler.openRunCount).toBe(0);
    for (const s of spans().slice(2)) expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a run id started twice ends the first span as duplicate_run_id", () => {
    const { handler, spans } = memoryHandler();
    handler.handleChainStart({ id: ["x", "A"] }, {}, "same", undefined, [], {}, undefined, "A");
    handler.handleChainStart({ id: ["x", "B"] }, {}, "same", undefined, [], {}, undefined, "B");
    expect(handler.openRunCount).toBe(1);
    expect(spans().map((s) => [s.name, s.attributes["langchain.run.incomplete"]])).toEqual([
      ["invoke_workflow A", "duplicate_run_id"],
    ]);
    handler.handleChainEnd({}, "same");
    expect(spans().map((s) => s.name)).toEqual(["invoke_workflow A", "invoke_workflow B"]);
  });
});

describe("endOpenRuns / forceFlush / shutdown", () => {
  function openTree(handler: ReturnType<typeof memoryHandler>["handler"]) {
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
    handler.handleChatModelStart({ id: ["x", "M"] }, [[]], "model", "root", {}, [], {});
  }

  it("endOpenRuns(reason) ends every open span with that reason and returns how many were open", () => {
    const { handler, spans } = memoryHandler({ runTimeoutMs: 0 });
    openTree(handler);
    expect(handler.endOpenRuns("test_reason")).toBe(2);
    expect(handler.openRunCount).toBe(0);
    // Children end before their parents.
    expect(spans().map((s) => [s.name, s.attributes["langchain.run.incomplete"]])).toEqual([
      ["chat", "test_reason"],
      ["invoke_workflow Root", "test_reason"],
    ]);
    expect(handler.endOpenRuns()).toBe(0);
  });

  it("forceFlush() leaves live runs open; forceFlush({ endOpenRuns: true }) ends them as 'flush'", async () => {
    const { handler, spans } = memoryHandler({ runTimeoutMs: 0 });
    openTree(handler);
    await handler.forceFlush();
    expect(handler.openRunCount).toBe(2);
    expect(spans()).toHaveLength(0);
    await handler.forceFlush({ endOpenRuns: true });
    expect(handler.openRunCount).toBe(0);
    expect(spans().map((s) => s.attributes["langchain.run.incomplete"])).toEqual([
      "flush",
      "flush",
    ]);
  });

  it("shutdown() ends what is open as 'shutdown'", async () => {
    const { handler, spans } = memoryHandler();
    openTree(handler);
    await handler.shutdown();
    expect(handler.openRunCount).toBe(0);
    expect(spans().map((s) => s.attributes["langchain.run.incomplete"])).toEqual([
      "shutdown",
      "shutdown",
    ]);
    expect(
      spans().every(
        (s) =>
          s.status.code === SpanStatusCode.ERROR && s.attributes["error.type"] === "incomplete",
      ),
    ).toBe(true);
  });
});

describe("the default runTimeoutMs", () => {
  it("is 10 minutes: a run open 9 min 59 s is still open; after 10 min and one sweep it is ended as incomplete (timeout)", () => {
    // The sweep is an interval timer and ages runs by performance.now(): both faked, so the test
    // spends no real time.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    try {
      const { handler, spans } = memoryHandler();
      handler.handleChainStart(
        { id: ["x", "Slow"] },
        {},
        "slow",
        undefined,
        [],
        {},
        undefined,
        "Slow",
      );
      vi.advanceTimersByTime(9 * 60_000 + 59_000);
      expect(handler.openRunCount).toBe(1);
      expect(spans()).toHaveLength(0);
      // The sweep runs every min(timeout / 2, 30 s): one sweep after the 10 minutes ends the run.
      vi.advanceTimersByTime(1_000 + 30_000);
      expect(handler.openRunCount).toBe(0);
      expect(
        spans().map((s) => [
          s.name,
          s.status,
          s.attributes["langchain.run.incomplete"],
          s.attributes["error.type"],
        ]),
      ).toEqual([
        [
          "invoke_workflow Slow",
          { code: SpanStatusCode.ERROR, message: "run did not end (timeout)" },
          "timeout",
          "incomplete",
        ],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
