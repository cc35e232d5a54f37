/**
 * Bad input (issue 5), property-based with fast-check: arbitrary sequences of LangChain callbacks
 * with arbitrary payloads (missing fields, wrong types, circular structures, BigInt, Symbols,
 * binary data, lone surrogates, throwing getters and proxies, big strings, out-of-order and
 * duplicate run ids), content capture off and on. The handler
 * - never throws (nor returns a rejecting promise),
 * - ends every span it started once `endOpenRuns()` ran (a processor counts onStart/onEnd),
 * - exports nothing of unbounded size: every string in span, event, log record and metric
 *   attributes is at most `maxContentLength` characters, and each span / log record is bounded.
 * A 10 MB string in every position is tried once (not per case).
 */
import { SpanStatusCode, type Context } from "@opentelemetry/api";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { describe, expect, it, vi } from "vitest";

const MAX_CONTENT = 16_384; // the handler's default maxContentLength
/** Bound on one exported span or log record, as JSON: a few content attributes of MAX_CONTENT plus fixed fields. */
const MAX_ITEM_JSON = 256 * 1024;

class CountingProcessor implements SpanProcessor {
  started = 0;
  ended = 0;
  onStart(_span: Span, _ctx: Context): void {
    this.started++;
  }
  onEnd(): void {
    this.ended++;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class PullReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function pipeline(captureContent: boolean) {
  const counter = new CountingProcessor();
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [counter, new SimpleSpanProcessor(spans)],
  });
  const logs = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: logs })],
  });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider,
    loggerProvider,
    meterProvider,
    captureContent,
    runTimeoutMs: 0,
  });
  return { handler, counter, spans, logs, reader };
}

// ------------------------------------------------------------------ hostile values

function circular(): unknown {
  const a: Record<string, unknown> = { role: "user", content: "loop" };
  a.self = a;
  a.list = [a, { parent: a }];
  return a;
}

function throwingProxy(): unknown {
  const boom = () => {
    throw new Error("proxy trap");
  };
  // Symbol keys are left alone so that fast-check itself can handle the value.
  return new Proxy(
    {},
    {
      get: (_t, key) =>
        key === fc.toStringMethod
          ? () => "throwingProxy()"
          : typeof key === "symbol"
            ? undefined
            : boom(),
      has: (_t, key) =>
        key === fc.toStringMethod ? true : typeof key === "symbol" ? false : boom(),
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
    },
  );
}

function throwingGetters(): unknown {
  return Object.defineProperties(
    // fast-check prints counterexamples through this method instead of calling the getters.
    { [fc.toStringMethod]: () => "throwingGetters()" },
    {
      content: {
        enumerable: true,
        get: () => {
          throw new Error("getter");
        },
      },
      generations: {
        enumerable: true,
        get: () => {
          throw new Error("getter");
        },
      },
      message: {
        enumerable: true,
        get: () => {
          throw new Error("getter");
        },
      },
      name: {
        enumerable: true,
        get: () => {
          throw new Error("getter");
        },
      },
      id: {
        enumerable: true,
        get: () => {
          throw new Error("getter");
        },
      },
    },
  );
}

const BIG = "x".repeat(20_000);
const BIG_SURROGATES = "\ud83d".repeat(10_000) + "\ude00".repeat(10_000);

const loneSurrogates = fc.oneof(
  fc.constantFrom("\ud800", "a\udc00b", "\udbff\udbff", "end\ud83d"),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) }),
);

const hostile = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom(BIG, BIG_SURROGATES),
  loneSurrogates,
  fc.bigInt().map((b) => b),
  fc.constant(Symbol("sym")),
  fc.constant(() => "fn"),
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(Buffer.from("binary\u0000data")),
  fc.constant(new ArrayBuffer(8)),
  fc.constant(Number.NaN),
  fc.constant(-Infinity),
  fc.constant(new Date(Number.NaN)),
  fc.constant(new Error("an error value")),
  fc.constant(null).map(() => circular()),
  fc.constant(null).map(() => throwingProxy()),
  fc.constant(null).map(() => throwingGetters()),
  fc.constant(Object.create(null) as unknown),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      maxDepth: 3,
    }),
  },
  { weight: 3, arbitrary: hostile },
);

/** A value of the right outer shape with wrong or hostile insides. */
const stringish = fc.oneof(
  fc.string({ maxLength: 20 }),
  hostile,
  fc.constantFrom("langsmith:hidden", "AgentExecutor", "openai"),
);
const metadata = fc.oneof(
  anyValue,
  fc.record(
    {
      ls_provider: stringish,
      ls_model_name: stringish,
      ls_integration: fc.oneof(fc.constantFrom("langchain_create_agent", "langgraph"), stringish),
      lc_agent_name: stringish,
      langgraph_node: anyValue,
      langgraph_step: anyValue,
      thread_id: stringish,
      ls_temperature: anyValue,
      ls_max_tokens: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const serialized = fc.oneof(
  anyValue,
  fc.record(
    {
      lc: fc.constant(1),
      type: stringish,
      id: fc.oneof(fc.array(stringish, { maxLength: 4 }), anyValue),
      name: stringish,
      kwargs: anyValue,
      description: stringish,
    },
    { requiredKeys: [] },
  ),
);
const message = fc.oneof(
  anyValue,
  fc.record(
    {
      role: stringish,
      type: stringish,
      content: fc.oneof(
        stringish,
        fc.array(
          fc.oneof(
            anyValue,
            fc.record(
              { type: stringish, text: stringish, image_url: anyValue },
              { requiredKeys: [] },
            ),
          ),
          { maxLength: 3 },
        ),
      ),
      tool_calls: fc.oneof(
        anyValue,
        fc.array(
          fc.record({ name: stringish, args: anyValue, id: stringish }, { requiredKeys: [] }),
          { maxLength: 2 },
        ),
      ),
      tool_call_id: stringish,
      _getType: fc.oneof(
        fc.constant(() => "human"),
        fc.constant(() => {
          throw new Error("type");
        }),
      ),
    },
    { requiredKeys: [] },
  ),
);
const messages = fc.oneof(
  anyValue,
  fc.array(fc.oneof(anyValue, fc.array(message, { maxLength: 4 })), { maxLength: 2 }),
);
const extraParams = fc.oneof(
  anyValue,
  fc.record(
    {
      invocation_params: fc.oneof(
        anyValue,
        fc.record(
          {
            model: stringish,
            temperature: anyValue,
            max_tokens: anyValue,
            stop: anyValue,
            tools: anyValue,
            baseURL: stringish,
            response_format: anyValue,
            n: anyValue,
            seed: anyValue,
          },
          { requiredKeys: [] },
        ),
      ),
      cached: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const generation = fc.record(
  {
    text: stringish,
    message: fc.oneof(
      anyValue,
      fc.record(
        {
          content: anyValue,
          id: stringish,
          tool_calls: anyValue,
          usage_metadata: fc.oneof(
            anyValue,
            fc.record(
              {
                input_tokens: anyValue,
                output_tokens: anyValue,
                input_token_details: anyValue,
                output_token_details: anyValue,
              },
              { requiredKeys: [] },
            ),
          ),
          response_metadata: fc.oneof(
            anyValue,
            fc.record(
              {
                model_name: stringish,
                model_provider: stringish,
                finish_reason: stringish,
                id: stringish,
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    generationInfo: fc.oneof(
      anyValue,
      fc.record({ finish_reason: stringish, model_name: stringish }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
const llmResult = fc.oneof(
  anyValue,
  fc.record(
    {
      generations: fc.oneof(
        anyValue,
        fc.array(fc.oneof(anyValue, fc.array(generation, { maxLength: 3 })), { maxLength: 3 }),
      ),
      llmOutput: fc.oneof(
        anyValue,
        fc.record({ tokenUsage: anyValue, model_name: stringish }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: [] },
  ),
);
const documents = fc.oneof(
  anyValue,
  fc.array(
    fc.oneof(
      anyValue,
      fc.record({ pageContent: anyValue, metadata: anyValue, id: anyValue }, { requiredKeys: [] }),
    ),
    { maxLength: 4 },
  ),
);
const errorValue = fc.oneof(
  anyValue,
  fc.record(
    { name: stringish, message: stringish, is_bubble_up: anyValue, stack: stringish },
    { requiredKeys: [] },
  ),
  stringish.map((m) => new Error(typeof m === "string" ? m : "err")),
);

/** Few ids so that duplicates, out-of-order ends and unknown parents are frequent; sometimes not a string at all. */
const runId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("r1", "r2", "r3", "r4", "r5") },
  { weight: 1, arbitrary: anyValue },
);
const parentId = fc.oneof(fc.constant(undefined), runId);
const tags = fc.oneof(anyValue, fc.array(stringish, { maxLength: 3 }));

type Call = { method: string; args: unknown[] };
const call = (method: string, ...args: fc.Arbitrary<unknown>[]): fc.Arbitrary<Call> =>
  fc.tuple(...args).map((a) => ({ method, args: a }));

const callArb: fc.Arbitrary<Call> = fc.oneof(
  call(
    "handleChainStart",
    serialized,
    anyValue,
    runId,
    parentId,
    tags,
    metadata,
    stringish,
    stringish,
  ),
  call("handleChainEnd", anyValue, runId, parentId, tags, anyValue),
  call("handleChainError", errorValue, runId, parentId, tags, anyValue),
  call(
    "handleChatModelStart",
    serialized,
    messages,
    runId,
    parentId,
    extraParams,
    tags,
    metadata,
    stringish,
  ),
  call(
    "handleLLMStart",
    serialized,
    fc.oneof(anyValue, fc.array(stringish, { maxLength: 3 })),
    runId,
    parentId,
    extraParams,
    tags,
    metadata,
    stringish,
  ),
  call(
    "handleLLMNewToken",
    stringish,
    anyValue,
    runId,
    parentId,
    tags,
    fc.oneof(anyValue, fc.record({ chunk: anyValue })),
  ),
  call("handleLLMEnd", llmResult, runId, parentId, tags, extraParams),
  call("handleLLMError", errorValue, runId, parentId, tags, anyValue),
  call(
    "handleToolStart",
    serialized,
    anyValue,
    runId,
    parentId,
    tags,
    metadata,
    stringish,
    stringish,
  ),
  call(
    "handleToolEnd",
    fc.oneof(anyValue, fc.record({ content: anyValue, tool_call_id: stringish })),
    runId,
    parentId,
    tags,
  ),
  call("handleToolError", errorValue, runId, parentId, tags),
  call("handleRetrieverStart", serialized, anyValue, runId, parentId, tags, metadata, stringish),
  call("handleRetrieverEnd", documents, runId, parentId, tags),
  call("handleRetrieverError", errorValue, runId, parentId, tags),
  call("handleCustomEvent", stringish, anyValue, runId, tags, metadata),
);

// ------------------------------------------------------------------ checks

type Pipeline = ReturnType<typeof pipeline>;

function invoke(handler: OpenTelemetryCallbackHandler, c: Call): void {
  const fn = (handler as unknown as Record<string, (...args: unknown[]) => unknown>)[c.method];
  const result = fn.apply(handler, c.args);
  if (result !== undefined)
    throw new Error(`${c.method} returned ${typeof result}; callbacks are synchronous`);
}

/** Every string inside an attribute value (strings, arrays of strings, structured log values). */
function stringsIn(value: unknown, out: string[], depth = 0): void {
  if (typeof value === "string") out.push(value);
  else if (depth < 20 && Array.isArray(value)) for (const v of value) stringsIn(v, out, depth + 1);
  else if (
    depth < 20 &&
    value !== null &&
    typeof value === "object" &&
    !ArrayBuffer.isView(value)
  ) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsIn(v, out, depth + 1);
    }
  }
}

function longest(strings: string[]): number {
  return strings.reduce((m, s) => Math.max(m, s.length), 0);
}

function jsonSize(value: unknown): number {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : ArrayBuffer.isView(v) ? `[${v.byteLength} bytes]` : v,
  ).length;
}

function spanView(s: ReadableSpan) {
  return {
    name: s.name,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    status: s.status,
    links: s.links,
  };
}

function logView(r: ReadableLogRecord) {
  return {
    eventName: r.eventName,
    body: r.body,
    attributes: r.attributes,
    severityText: r.severityText,
  };
}

/** After the sequence: nothing open, every started span ended, everything exported bounded. */
async function checkAfter(p: Pipeline): Promise<void> {
  p.handler.endOpenRuns();
  expect(p.handler.openRunCount).toBe(0);
  expect(p.counter.ended).toBe(p.counter.started);

  for (const s of p.spans.getFinishedSpans()) {
    const strings: string[] = [s.name, s.status.message ?? ""];
    stringsIn(s.attributes, strings);
    for (const e of s.events) {
      strings.push(e.name);
      stringsIn(e.attributes, strings);
    }
    expect(longest(strings), `longest string of span ${s.name.slice(0, 80)}`).toBeLessThanOrEqual(
      MAX_CONTENT,
    );
    expect(jsonSize(spanView(s))).toBeLessThanOrEqual(MAX_ITEM_JSON);
    if (s.attributes["error.type"] === "incomplete")
      expect(s.status.code).toBe(SpanStatusCode.ERROR);
  }
  for (const r of p.logs.getFinishedLogRecords()) {
    const strings: string[] = [r.eventName ?? ""];
    stringsIn(r.body, strings);
    stringsIn(r.attributes, strings);
    expect(longest(strings), `longest string of log record ${r.eventName}`).toBeLessThanOrEqual(
      MAX_CONTENT,
    );
    expect(jsonSize(logView(r))).toBeLessThanOrEqual(MAX_ITEM_JSON);
  }
  const { resourceMetrics } = await p.reader.collect();
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      for (const dp of m.dataPoints) {
        const strings: string[] = [];
        stringsIn(dp.attributes, strings);
        expect(
          longest(strings),
          `longest metric attribute of ${m.descriptor.name}`,
        ).toBeLessThanOrEqual(MAX_CONTENT);
      }
    }
  }
}

describe.each([false, true])("bad input, content capture %s", (captureContent) => {
  it("arbitrary callback sequences: never throws, every span ends, nothing unbounded is exported", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 30 }), async (calls) => {
        const p = pipeline(captureContent);
        for (const c of calls) invoke(p.handler, c);
        await checkAfter(p);
        await p.handler.shutdown();
      }),
      { numRuns: Number(process.env.FAULT_FC_RUNS ?? 150) },
    );
  });

  it("a 10 MB string in every position of every callback", async () => {
    const huge = "\ud83d\ude00".repeat(2_500_000) + "\ud800"; // 10 MB of UTF-16, ending in a lone surrogate
    const p = pipeline(captureContent);
    const h = p.handler;
    const md = {
      ls_provider: huge,
      ls_model_name: huge,
      thread_id: huge,
      lc_agent_name: huge,
      langgraph_node: huge,
      ls_integration: "langchain_create_agent",
    };
    const ser = {
      lc: 1,
      type: "constructor",
      id: ["x", huge],
      name: huge,
      kwargs: { base_url: huge },
      description: huge,
    };
    const gen = {
      text: huge,
      message: {
        content: huge,
        id: huge,
        tool_calls: [{ name: huge, args: { q: huge }, id: huge }],
        response_metadata: { model_name: huge, model_provider: huge, finish_reason: huge },
      },
      generationInfo: { finish_reason: huge },
    };
    const params = {
      invocation_params: {
        model: huge,
        stop: [huge, huge],
        tools: [
          {
            type: "function",
            function: { name: huge, description: huge, parameters: { q: huge } },
          },
        ],
        baseURL: huge,
      },
    };
    const err = Object.assign(new Error(huge), { name: huge });
    h.handleChainStart(
      ser,
      { messages: [{ role: "user", content: huge }], huge },
      "agent",
      undefined,
      [huge],
      md,
      huge,
      huge,
    );
    h.handleChainStart(
      ser,
      { input: huge },
      "chain",
      "agent",
      [huge],
      { ...md, ls_integration: huge },
      huge,
      huge,
    );
    h.handleChatModelStart(
      ser,
      [
        [
          { role: "system", content: huge },
          { role: "user", content: huge },
        ],
      ],
      "chat",
      "chain",
      params,
      [huge],
      md,
      huge,
    );
    h.handleLLMNewToken(huge, { prompt: 0, completion: 0 }, "chat", "chain", [huge], {
      chunk: { text: huge },
    });
    h.handleLLMEnd(
      { generations: [[gen, gen]], llmOutput: { model_name: huge } },
      "chat",
      "chain",
      [huge],
      { cached: false },
    );
    h.handleLLMStart(ser, [huge, huge], "llm", "chain", params, [huge], md, huge);
    h.handleLLMError(err, "llm");
    h.handleToolStart(ser, huge, "tool", "chain", [huge], md, huge, huge);
    h.handleCustomEvent(huge, { data: huge }, "tool");
    h.handleToolEnd({ content: huge, tool_call_id: huge }, "tool");
    h.handleToolStart(ser, huge, "tool2", "chain", [huge], md, huge, huge);
    h.handleToolError(err, "tool2");
    h.handleRetrieverStart(ser, huge, "ret", "chain", [huge], md, huge);
    h.handleRetrieverEnd([{ pageContent: huge, metadata: { source: huge } }], "ret");
    h.handleRetrieverStart(ser, huge, "ret2", "chain", [huge], md, huge);
    h.handleRetrieverError(err, "ret2");
    h.handleChainError(err, "chain");
    h.handleChainEnd({ messages: [{ role: "assistant", content: huge }], output: huge }, "agent");
    expect(p.counter.started).toBe(8);
    await checkAfter(p);
    expect(p.spans.getFinishedSpans()).toHaveLength(8);
    await h.shutdown();
  });
});

describe("a broken OpenTelemetry pipeline behind the handler", () => {
  it("span/log processors and a metric exporter that throw: the app's invokes still return, nothing stays open", async () => {
    const { StringOutputParser } = await import("@langchain/core/output_parsers");
    const { ChatPromptTemplate } = await import("@langchain/core/prompts");
    const { FakeListChatModel } = await import("@langchain/core/utils/testing");
    const { PeriodicExportingMetricReader } = await import("@opentelemetry/sdk-metrics");
    const boom = () => {
      throw new Error("pipeline failure");
    };
    const throwingSpans: SpanProcessor = {
      onStart: boom,
      onEnd: boom,
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [throwingSpans] });
    const loggerProvider = new LoggerProvider({
      processors: [
        { onEmit: boom, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() },
      ],
    });
    const reader = new PeriodicExportingMetricReader({
      exporter: {
        export: boom,
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      },
      exportIntervalMillis: 60_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      loggerProvider,
      meterProvider,
      captureContent: true,
    });
    // LangChain would catch a throwing handler itself and print "Error in handler ...": the
    // handler must not even get there.
    const printed: string[] = [];
    const warnSpy = vi
      .spyOn(console, "warn")
      .mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
    const errorSpy = vi
      .spyOn(console, "error")
      .mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
    const chain = ChatPromptTemplate.fromMessages([["human", "{question}"]])
      .pipe(new FakeListChatModel({ responses: ["pong"] }))
      .pipe(new StringOutputParser());
    for (let i = 0; i < 20; i++)
      expect(await chain.invoke({ question: "ping" }, { callbacks: [handler] })).toBe("pong");
    const streamed: string[] = [];
    for await (const chunk of await chain.stream({ question: "ping" }, { callbacks: [handler] }))
      streamed.push(chunk);
    expect(streamed.join("")).toBe("pong");
    warnSpy.mockRestore();
    errorSpy.mockRestore();
    expect(printed.filter((line) => line.includes("Error in handler"))).toEqual([]);
    expect(handler.openRunCount).toBe(0);
    await expect(handler.forceFlush()).resolves.toBeUndefined();
    await handler.shutdown();
    await meterProvider.shutdown().catch(() => {});
  });
});
