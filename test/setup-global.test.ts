/**
 * Global attach through LangChain's configure hook: every run traced without `callbacks`, never
 * doubled when the handler is passed explicitly too, opt-out with `global: false`, and
 * `registerGlobalHandler()` on its own with the app's providers.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-node";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { registerGlobalHandler } from "../src/handler/global.js";
import { OpenTelemetryCallbackHandler } from "../src/handler/handler.js";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { pingChain, UsageFakeChatModel } from "./helpers/langchain-fixtures.js";
import { collectingExporter } from "./helpers/spans.js";

let telemetry: TelemetryHandle | undefined;

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

function setupCollecting(spans: ReadableSpan[], global?: boolean): TelemetryHandle {
  return setupTelemetry({
    disableBatch: true,
    onWarning: () => {},
    metrics: false,
    logs: false,
    traces: { exporter: collectingExporter(spans) },
    ...(global === undefined ? {} : { global }),
  });
}

const names = (spans: ReadableSpan[]) => spans.map((s) => s.name).sort();

describe("global attach", () => {
  it("traces a run that passes no callbacks, and never doubles spans when the handler is also passed explicitly", async () => {
    const spans: ReadableSpan[] = [];
    telemetry = setupCollecting(spans);

    await pingChain().invoke({ question: "ping" });
    const implicit = spans.splice(0);
    expect(implicit.length).toBeGreaterThanOrEqual(2);
    expect(implicit.filter((s) => !s.parentSpanContext)).toHaveLength(1);

    await pingChain().invoke({ question: "ping" }, { callbacks: [telemetry.handler] });
    const explicit = spans.splice(0);
    expect(names(explicit)).toEqual(names(implicit));
    expect(new Set(explicit.map((s) => s.spanContext().traceId)).size).toBe(1);

    // Explicit on the model (constructor callbacks) and global on the sequence: still one span per run.
    const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
    const model = new UsageFakeChatModel({ responses: ["pong"], callbacks: [telemetry.handler] });
    await prompt.pipe(model).invoke({ question: "ping" });
    const again = spans.splice(0);
    expect(names(again)).toEqual(names(implicit));
  });

  it("does nothing globally with global: false; explicit callbacks still work", async () => {
    const spans: ReadableSpan[] = [];
    telemetry = setupCollecting(spans, false);
    await pingChain().invoke({ question: "ping" });
    expect(spans).toEqual([]);
    await pingChain().invoke({ question: "ping" }, { callbacks: [telemetry.handler] });
    expect(spans.length).toBeGreaterThanOrEqual(2);
    expect(spans.filter((s) => !s.parentSpanContext)).toHaveLength(1);
  });

  it("detaches on shutdown", async () => {
    const spans: ReadableSpan[] = [];
    const t = setupCollecting(spans);
    await t.shutdown();
    await pingChain().invoke({ question: "ping" });
    expect(spans).toEqual([]);
  });
});

describe("registerGlobalHandler", () => {
  it("attaches a handler bound to the app's own provider; the undo function detaches it", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider: provider,
      metrics: false,
      logs: false,
    });
    const undo = registerGlobalHandler(handler);
    await pingChain().invoke({ question: "ping" });
    const first = exporter.getFinishedSpans().length;
    expect(first).toBeGreaterThanOrEqual(2);
    await pingChain().invoke({ question: "ping" }, { callbacks: [handler] });
    expect(exporter.getFinishedSpans().length).toBe(2 * first);
    undo();
    await pingChain().invoke({ question: "ping" });
    expect(exporter.getFinishedSpans().length).toBe(2 * first);
    await provider.shutdown();
  });

  it("a later registration replaces an earlier one (no stale handler kept by name de-duplication)", async () => {
    const a = new InMemorySpanExporter();
    const b = new InMemorySpanExporter();
    const handlerA = new OpenTelemetryCallbackHandler({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(a)] }),
      metrics: false,
      logs: false,
    });
    const handlerB = new OpenTelemetryCallbackHandler({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(b)] }),
      metrics: false,
      logs: false,
    });
    const undoA = registerGlobalHandler(handlerA);
    const undoB = registerGlobalHandler(handlerB);
    await pingChain().invoke({ question: "ping" });
    expect(a.getFinishedSpans()).toEqual([]);
    expect(b.getFinishedSpans().length).toBeGreaterThanOrEqual(2);
    undoA(); // no effect: B is the registered one
    await pingChain().invoke({ question: "ping" });
    expect(a.getFinishedSpans()).toEqual([]);
    undoB();
  });
});
