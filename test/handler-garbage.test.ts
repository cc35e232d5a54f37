/**
 * The handler fed garbage never throws and never leaks a span: null, undefined, circular
 * objects, BigInt, huge strings, proxies that throw on every access, unknown run ids, end before
 * start, and wrong types for every argument of every callback method; with content capture off
 * and on, metrics and logs on. Every span it opened is ended (by its end callback or by
 * `endOpenRuns`).
 */
import { describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import type { Context } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  InMemoryMetricExporter,
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  OpenTelemetryCallbackHandler,
  type OpenTelemetryCallbackHandlerOptions,
} from "langchain-opentelemetry";

/** Counts started and ended spans, so a test can tell that every opened span was ended. */
class CountingProcessor implements SpanProcessor {
  started = 0;
  ended = 0;
  onStart(_span: Span, _ctx: Context): void {
    this.started++;
  }
  onEnd(_span: ReadableSpan): void {
    this.ended++;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function instrumented(options: OpenTelemetryCallbackHandlerOptions = {}) {
  const counter = new CountingProcessor();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [counter, new SimpleSpanProcessor(exporter)],
  });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
  });
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider,
    meterProvider,
    loggerProvider,
    ...options,
  });
  return { handler, counter, exporter, logExporter, meterProvider };
}

function circular(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: "a", id: ["x", "Circ"] };
  a.self = a;
  a.list = [a, { back: a }];
  a.kwargs = a;
  a.generations = [[a]];
  a.message = a;
  return a;
}

/** A proxy that throws on every kind of access. */
function hostile(): object {
  const boom = () => {
    throw new Error("hostile access");
  };
  return new Proxy(
    {},
    {
      get: boom,
      has: boom,
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
      getPrototypeOf: boom,
      set: boom,
      apply: boom,
    },
  );
}

function throwingGetters(): object {
  const o: Record<string, unknown> = {};
  for (const key of [
    "id",
    "name",
    "kwargs",
    "generations",
    "llmOutput",
    "messages",
    "content",
    "message",
    "tool_call_id",
    "metadata",
    "pageContent",
    "is_bubble_up",
    "chunk",
    "text",
    "invocation_params",
    "ls_provider",
    "thread_id",
    "stack",
    "constructor",
  ]) {
    Object.defineProperty(o, key, {
      enumerable: true,
      get: () => {
        throw new Error(`getter ${key}`);
      },
    });
  }
  return o;
}

const HUGE = "h".repeat(2_000_000);

/** The garbage every argument position gets, in turn. */
function garbageValues(): unknown[] {
  const sparse: unknown[] = [];
  sparse[5] = "x";
  return [
    null,
    undefined,
    circular(),
    10n ** 30n,
    HUGE,
    Symbol("s"),
    () => "fn",
    NaN,
    Infinity,
    -0,
    0,
    "",
    true,
    sparse,
    [null, undefined, 1n],
    Object.create(null),
    new Date(NaN),
    new Map([[1, 2]]),
    new Set([1]),
    new Uint8Array(8),
    new Error("an error"),
    hostile(),
    throwingGetters(),
    { lc: 1, type: "constructor", id: 42, kwargs: { apiKey: "sk-secret" } },
    { generations: "not an array", llmOutput: { tokenUsage: { promptTokens: "many" } } },
    {
      generations: [
        [
          {
            message: {
              usage_metadata: {
                input_tokens: -1,
                output_tokens: Infinity,
                input_token_details: null,
              },
            },
          },
        ],
      ],
    },
    {
      invocation_params: {
        model: 5,
        tools: [null, 1, { function: null }, { function: { name: 1n } }],
        stop: [1, 2],
        temperature: "hot",
      },
    },
    {
      messages: [
        null,
        1,
        "str",
        { content: 1n },
        {
          _getType: () => {
            throw new Error("x");
          },
        },
      ],
    },
    [[null, 1, { content: [null, { type: "image_url" }, { type: "file" }, { type: 5 }] }]],
  ];
}

/** Stands for `garbageValues()[index]` inside fast-check. */
class Garbage {
  constructor(readonly index: number) {}
}

type Method = (this: OpenTelemetryCallbackHandler, ...args: unknown[]) => unknown;

const METHODS = [
  "handleLLMStart",
  "handleChatModelStart",
  "handleLLMNewToken",
  "handleLLMEnd",
  "handleLLMError",
  "handleChainStart",
  "handleChainEnd",
  "handleChainError",
  "handleToolStart",
  "handleToolEnd",
  "handleToolError",
  "handleRetrieverStart",
  "handleRetrieverEnd",
  "handleRetrieverError",
  "handleCustomEvent",
  "handleAgentAction",
  "handleAgentEnd",
  "handleText",
] as const;
const ARITY = 9;

function call(handler: OpenTelemetryCallbackHandler, method: string, args: unknown[]): void {
  const fn = (handler as unknown as Record<string, Method | undefined>)[method];
  if (typeof fn !== "function") return;
  const result = fn.apply(handler, args);
  // LangChain awaits handler methods: a rejected promise would surface too.
  if (result && typeof (result as Promise<unknown>).then === "function")
    throw new Error(`${method} returned a promise`);
}

describe("garbage in every argument of every callback", () => {
  for (const captureContent of [false, true]) {
    it(`never throws, and every span it opened is ended (captureContent: ${captureContent})`, () => {
      const { handler, counter } = instrumented({ captureContent, showHiddenRuns: captureContent });
      const values = garbageValues();
      for (const method of METHODS) {
        for (let position = 0; position < ARITY; position++) {
          for (const value of values) {
            // A plausible call with one argument replaced by garbage.
            const args: unknown[] = [
              { id: ["x", "Thing"] },
              { input: "i" },
              `run-${method}-${position}`,
              undefined,
              [],
              {},
              "name",
              "runname",
              "call-1",
            ];
            args[position] = value;
            expect(() => call(handler, method, args), `${method} arg ${position}`).not.toThrow();
          }
          // The wrong type in every position at once.
          for (const value of values)
            expect(
              () => call(handler, method, new Array(ARITY).fill(value)),
              `${method} all ${String(typeof value)}`,
            ).not.toThrow();
          expect(() => call(handler, method, []), `${method} no args`).not.toThrow();
        }
      }
      expect(counter.started).toBeGreaterThan(100);
      handler.endOpenRuns("test");
      expect(handler.openRunCount).toBe(0);
      expect(counter.ended).toBe(counter.started);
    });
  }

  it("end, error and token callbacks for run ids it never saw (end before start) do nothing", () => {
    const { handler, counter } = instrumented();
    for (const id of ["never-started", "", undefined, null, 42, {}]) {
      handler.handleChainEnd({}, id as string);
      handler.handleChainError(new Error("x"), id as string);
      handler.handleLLMEnd({ generations: [] }, id as string);
      handler.handleLLMError(new Error("x"), id as string);
      handler.handleLLMNewToken("t", { prompt: 0, completion: 0 }, id as string);
      handler.handleToolEnd("out", id as string);
      handler.handleToolError(new Error("x"), id as string);
      handler.handleRetrieverEnd([], id as string);
      handler.handleRetrieverError(new Error("x"), id as string);
      handler.handleCustomEvent("evt", {}, id as string);
    }
    expect(counter.started).toBe(0);
    expect(handler.openRunCount).toBe(0);
    // Started afterwards, the run is recorded normally.
    handler.handleChainStart(
      { id: ["x", "Late"] },
      {},
      "never-started",
      undefined,
      [],
      {},
      undefined,
      "Late",
    );
    handler.handleChainEnd({}, "never-started");
    expect(counter.ended).toBe(1);
  });

  it("a child whose parent run id was never seen becomes a root; a run that names itself as parent is fine", () => {
    const { handler, exporter } = instrumented();
    handler.handleChainStart(
      { id: ["x", "Orphan"] },
      {},
      "child",
      "unknown-parent",
      [],
      {},
      undefined,
      "Orphan",
    );
    handler.handleChainStart(
      { id: ["x", "Selfish"] },
      {},
      "self",
      "self",
      [],
      {},
      undefined,
      "Selfish",
    );
    handler.handleChainEnd({}, "child");
    handler.handleChainEnd({}, "self");
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.parentSpanContext?.spanId])).toEqual([
      ["Orphan", undefined],
      ["Selfish", undefined],
    ]);
  });

  it("random call sequences (fast-check) never throw and leave no span unended", () => {
    const ids = ["a", "b", "c", "d"];
    // fast-check inspects generated values (a hostile proxy would throw in there): generate an
    // index into the garbage list and swap the value in at call time.
    const pool = garbageValues();
    const arbValue = fc.oneof(
      fc.integer({ min: 0, max: pool.length - 1 }).map((i) => new Garbage(i)),
      fc.constantFrom(...ids),
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withNullPrototype: true,
        withSparseArray: true,
      }),
    );
    const arbCall = fc.record({
      method: fc.constantFrom(...METHODS),
      args: fc.array(arbValue, { maxLength: ARITY }),
      runId: fc.constantFrom(...ids),
      parent: fc.option(fc.constantFrom(...ids)),
    });
    fc.assert(
      fc.property(fc.array(arbCall, { maxLength: 40 }), fc.boolean(), (calls, captureContent) => {
        const { handler, counter } = instrumented({ captureContent, maxOpenRuns: 3 });
        for (const c of calls) {
          const args = c.args.map((a) => (a instanceof Garbage ? pool[a.index] : a));
          // Keep run ids plausible often, so starts and ends meet.
          if (args.length > 2) args[2] = c.runId;
          if (args.length > 3) args[3] = c.parent ?? undefined;
          call(handler, c.method, args);
        }
        handler.endOpenRuns();
        return handler.openRunCount === 0 && counter.ended === counter.started;
      }),
      { numRuns: 300 },
    );
  });

  describe("nonsense numeric options fall back to sane values", () => {
    // A finite number is floored, then clamped (maxOpenRuns >= 1, maxContentLength >= 64,
    // runTimeoutMs >= 0 where 0 disables the timer); anything else means the default.
    const NONSENSE = [NaN, -5, 0, Infinity, "7" as unknown as number, 2.5];

    it.each(NONSENSE)("maxOpenRuns %s: the open-run cap still holds", (maxOpenRuns) => {
      const { handler } = instrumented({ maxOpenRuns, runTimeoutMs: 0 });
      for (let i = 0; i < 30; i++)
        handler.handleChainStart(
          { id: ["x", "R"] },
          {},
          `r${i}`,
          undefined,
          [],
          {},
          undefined,
          "R",
        );
      // 2.5 -> 2; -5 and 0 -> 1; NaN, Infinity, "7" -> the default 10000 (all 30 stay open).
      expect(handler.openRunCount).toBe({ 2.5: 2, [-5]: 1, 0: 1 }[String(maxOpenRuns)] ?? 30);
      handler.endOpenRuns();
    });

    it.each(NONSENSE)(
      "maxContentLength %s: captured content is cut at the fallback length",
      (maxContentLength) => {
        const { handler, exporter } = instrumented({
          maxContentLength,
          captureContent: true,
          runTimeoutMs: 0,
        });
        handler.handleToolStart({ id: ["x", "T"] }, HUGE, "t", undefined, [], {}, "t");
        handler.handleToolEnd("ok", "t");
        const args = exporter.getFinishedSpans()[0].attributes[
          "gen_ai.tool.call.arguments"
        ] as string;
        // 2.5, -5 and 0 -> the minimum 64; NaN, Infinity, "7" -> the default 16384.
        const expected = { 2.5: 64, [-5]: 64, 0: 64 }[String(maxContentLength)] ?? 16_384;
        expect(args).toHaveLength(expected);
        expect(args.endsWith("…[truncated]")).toBe(true);
      },
    );

    it.each(NONSENSE)(
      "runTimeoutMs %s: an abandoned run ends after the fallback timeout (or never, when it means 0)",
      (runTimeoutMs) => {
        vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
        try {
          const { handler, exporter } = instrumented({ runTimeoutMs });
          handler.handleChainStart({ id: ["x", "R"] }, {}, "r", undefined, [], {}, undefined, "R");
          // 2.5 -> 2 ms; -5 and 0 -> 0 (no timer); NaN, Infinity, "7" -> the default 10 minutes.
          const timeout = { 2.5: 2, [-5]: 0, 0: 0 }[String(runTimeoutMs)] ?? 600_000;
          if (timeout === 0) {
            vi.advanceTimersByTime(3_600_000);
            expect(handler.openRunCount).toBe(1);
            handler.endOpenRuns();
            return;
          }
          // The sweep runs every max(50 ms, min(timeout / 2, 30 s)).
          const sweep = Math.max(50, Math.min(timeout / 2, 30_000));
          vi.advanceTimersByTime(timeout - 1);
          expect(handler.openRunCount).toBe(1);
          vi.advanceTimersByTime(1 + sweep);
          expect(handler.openRunCount).toBe(0);
          expect(
            exporter.getFinishedSpans().map((sp) => sp.attributes["langchain.run.incomplete"]),
          ).toEqual(["timeout"]);
        } finally {
          vi.useRealTimers();
        }
      },
    );
  });

  it("captured content of a huge string stays within maxContentLength", () => {
    const { handler, exporter } = instrumented({ captureContent: true, maxContentLength: 1000 });
    handler.handleChainStart(
      { id: ["x", "Big"] },
      { q: HUGE },
      "big",
      undefined,
      [],
      {},
      undefined,
      "Big",
    );
    handler.handleChainEnd({ a: HUGE, b: [HUGE, HUGE], c: circular() }, "big");
    const span = exporter.getFinishedSpans()[0];
    for (const key of ["langchain.chain.inputs", "langchain.chain.outputs"]) {
      const v = span.attributes[key] as string;
      expect(v.length).toBeLessThanOrEqual(1000);
      expect(() => JSON.parse(v)).not.toThrow();
    }
  });
});
