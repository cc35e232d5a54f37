/**
 * Span trees of core runnables: prompt | model | parser (invoke, stream, batch), RunnableParallel,
 * a retriever, and 20 concurrent requests each under its own active parent span.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { RunnableLambda, RunnableParallel } from "@langchain/core/runnables";
import { FakeListChatModel, FakeRetriever } from "@langchain/core/utils/testing";
import { Document } from "@langchain/core/documents";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { MeterProvider, MetricReader, type HistogramMetricData } from "@opentelemetry/sdk-metrics";
import { ScriptedChatModel, TestClock } from "./helpers/models.js";
import {
  isChildOf,
  memoryHandler,
  named,
  only,
  parentId,
  renderTree,
  spanId,
} from "./helpers/spans.js";

const KEYS = [
  "gen_ai.operation.name",
  "gen_ai.provider.name",
  "gen_ai.workflow.name",
  "gen_ai.request.stream",
  "gen_ai.data_source.id",
];

function promptModelParser(responses = ["hello there"], sleep?: number) {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "be brief"],
    ["human", "hi {x}"],
  ]);
  return prompt.pipe(new FakeListChatModel({ responses, sleep })).pipe(new StringOutputParser());
}

/** A metric reader collected on demand. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const SEQUENCE_TREE = [
  "invoke_workflow RunnableSequence INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=RunnableSequence",
  "  ChatPromptTemplate INTERNAL",
  "  chat CLIENT gen_ai.operation.name=chat gen_ai.provider.name=fakelistchatmodel",
  "  StrOutputParser INTERNAL",
].join("\n");

describe("prompt | model | parser", () => {
  it("invoke: one root workflow span with the prompt, the CLIENT chat span and the parser as children", async () => {
    const { handler, spans } = memoryHandler();
    const out = await promptModelParser().invoke({ x: "bob" }, { callbacks: [handler] });
    expect(out).toBe("hello there");
    expect(renderTree(spans(), { attributes: KEYS })).toBe(SEQUENCE_TREE);
    const root = only(spans(), "invoke_workflow RunnableSequence");
    expect(parentId(root)).toBeUndefined();
    for (const name of ["ChatPromptTemplate", "chat", "StrOutputParser"])
      expect(isChildOf(only(spans(), name), root)).toBe(true);
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(handler.openRunCount).toBe(0);
  });

  it("invoke: a non-streamed chat span has no gen_ai.request.stream and no time to first chunk", async () => {
    const { handler, spans } = memoryHandler();
    await promptModelParser().invoke({ x: "bob" }, { callbacks: [handler] });
    const chat = only(spans(), "chat");
    expect(chat.attributes["gen_ai.request.stream"]).toBeUndefined();
    expect(chat.attributes["gen_ai.response.time_to_first_chunk"]).toBeUndefined();
  });

  it(".stream(): the same tree, and the chat span says it streamed with a time to first chunk", async () => {
    // Scripted time: the first chunk comes 250 ms after the call starts, two more 125 ms apart.
    const clock = new TestClock().install();
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    try {
      const { handler, spans } = memoryHandler({ metrics: true, meterProvider });
      const model = new ScriptedChatModel({
        model: "scripted-model",
        provider: "openai",
        clock,
        replies: [
          {
            text: "hello there",
            chunks: [
              { text: "hel", afterMs: 250 },
              { text: "lo th", afterMs: 125 },
              { text: "ere", afterMs: 125 },
            ],
          },
        ],
      });
      const chain = ChatPromptTemplate.fromMessages([["human", "hi {x}"]])
        .pipe(model)
        .pipe(new StringOutputParser());
      let text = "";
      for await (const chunk of await chain.stream({ x: "bob" }, { callbacks: [handler] }))
        text += chunk;
      expect(text).toBe("hello there");
      expect(renderTree(spans(), { attributes: KEYS })).toBe(
        [
          "invoke_workflow RunnableSequence INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=RunnableSequence",
          "  ChatPromptTemplate INTERNAL",
          "  chat scripted-model CLIENT gen_ai.operation.name=chat gen_ai.provider.name=openai gen_ai.request.stream=true",
          "  StrOutputParser INTERNAL",
        ].join("\n"),
      );
      const chat = only(spans(), "chat scripted-model");
      // Time to first chunk is the delay before the first chunk, less than the whole call (0.5 s).
      expect(chat.attributes["gen_ai.response.time_to_first_chunk"]).toBe(0.25);
      expect(chat.duration).toEqual([0, 500_000_000]);
      // The same value is the histogram's one point.
      const { resourceMetrics } = await reader.collect();
      const ttfc = resourceMetrics.scopeMetrics
        .flatMap((sm) => sm.metrics)
        .find(
          (m) => m.descriptor.name === "gen_ai.client.operation.time_to_first_chunk",
        ) as HistogramMetricData;
      expect(ttfc.dataPoints.map((p) => [p.attributes, p.value.count, p.value.sum])).toEqual([
        [
          {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "scripted-model",
          },
          1,
          0.25,
        ],
      ]);
      expect(handler.openRunCount).toBe(0);
    } finally {
      vi.restoreAllMocks();
      await meterProvider.shutdown();
    }
  });

  it(".batch(): one separate root (and trace) per input, each with its own three children", async () => {
    const { handler, spans } = memoryHandler();
    const out = await promptModelParser(["one", "two"]).batch([{ x: "a" }, { x: "b" }], {
      callbacks: [handler],
    });
    expect(out.sort()).toEqual(["one", "two"]);
    expect(renderTree(spans(), { attributes: KEYS })).toBe(`${SEQUENCE_TREE}\n${SEQUENCE_TREE}`);
    const roots = named(spans(), "invoke_workflow RunnableSequence");
    expect(roots).toHaveLength(2);
    expect(roots[0].spanContext().traceId).not.toBe(roots[1].spanContext().traceId);
    for (const root of roots) {
      const kids = spans().filter((s) => isChildOf(s, root));
      expect(kids.map((s) => s.name).sort()).toEqual([
        "ChatPromptTemplate",
        "StrOutputParser",
        "chat",
      ]);
    }
    expect(handler.openRunCount).toBe(0);
  });
});

describe("RunnableParallel", () => {
  it("both branches are children of the RunnableMap root; the nested sequence keeps its own children", async () => {
    const { handler, spans } = memoryHandler();
    const prompt = ChatPromptTemplate.fromMessages([["human", "hi {x}"]]);
    const par = RunnableParallel.from({
      upper: RunnableLambda.from((x: { x: string }) => x.x.toUpperCase()),
      chat: prompt.pipe(new FakeListChatModel({ responses: ["hey"] })),
    });
    const out = await par.invoke({ x: "a" }, { callbacks: [handler] });
    expect(out.upper).toBe("A");
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow RunnableMap INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=RunnableMap",
        "  RunnableLambda INTERNAL",
        "  RunnableSequence INTERNAL",
        "    ChatPromptTemplate INTERNAL",
        "    chat CLIENT gen_ai.operation.name=chat gen_ai.provider.name=fakelistchatmodel",
      ].join("\n"),
    );
    const root = only(spans(), "invoke_workflow RunnableMap");
    const seq = only(spans(), "RunnableSequence");
    expect(isChildOf(only(spans(), "RunnableLambda"), root)).toBe(true);
    expect(isChildOf(seq, root)).toBe(true);
    expect(isChildOf(only(spans(), "chat"), seq)).toBe(true);
    expect(handler.openRunCount).toBe(0);
  });
});

describe("retriever", () => {
  it("a root retriever run is a CLIENT span `retrieval {name}` with operation retrieval and the data source", async () => {
    const { handler, spans } = memoryHandler();
    const docs = await new FakeRetriever().invoke("where?", { callbacks: [handler] });
    expect(docs.length).toBeGreaterThan(0);
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      "retrieval FakeRetriever CLIENT gen_ai.operation.name=retrieval gen_ai.data_source.id=FakeRetriever",
    );
    expect(only(spans(), "retrieval FakeRetriever").status.code).toBe(0);
  });

  it("a retriever inside a chain is a child of the chain's span", async () => {
    const { handler, spans } = memoryHandler();
    const retriever = new FakeRetriever({ output: [new Document({ pageContent: "doc one" })] });
    const chain = RunnableLambda.from((q: string) => q.trim()).pipe(retriever);
    await chain.invoke(" q ", { callbacks: [handler] });
    expect(renderTree(spans(), { attributes: KEYS })).toBe(
      [
        "invoke_workflow RunnableSequence INTERNAL gen_ai.operation.name=invoke_workflow gen_ai.workflow.name=RunnableSequence",
        "  RunnableLambda INTERNAL",
        "  retrieval FakeRetriever CLIENT gen_ai.operation.name=retrieval gen_ai.data_source.id=FakeRetriever",
      ].join("\n"),
    );
  });
});

describe("20 concurrent requests, each under its own active span", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
  });
  afterAll(() => {
    context.disable();
  });

  it("every root run is a child of its own request span and every run stays in its request's trace (0 misparented)", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider: provider,
      metrics: false,
      logs: false,
    });
    const tracer = provider.getTracer("test-server");
    const N = 20;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        tracer.startActiveSpan(`request ${i}`, async (span) => {
          try {
            // sleep: the model awaits a timer, so the 20 requests interleave.
            return await promptModelParser([`answer ${i}`], 5).invoke(
              { x: String(i) },
              { callbacks: [handler], metadata: { request: i } },
            );
          } finally {
            span.end();
          }
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: N }, (_, i) => `answer ${i}`));
    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [spanId(s), s]));
    const requestOf = (s: ReadableSpan): ReadableSpan | undefined => {
      let cur: ReadableSpan | undefined = s;
      while (cur && !cur.name.startsWith("request ")) cur = byId.get(parentId(cur) ?? "");
      return cur;
    };
    const roots = named(spans, "invoke_workflow RunnableSequence");
    expect(roots).toHaveLength(N);
    let misparented = 0;
    for (const root of roots) {
      const request = byId.get(parentId(root) ?? "");
      if (!request || !request.name.startsWith("request ")) misparented++;
    }
    expect(misparented).toBe(0);
    // Each request's subtree: exactly its own 4 runs, and the chat answered that request.
    for (let i = 0; i < N; i++) {
      const request = only(spans, `request ${i}`);
      const subtree = spans.filter((s) => s !== request && requestOf(s) === request);
      expect(subtree.map((s) => s.name).sort()).toEqual([
        "ChatPromptTemplate",
        "StrOutputParser",
        "chat",
        "invoke_workflow RunnableSequence",
      ]);
      for (const s of subtree) expect(s.spanContext().traceId).toBe(request.spanContext().traceId);
    }
    expect(handler.openRunCount).toBe(0);
  });

  it("a root run started with no active span starts a new trace (no parent)", async () => {
    exporter.reset();
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider: provider,
      metrics: false,
      logs: false,
    });
    expect(trace.getActiveSpan()).toBeUndefined();
    await promptModelParser().invoke({ x: "a" }, { callbacks: [handler] });
    expect(
      parentId(only(exporter.getFinishedSpans(), "invoke_workflow RunnableSequence")),
    ).toBeUndefined();
  });
});
