/**
 * Runs that never end do not accumulate (issue 5): 10,000 runs started and never ended (start
 * callbacks only), and real consumers breaking out of `.stream()`, are all ended as incomplete
 * once `runTimeoutMs` has passed: `openRunCount` is back to zero, every span that started has
 * ended with status ERROR and `error.type = "incomplete"`, and the heap is flat across rounds.
 * Aborted invokes end every run in a known way (the abort comes from inside the model call, so
 * no timer races the model).
 */
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import type { ChatResult } from "@langchain/core/outputs";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { SpanStatusCode, type Context } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { describe, expect, it } from "vitest";
import { heapAfterGc } from "./helpers/heap.js";

const RUN_TIMEOUT_MS = 200;

/** Counts spans started and ended, and how the ended ones ended; keeps no span (heap stays ours). */
class CountingProcessor implements SpanProcessor {
  started = 0;
  ended = 0;
  incomplete = new Map<string, number>();
  other: string[] = [];
  /** How spans ended, counted by `name STATUS(message) error.type=... langchain.run.incomplete=...`. */
  outcomes = new Map<string, number>();
  onStart(_span: Span, _ctx: Context): void {
    this.started++;
  }
  onEnd(span: ReadableSpan): void {
    this.ended++;
    const outcome = outcomeOf(span);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    const reason = span.attributes["langchain.run.incomplete"];
    if (
      span.status.code === SpanStatusCode.ERROR &&
      span.attributes["error.type"] === "incomplete" &&
      typeof reason === "string"
    ) {
      this.incomplete.set(reason, (this.incomplete.get(reason) ?? 0) + 1);
    } else if (this.other.length < 20) {
      this.other.push(
        `${span.name} status=${span.status.code} error.type=${String(span.attributes["error.type"])}`,
      );
    }
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const STATUS = ["UNSET", "OK", "ERROR"];

function outcomeOf(span: ReadableSpan): string {
  let line = `${span.name} ${STATUS[span.status.code]}${span.status.message ? `(${span.status.message})` : ""}`;
  for (const key of ["error.type", "langchain.run.incomplete"])
    if (span.attributes[key] !== undefined) line += ` ${key}=${String(span.attributes[key])}`;
  return line;
}

function setup() {
  const counter = new CountingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [counter] });
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider: provider,
    metrics: false,
    logs: false,
    runTimeoutMs: RUN_TIMEOUT_MS,
  });
  return { counter, handler };
}

/** Waits (bounded) until the handler has no open run; returns the milliseconds it took. */
async function drained(handler: OpenTelemetryCallbackHandler, maxMs = 10_000): Promise<number> {
  const t0 = performance.now();
  while (handler.openRunCount > 0 && performance.now() - t0 < maxMs)
    await new Promise((r) => setTimeout(r, 20));
  return performance.now() - t0;
}

/** `trees` abandoned run trees of 4 runs each (chain > prompt, chat model, parser), started and never ended. */
function abandon(handler: OpenTelemetryCallbackHandler, trees: number, tag: string): void {
  const chain = {
    lc: 1,
    type: "not_implemented",
    id: ["langchain_core", "runnables", "RunnableSequence"],
  };
  const llm = {
    lc: 1,
    type: "constructor",
    id: ["langchain", "chat_models", "fake", "FakeListChatModel"],
    kwargs: {},
  };
  for (let i = 0; i < trees; i++) {
    const root = `${tag}-root-${i}`;
    handler.handleChainStart(
      chain,
      { question: "ping" },
      root,
      undefined,
      [],
      {},
      undefined,
      "RunnableSequence",
    );
    handler.handleChainStart(
      chain,
      { question: "ping" },
      `${root}-prompt`,
      root,
      [],
      {},
      undefined,
      "ChatPromptTemplate",
    );
    handler.handleChatModelStart(
      llm,
      [[]],
      `${root}-model`,
      root,
      { invocation_params: { model: "fake" } },
      [],
      { ls_provider: "fake" },
    );
    handler.handleChainStart(
      chain,
      "pong",
      `${root}-parser`,
      root,
      [],
      {},
      undefined,
      "StrOutputParser",
    );
  }
}

describe("runs that never end", () => {
  it("10,000 abandoned runs: open-run count back to zero after the timeout, every span ended as incomplete, heap flat", async () => {
    const { counter, handler } = setup();
    const heapBefore = heapAfterGc();
    const heaps: number[] = [];
    const peaks: number[] = [];
    const drainMs: number[] = [];
    const ROUNDS = 4;
    for (let round = 0; round < ROUNDS; round++) {
      abandon(handler, 2_500, `r${round}`);
      expect(handler.openRunCount).toBe(10_000);
      peaks.push(heapAfterGc());
      drainMs.push(await drained(handler));
      expect(handler.openRunCount).toBe(0);
      heaps.push(heapAfterGc());
    }
    const total = ROUNDS * 10_000;
    expect(counter.started).toBe(total);
    expect(counter.ended).toBe(total);
    expect(counter.other).toEqual([]);
    expect(Object.fromEntries(counter.incomplete)).toEqual({ timeout: total });
    // Heap flat, measured against what the runs themselves hold: 10,000 open runs cost
    // `openCost` (about 12 MB); a round that leaves even a tenth of that behind (about 120 bytes
    // per run) is a leak. Two late rounds are compared and the smaller growth counts: a leak
    // grows the heap in every round, a stray allocation of the test runner in one at most.
    const openCost = Math.min(...peaks.slice(1).map((p, i) => p - heaps[i]));
    const growths = [heaps[2] - heaps[1], heaps[3] - heaps[2]];
    const growth = Math.min(...growths);
    console.log(
      `[fault-abandoned] heap MB before ${(heapBefore / 1e6).toFixed(1)}, with 10,000 open ${peaks.map((p) => (p / 1e6).toFixed(1)).join("/")}, ` +
        `after expiry ${heaps.map((h) => (h / 1e6).toFixed(1)).join("/")}; 10,000 open runs hold ${(openCost / 1e6).toFixed(1)} MB; ` +
        `growth rounds 2->3, 3->4 ${growths.map((g) => (g / 1e3).toFixed(0)).join("/")} KB; drained in ${drainMs.map(Math.round).join("/")} ms`,
    );
    expect(openCost).toBeGreaterThan(1e6);
    expect(growth).toBeLessThan(openCost / 10);
    await handler.shutdown();
  });

  it("past maxOpenRuns the oldest open run is ended (open_run_limit), so the map never exceeds the cap", async () => {
    const counter = new CountingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [counter] });
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider: provider,
      metrics: false,
      logs: false,
      runTimeoutMs: 0,
      maxOpenRuns: 1_000,
    });
    abandon(handler, 1_000, "cap"); // 4,000 runs
    expect(handler.openRunCount).toBe(1_000);
    expect(counter.ended).toBe(3_000);
    expect(Object.fromEntries(counter.incomplete)).toEqual({ open_run_limit: 3_000 });
    expect(handler.endOpenRuns()).toBe(1_000);
    expect(handler.openRunCount).toBe(0);
    expect(counter.ended).toBe(counter.started);
    expect(counter.incomplete.get("ended_by_application")).toBe(1_000);
  });

  it("consumers breaking out of .stream(): the abandoned runs are ended after the timeout", async () => {
    const { counter, handler } = setup();
    const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
    const model = new FakeListChatModel({ responses: ["a long streamed answer of many chunks"] });
    const chain = prompt.pipe(model).pipe(new StringOutputParser());
    const streams = 1_000;
    for (let i = 0; i < streams; i++) {
      const stream = await chain.stream({ question: "ping" }, { callbacks: [handler] });
      for await (const chunk of stream) {
        expect(typeof chunk).toBe("string");
        break; // the consumer walks away after the first chunk
      }
    }
    // LangChain fires no end callback for any run of a broken stream. The model runs, whose
    // streams the package saw closed early, end as cancelled (consumer_stopped) at once...
    expect(counter.outcomes.get("chat UNSET")).toBe(streams);
    // ...the others (root, parser) are left open...
    const leftOpen = handler.openRunCount;
    expect(leftOpen).toBe(2 * streams);
    await drained(handler);
    // ...and the timeout ended every one of them.
    expect(handler.openRunCount).toBe(0);
    expect(counter.ended).toBe(counter.started);
    expect(counter.incomplete.get("timeout")).toBe(leftOpen);
    console.log(
      `[fault-abandoned] ${streams} broken streams: ${streams} model runs cancelled at the break, ${leftOpen} runs left open; all ended as incomplete after the timeout`,
    );
    await handler.shutdown();
  });
  it("aborted invokes (AbortSignal): the app gets the abort, and no run stays open", async () => {
    const { counter, handler } = setup();
    // The abort fires from inside the model call, after its run has started: no race between
    // an abort timer and the model. The call then never answers (a provider that hangs), so its
    // run can only be ended by the timeout.
    let onModelCall = () => {};
    class HangingChatModel extends FakeListChatModel {
      override _generate(): Promise<ChatResult> {
        onModelCall();
        return new Promise<ChatResult>(() => {});
      }
    }
    const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
    const chain = prompt
      .pipe(new HangingChatModel({ responses: ["pong"] }))
      .pipe(new StringOutputParser());
    const aborts = 20;
    for (let i = 0; i < aborts; i++) {
      const controller = new AbortController();
      onModelCall = () => controller.abort(new Error("user aborted"));
      await expect(
        chain.invoke({ question: "ping" }, { callbacks: [handler], signal: controller.signal }),
      ).rejects.toThrow("user aborted");
    }
    // The root run failed with the abort while the model call it was waiting for was still open.
    expect(handler.openRunCount).toBe(aborts);
    expect(Object.fromEntries(counter.outcomes)).toEqual({
      "ChatPromptTemplate UNSET": aborts,
      "invoke_workflow RunnableSequence ERROR(user aborted) error.type=Error": aborts,
    });
    await drained(handler);
    expect(handler.openRunCount).toBe(0);
    // How every run ended: the prompt OK, the root failed with the abort, the model call ended
    // by the timeout as incomplete; the parser never started.
    expect(counter.started).toBe(3 * aborts);
    expect(counter.ended).toBe(3 * aborts);
    expect(Object.fromEntries(counter.outcomes)).toEqual({
      "ChatPromptTemplate UNSET": aborts,
      "invoke_workflow RunnableSequence ERROR(user aborted) error.type=Error": aborts,
      "chat ERROR(run did not end (timeout)) error.type=incomplete langchain.run.incomplete=timeout":
        aborts,
    });
    await handler.shutdown();
  });
});
