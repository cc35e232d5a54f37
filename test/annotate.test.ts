import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { context, diag, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import * as annotate from "../src/annotate/annotate.js";
import {
  contextForLangChainRun,
  traceAgent,
  traceTask,
  traceTool,
  traceWorkflow,
} from "../src/annotate/annotate.js";
import { OpenTelemetryCallbackHandler } from "../src/handler/handler.js";
import { LANGCHAIN_RUN_KEY } from "../src/util/context-keys.js";
import { only, parentId, spanId } from "./helpers/spans.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracerProvider = provider;
const ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterEach(() => {
  exporter.reset();
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await provider.shutdown();
  context.disable();
});

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}
function byName(name: string): ReadableSpan {
  return only(spans(), name);
}

describe("span names and attributes", () => {
  it("a workflow is an INTERNAL `invoke_workflow {name}` span with the GenAI workflow attributes", () => {
    const run = traceWorkflow("root_cause_analysis", (x: number) => x * 2, { tracerProvider });
    expect(run(21)).toBe(42);
    const span = byName("invoke_workflow root_cause_analysis");
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "invoke_workflow",
      "gen_ai.workflow.name": "root_cause_analysis",
      "langchain_otel.span.kind": "workflow",
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.instrumentationScope.name).toBe("langchain-opentelemetry");
  });

  it("an agent is `invoke_agent {name}` with gen_ai.agent.name", () => {
    traceAgent("planner", () => "plan", { tracerProvider })();
    expect(byName("invoke_agent planner").attributes).toEqual({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "planner",
      "langchain_otel.span.kind": "agent",
    });
  });

  it("a tool is `execute_tool {name}` with gen_ai.tool.name and type function", () => {
    traceTool("collect_logs", () => [], { tracerProvider })();
    expect(byName("execute_tool collect_logs").attributes).toEqual({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "collect_logs",
      "gen_ai.tool.type": "function",
      "langchain_otel.span.kind": "tool",
    });
  });

  it("a task is `task {name}` with langchain_otel.span.kind=task and langchain_otel.task.name", () => {
    traceTask("summarise", () => "", { tracerProvider })();
    expect(byName("task summarise").attributes).toEqual({
      "langchain_otel.span.kind": "task",
      "langchain_otel.task.name": "summarise",
    });
  });

  it("extra attributes from the options are added, the kind's own attributes win", () => {
    traceTask("t", () => 1, {
      tracerProvider,
      attributes: { team: "sre", "langchain_otel.span.kind": "x" },
    })();
    expect(byName("task t").attributes).toEqual({
      team: "sre",
      "langchain_otel.span.kind": "task",
      "langchain_otel.task.name": "t",
    });
  });

  it("without a tracerProvider option the global provider is used, even one registered after wrapping", () => {
    const fn = traceTask("late_global", () => 1);
    const globalExporter = new InMemorySpanExporter();
    const globalProvider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(globalExporter)],
    });
    trace.setGlobalTracerProvider(globalProvider);
    try {
      fn();
      expect(globalExporter.getFinishedSpans().map((s) => s.name)).toEqual(["task late_global"]);
    } finally {
      trace.disable();
    }
  });
});

describe("calls are preserved", () => {
  it("keeps `this`, the arguments, the return value, the function's name and length", () => {
    const counter = {
      base: 10,
      add: traceTask(
        "add",
        function add(this: { base: number }, a: number, b: number) {
          return this.base + a + b;
        },
        { tracerProvider },
      ),
    };
    expect(counter.add(1, 2)).toBe(13);
    expect(counter.add.name).toBe("add");
    expect(counter.add.length).toBe(2);
  });

  it("returns the very promise an async function returned, and ends the span when it resolves", async () => {
    let release!: (v: string) => void;
    const pending = new Promise<string>((r) => (release = r));
    const fn = traceTask("wait", () => pending, { tracerProvider });
    const returned = fn();
    expect(returned).toBe(pending);
    expect(spans()).toHaveLength(0);
    release("done");
    await expect(returned).resolves.toBe("done");
    expect(byName("task wait").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("the span is the active span inside the function, across awaits", async () => {
    let seenBefore: string | undefined;
    let seenAfter: string | undefined;
    const fn = traceAgent(
      "a",
      async () => {
        seenBefore = trace.getActiveSpan()?.spanContext().spanId;
        await new Promise((r) => setTimeout(r, 1));
        seenAfter = trace.getActiveSpan()?.spanContext().spanId;
      },
      { tracerProvider },
    );
    await fn();
    const id = spanId(byName("invoke_agent a"));
    expect(seenBefore).toBe(id);
    expect(seenAfter).toBe(id);
  });

  it("nests wrappers: workflow > task > tool, each a child of the one it was called in", async () => {
    const fetchLogs = traceTool("fetch_logs", async () => ["l1"], { tracerProvider });
    const collect = traceTask("collect", async () => fetchLogs(), { tracerProvider });
    const flow = traceWorkflow("rca", async () => collect(), { tracerProvider });
    await flow();
    const wf = byName("invoke_workflow rca");
    const task = byName("task collect");
    const toolSpan = byName("execute_tool fetch_logs");
    expect(parentId(wf)).toBeUndefined();
    expect(parentId(task)).toBe(spanId(wf));
    expect(parentId(toolSpan)).toBe(spanId(task));
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it("with no SDK registered (no-op tracer) the function still runs and returns its value", async () => {
    trace.disable();
    const fn = traceWorkflow("noop", async (x: number) => x + 1, { captureContent: true });
    await expect(fn(1)).resolves.toBe(2);
    expect(spans()).toHaveLength(0);
  });

  it("a non-native thenable is returned untouched and the span ends when the function returns", () => {
    const thenable = { then: vi.fn() };
    const out = traceTask("thenable", () => thenable, { tracerProvider })();
    expect(out).toBe(thenable);
    expect(thenable.then).not.toHaveBeenCalled();
    expect(spans().map((s) => s.name)).toEqual(["task thenable"]);
  });
});

describe("errors", () => {
  class QuotaError extends Error {}

  it("a synchronous throw: the same error is rethrown, status ERROR, error.type = constructor name, exception event", () => {
    const boom = new QuotaError("quota exceeded");
    const fn = traceTool(
      "t",
      () => {
        throw boom;
      },
      { tracerProvider },
    );
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(boom);
    const span = byName("execute_tool t");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "quota exceeded" });
    expect(span.attributes["error.type"]).toBe("QuotaError");
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
    expect(span.events[0].attributes?.["exception.message"]).toBe("quota exceeded");
    expect(span.events[0].attributes?.["exception.type"]).toBe("QuotaError");
  });

  it("a rejected promise: the caller gets the same rejection, the span records it", async () => {
    const boom = new TypeError("bad input");
    const fn = traceAgent("a", async () => Promise.reject(boom), { tracerProvider });
    await expect(fn()).rejects.toBe(boom);
    const span = byName("invoke_agent a");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("TypeError");
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
  });

  it("a plain Error with a name of its own (AbortError) gets that name as error.type", async () => {
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    await expect(
      traceTool("t", async () => Promise.reject(abort), { tracerProvider })(),
    ).rejects.toBe(abort);
    expect(byName("execute_tool t").attributes["error.type"]).toBe("AbortError");
  });

  it("a thrown non-Error value gets error.type _OTHER and its string form as message", () => {
    const fn = traceTask(
      "t",
      () => {
        throw "plain string";
      },
      { tracerProvider },
    );
    expect(() => fn()).toThrow("plain string");
    const span = byName("task t");
    expect(span.attributes["error.type"]).toBe("_OTHER");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "plain string" });
  });
});

describe("generators and async iterators", () => {
  it("a generator's span stays open while it is iterated, covers its body, and ends when it finishes", () => {
    const step = traceTask("step", (n: number) => n, { tracerProvider });
    const gen = traceWorkflow(
      "gen",
      function* (n: number) {
        for (let i = 0; i < n; i++) yield step(i);
        return "end";
      },
      { tracerProvider },
    );
    const it = gen(2);
    expect(Object.prototype.toString.call(it)).toBe("[object Generator]");
    expect(it.next()).toEqual({ value: 0, done: false });
    expect(spans().map((s) => s.name)).toEqual(["task step"]);
    expect([...it]).toEqual([1]);
    const wf = byName("invoke_workflow gen");
    for (const s of spans().filter((x) => x.name === "task step"))
      expect(parentId(s)).toBe(spanId(wf));
    expect(wf.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("passes values sent with next(v) into the generator", () => {
    const echo = traceTask(
      "echo",
      function* () {
        const got: unknown = yield "ready";
        return got;
      },
      { tracerProvider },
    );
    const it = echo();
    expect(it.next()).toEqual({ value: "ready", done: false });
    expect(it.next("sent")).toEqual({ value: "sent", done: true });
    expect(byName("task echo").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a generator left early with break ends its span (and runs its finally)", () => {
    let cleaned = false;
    const gen = traceTask(
      "infinite",
      function* () {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          cleaned = true;
        }
      },
      { tracerProvider },
    );
    for (const v of gen()) if (v === 2) break;
    expect(cleaned).toBe(true);
    expect(byName("task infinite").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a generator that throws ends its span with the error, which reaches the consumer", () => {
    const gen = traceTask(
      "failing",
      function* () {
        yield 1;
        throw new RangeError("out of range");
      },
      { tracerProvider },
    );
    const it = gen();
    it.next();
    expect(spans()).toHaveLength(0);
    expect(() => it.next()).toThrow(RangeError);
    const span = byName("task failing");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("RangeError");
  });

  it("an async generator keeps its span active in its body and ends it when consumed", async () => {
    const step = traceTool("lookup", async (n: number) => n * 10, { tracerProvider });
    const stream = traceAgent(
      "streamer",
      async function* (n: number) {
        for (let i = 0; i < n; i++) {
          await new Promise((r) => setTimeout(r, 1));
          yield await step(i);
        }
      },
      { tracerProvider },
    );
    const got: number[] = [];
    for await (const v of stream(3)) got.push(v);
    expect(got).toEqual([0, 10, 20]);
    const agentSpan = byName("invoke_agent streamer");
    const children = spans().filter((s) => s.name === "execute_tool lookup");
    expect(children).toHaveLength(3);
    for (const c of children) expect(parentId(c)).toBe(spanId(agentSpan));
    // Finished spans are exported in end order: the agent span ends last, after the stream is consumed.
    expect(
      spans()
        .map((s) => s.name)
        .at(-1),
    ).toBe("invoke_agent streamer");
  });

  it("an async generator returned early (break in for await) ends its span", async () => {
    const stream = traceAgent(
      "endless",
      async function* () {
        for (let i = 0; ; i++) yield i;
      },
      { tracerProvider },
    );
    for await (const v of stream()) if (v === 1) break;
    expect(byName("invoke_agent endless").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("an async generator that rejects ends its span with the error", async () => {
    const stream = traceAgent(
      "bad_stream",
      async function* () {
        yield 1;
        throw new SyntaxError("bad chunk");
      },
      { tracerProvider },
    );
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of stream()) got.push(v);
      })(),
    ).rejects.toThrow("bad chunk");
    expect(got).toEqual([1]);
    const span = byName("invoke_agent bad_stream");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("SyntaxError");
  });
});

describe("content capture", () => {
  const input = { query: "why is checkout slow?" };
  const output = { answer: "db" };

  it("is off by default: no input or output attributes", async () => {
    vi.stubEnv(ENV, "");
    await traceWorkflow("w", async (_x: unknown) => output, { tracerProvider })(input);
    const attrs = byName("invoke_workflow w").attributes;
    expect(attrs["langchain_otel.input"]).toBeUndefined();
    expect(attrs["langchain_otel.output"]).toBeUndefined();
  });

  it("the option turns it on: one argument is recorded as its JSON, the resolved value as output", async () => {
    vi.stubEnv(ENV, "");
    await traceWorkflow("w", async (_x: unknown) => output, {
      tracerProvider,
      captureContent: true,
    })(input);
    const attrs = byName("invoke_workflow w").attributes;
    expect(attrs["langchain_otel.input"]).toBe(JSON.stringify(input));
    expect(attrs["langchain_otel.output"]).toBe(JSON.stringify(output));
  });

  it("several arguments are recorded as a JSON array; tools use gen_ai.tool.call.arguments/result", () => {
    traceTool("add", (a: number, b: number) => a + b, { tracerProvider, captureContent: true })(
      2,
      3,
    );
    const attrs = byName("execute_tool add").attributes;
    expect(attrs["gen_ai.tool.call.arguments"]).toBe("[2,3]");
    expect(attrs["gen_ai.tool.call.result"]).toBe("5");
    expect(attrs["langchain_otel.input"]).toBeUndefined();
  });

  it(`${ENV}=true turns it on at call time`, () => {
    const fn = traceTask("t", (x: string) => x + "!", { tracerProvider });
    vi.stubEnv(ENV, "true");
    fn("hi");
    expect(byName("task t").attributes["langchain_otel.output"]).toBe('"hi!"');
  });

  it("captureContent: false wins over the environment variable", () => {
    vi.stubEnv(ENV, "true");
    traceTask("t", (x: string) => x, { tracerProvider, captureContent: false })("secret");
    expect(byName("task t").attributes["langchain_otel.input"]).toBeUndefined();
  });

  it("long content is cut to maxContentLength and stays valid JSON", () => {
    traceTask("t", (_x: unknown) => undefined, {
      tracerProvider,
      captureContent: true,
      maxContentLength: 100,
    })({
      text: "x".repeat(10_000),
    });
    const recorded = byName("task t").attributes["langchain_otel.input"] as string;
    expect(recorded.length).toBeLessThanOrEqual(100);
    expect(() => JSON.parse(recorded)).not.toThrow();
  });

  it("circular arguments do not break the call", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(traceTask("t", (x: unknown) => x, { tracerProvider, captureContent: true })(a)).toBe(a);
    expect(JSON.parse(byName("task t").attributes["langchain_otel.input"] as string)).toEqual({
      name: "a",
      self: "[Circular]",
    });
  });
});

describe("decorator misuse", () => {
  it("on something other than a method it warns and leaves it unchanged, never throws", () => {
    const warn = vi.spyOn(diag, "warn");
    try {
      const decorate = traceTask("x") as unknown as (
        value: unknown,
        ctx: { kind: string; name: string },
      ) => unknown;
      expect(decorate(undefined, { kind: "field", name: "f" })).toBeUndefined();
      expect(decorate(() => 1, { kind: "getter", name: "g" })).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("decorators, compiled by TypeScript's own emit (tsc API)", () => {
  // Vitest 4 transforms test files with oxc (Vite 8), which leaves standard decorators in place and
  // Node 20 cannot parse them; so the decorated class is compiled here by `typescript` itself, the
  // way a project's build compiles it, type-checked, emitted to a temporary directory, and run.
  type Service = {
    run(x: number): Promise<number>;
    triple(x: number): number;
    plan(): string;
    tail(n: number): Generator<number>;
  };

  async function compileAndLoad(
    experimentalDecorators: boolean,
  ): Promise<{ build: (api: typeof annotate, tp: typeof tracerProvider) => Service }> {
    const dir = mkdtempSync(join(tmpdir(), "annotate-tsc-"));
    const annotatePath = fileURLToPath(new URL("../src/annotate/annotate.js", import.meta.url));
    const source = `
      type Api = typeof import(${JSON.stringify(annotatePath)});
      type Provider = NonNullable<import(${JSON.stringify(annotatePath)}).TraceOptions["tracerProvider"]>;
      export function build(api: Api, tracerProvider: Provider) {
        class Service {
          factor = 3;
          @api.traceWorkflow("tsc_workflow", { tracerProvider })
          async run(x: number): Promise<number> {
            return this.triple(x);
          }
          @api.traceTask(undefined, { tracerProvider })
          triple(x: number): number {
            return x * this.factor;
          }
          @api.traceAgent("planner", { tracerProvider })
          plan(): string {
            throw new Error("no plan");
          }
          @api.traceTool("tail", { tracerProvider })
          *tail(n: number): Generator<number> {
            for (let i = 0; i < n; i++) yield i;
          }
        }
        return new Service();
      }
    `;
    const file = join(dir, "service.ts");
    writeFileSync(file, source);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [fileURLToPath(new URL("../node_modules/@types", import.meta.url))],
      experimentalDecorators,
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file || d.file === undefined)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
    let output = "";
    const emitted = program.emit(program.getSourceFile(file), (name, text) => {
      if (name.endsWith(".js")) output = text;
    });
    expect(emitted.emitSkipped).toBe(false);
    // TypeScript lowers the decorators itself (ES2022 has none): no decorator syntax is left.
    expect(output).not.toMatch(/^\s*@/m);
    const js = join(dir, "service.mjs");
    writeFileSync(js, output);
    const loaded = import(/* @vite-ignore */ pathToFileURL(js).href);
    return loaded.finally(() => rmSync(dir, { recursive: true, force: true }));
  }

  for (const experimentalDecorators of [false, true]) {
    describe(`experimentalDecorators: ${experimentalDecorators}`, () => {
      let service: Service;
      beforeAll(async () => {
        service = (await compileAndLoad(experimentalDecorators)).build(annotate, tracerProvider);
      });

      it("decorated methods keep `this`, nest, and default the name to the method name", async () => {
        expect(await service.run(2)).toBe(6);
        const wf = byName("invoke_workflow tsc_workflow");
        const task = byName("task triple");
        expect(parentId(task)).toBe(spanId(wf));
        expect(task.attributes["langchain_otel.task.name"]).toBe("triple");
      });

      it("a decorated method that throws records the error and rethrows it", () => {
        expect(() => service.plan()).toThrow("no plan");
        const span = byName("invoke_agent planner");
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.attributes["error.type"]).toBe("Error");
      });

      it("a decorated generator method ends its span when iterated to the end", () => {
        const it = service.tail(3);
        expect(it.next()).toEqual({ value: 0, done: false });
        expect(spans()).toHaveLength(0);
        expect([...it]).toEqual([1, 2]);
        expect(byName("execute_tool tail").attributes["gen_ai.tool.name"]).toBe("tail");
      });
    });
  }
});

/**
 * A minimal handler with the hook the wrappers use (`spanForRun`): one span per chain/tool run,
 * children of their parent run's span, roots children of the active context. It stands for
 * `OpenTelemetryCallbackHandler` so that this file tests the wrappers' side of the contract.
 */
class SpanPerRunHandler extends BaseCallbackHandler {
  name = "span_per_run";
  override awaitHandlers = true;
  private readonly spans = new Map<string, Span>();
  private readonly tracer = tracerProvider.getTracer("test-handler");

  spanForRun(runId: string): Span | undefined {
    return this.spans.get(runId);
  }
  private start(name: string, runId: string, parentRunId: string | undefined): void {
    const parent = parentRunId ? this.spans.get(parentRunId) : undefined;
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    this.spans.set(runId, this.tracer.startSpan(name, {}, ctx));
  }
  private end(runId: string): void {
    this.spans.get(runId)?.end();
    this.spans.delete(runId);
  }
  override handleChainStart(
    _c: unknown,
    _i: unknown,
    runId: string,
    parentRunId?: string,
    ...rest: unknown[]
  ): void {
    this.start(`chain ${String(rest[3])}`, runId, parentRunId);
  }
  override handleChainEnd(_o: unknown, runId: string): void {
    this.end(runId);
  }
  override handleChainError(_e: unknown, runId: string): void {
    this.end(runId);
  }
  override handleToolStart(
    _t: unknown,
    _i: string,
    runId: string,
    parentRunId?: string,
    ...rest: unknown[]
  ): void {
    this.start(`tool ${String(rest[2])}`, runId, parentRunId);
  }
  override handleToolEnd(_o: unknown, runId: string): void {
    this.end(runId);
  }
  override handleToolError(_e: unknown, runId: string): void {
    this.end(runId);
  }
}

describe("nesting with LangChain runs (handler exposing spanForRun)", () => {
  function buildApp(handler: BaseCallbackHandler) {
    const enrich = traceTask("enrich", async (q: string) => `${q}+enriched`, { tracerProvider });
    const deepTask = traceTask("deep", async (q: string) => enrich(q), { tracerProvider });
    const search = tool(async ({ q }: { q: string }) => deepTask(q), {
      name: "search",
      description: "search",
      schema: z.object({ q: z.string() }),
    });
    const chain = RunnableLambda.from(async (q: string) => search.invoke({ q })).withConfig({
      runName: "research",
    });
    const workflow = traceWorkflow(
      "support",
      async (q: string) => chain.invoke(q, { callbacks: [handler] }),
      { tracerProvider },
    );
    return workflow;
  }

  it("wrapper > LangChain chain > tool > wrapper > wrapper: every span is a child of the one it ran in", async () => {
    const out = await buildApp(new SpanPerRunHandler())("q");
    expect(out).toBe("q+enriched");
    const wf = byName("invoke_workflow support");
    const chainSpan = byName("chain research");
    const toolSpan = byName("tool search");
    const deep = byName("task deep");
    const enrich = byName("task enrich");
    expect(parentId(wf)).toBeUndefined();
    expect(parentId(chainSpan)).toBe(spanId(wf));
    expect(parentId(toolSpan)).toBe(spanId(chainSpan));
    expect(parentId(deep)).toBe(spanId(toolSpan));
    // Still inside the same tool run: nests under the active wrapper span, not back under the tool.
    expect(parentId(enrich)).toBe(spanId(deep));
  });

  it("a wrapper called in a RunnableLambda nests under the lambda's run span", async () => {
    const inner = traceTool("calc", (x: number) => x + 1, { tracerProvider });
    const lambda = RunnableLambda.from((x: number) => inner(x)).withConfig({
      runName: "calc_lambda",
    });
    expect(await lambda.invoke(1, { callbacks: [new SpanPerRunHandler()] })).toBe(2);
    expect(parentId(byName("execute_tool calc"))).toBe(spanId(byName("chain calc_lambda")));
  });

  it("contextForLangChainRun(config) gives the run's span for code that is not wrapped", async () => {
    const handler = new SpanPerRunHandler();
    let manual: string | undefined;
    const t = tool(
      async (_input: { q: string }, config) => {
        const ctx = contextForLangChainRun(config);
        expect(ctx.getValue(LANGCHAIN_RUN_KEY)).toBeTypeOf("string");
        manual = tracerProvider
          .getTracer("manual")
          .startSpan("manual", {}, ctx)
          .spanContext().spanId;
        const child = tracerProvider.getTracer("manual").startSpan("manual_child", {}, ctx);
        child.end();
        return "ok";
      },
      { name: "manual_tool", schema: z.object({ q: z.string() }) },
    );
    await t.invoke({ q: "x" }, { callbacks: [handler] });
    expect(manual).toBeDefined();
    expect(parentId(byName("manual_child"))).toBe(spanId(byName("tool manual_tool")));
  });

  it("without a handler offering spanForRun, a wrapper inside a tool falls back to the active context", async () => {
    const handlerWithoutHook = new (class extends BaseCallbackHandler {
      name = "plain";
    })();
    const inner = traceTask("inner", () => 1, { tracerProvider });
    const t = tool(async () => inner(), { name: "plain_tool", schema: z.object({}) });
    const outer = traceWorkflow(
      "outer",
      async () => t.invoke({}, { callbacks: [handlerWithoutHook] }),
      { tracerProvider },
    );
    await outer();
    expect(parentId(byName("task inner"))).toBe(spanId(byName("invoke_workflow outer")));
  });

  it("outside any LangChain run, contextForLangChainRun returns the context it was given", () => {
    const ctx = context.active();
    expect(contextForLangChainRun(undefined, ctx)).toBe(ctx);
  });
});

describe("nesting with OpenTelemetryCallbackHandler", () => {
  function handler(): OpenTelemetryCallbackHandler {
    return new OpenTelemetryCallbackHandler({ tracerProvider, metrics: false, logs: false });
  }

  it("wrapper > LangChain chain > tool > wrapper: the wrapper in the tool is a child of the handler's tool span", async () => {
    const h = handler();
    const enrich = traceTask("enrich", async (q: string) => `${q}+e`, { tracerProvider });
    const search = tool(async ({ q }: { q: string }) => enrich(q), {
      name: "search",
      description: "search",
      schema: z.object({ q: z.string() }),
    });
    const chain = RunnableLambda.from(async (q: string) => search.invoke({ q })).withConfig({
      runName: "research",
    });
    const workflow = traceWorkflow(
      "support",
      async (q: string) => chain.invoke(q, { callbacks: [h] }),
      { tracerProvider },
    );
    expect(await workflow("q")).toBe("q+e");
    const wf = byName("invoke_workflow support");
    const chainSpan = byName("invoke_workflow research");
    const toolSpan = byName("execute_tool search");
    expect(parentId(chainSpan)).toBe(spanId(wf));
    expect(parentId(toolSpan)).toBe(spanId(chainSpan));
    expect(parentId(byName("task enrich"))).toBe(spanId(toolSpan));
    expect(h.openRunCount).toBe(0);
  });

  it("workflow wrapper > createAgent (fake tool-calling model) > tool > wrapper: the wrapper is a child of execute_tool", async () => {
    const { createAgent, FakeToolCallingModel, tool: agentTool } = await import("langchain");
    const h = handler();
    const fetchWeather = traceTask("fetch_weather", async (city: string) => `sunny in ${city}`, {
      tracerProvider,
    });
    const weather = agentTool(async ({ city }: { city: string }) => fetchWeather(city), {
      name: "get_weather",
      description: "Weather for a city",
      schema: z.object({ city: z.string() }),
    });
    const model = new FakeToolCallingModel({
      toolCalls: [[{ name: "get_weather", args: { city: "Paris" }, id: "call_1" }], []],
    });
    const agent = createAgent({ model, tools: [weather], name: "travel_agent" });
    const trip = traceWorkflow(
      "plan_trip",
      async () =>
        agent.invoke(
          { messages: [{ role: "user", content: "Weather in Paris?" }] },
          { callbacks: [h] },
        ),
      { tracerProvider },
    );
    const result = await trip();
    expect(result.messages.filter((m) => m.getType() === "tool").map((m) => m.content)).toEqual([
      "sunny in Paris",
    ]);
    const wf = byName("invoke_workflow plan_trip");
    expect(parentId(byName("invoke_agent travel_agent"))).toBe(spanId(wf));
    expect(parentId(byName("task fetch_weather"))).toBe(spanId(byName("execute_tool get_weather")));
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(h.openRunCount).toBe(0);
  });

  // Needs a handler change (proposed in issue 7's report): when a run starts with parentRunId P
  // and the active context has LANGCHAIN_RUN_KEY === P, a wrapper span was opened inside P's body,
  // so the active context (that wrapper's span) is the better parent than P's span. Today the
  // handler parents the run on the tool span, skipping the wrapper. Enable once it does.
  it("a LangChain run started inside a wrapper that runs inside a tool is a child of that wrapper", async () => {
    const h = handler();
    const summarise = RunnableLambda.from(async (q: string) => q.length).withConfig({
      runName: "summarise",
    });
    const step = traceTask("step", async (q: string) => summarise.invoke(q), { tracerProvider });
    const search = tool(async ({ q }: { q: string }) => String(await step(q)), {
      name: "search",
      description: "search",
      schema: z.object({ q: z.string() }),
    });
    expect(await search.invoke({ q: "abc" }, { callbacks: [h] })).toBe("3");
    const toolSpan = byName("execute_tool search");
    const stepSpan = byName("task step");
    expect(parentId(stepSpan)).toBe(spanId(toolSpan));
    expect(parentId(byName("summarise"))).toBe(spanId(stepSpan));
  });
});

describe("nesting inside a LangGraph graph (OpenTelemetryCallbackHandler)", () => {
  it("a wrapped function called in a graph node is a child of that node's span, inside the outer workflow", async () => {
    const { Annotation, StateGraph, START, END } = await import("@langchain/langgraph");
    const h = new OpenTelemetryCallbackHandler({ tracerProvider, metrics: false, logs: false });
    const collectLogs = traceTask(
      "collect_logs",
      async (service: string) => [`${service}: timeout`],
      { tracerProvider },
    );
    const State = Annotation.Root({ service: Annotation<string>(), logs: Annotation<string[]>() });
    const graph = new StateGraph(State)
      .addNode("collect", async (s: typeof State.State) => ({ logs: await collectLogs(s.service) }))
      .addEdge(START, "collect")
      .addEdge("collect", END)
      .compile();
    const rca = traceWorkflow(
      "root_cause_analysis",
      async (service: string) => graph.invoke({ service }, { callbacks: [h] }),
      {
        tracerProvider,
      },
    );
    const out = await rca("checkout");
    expect(out.logs).toEqual(["checkout: timeout"]);
    const wf = byName("invoke_workflow root_cause_analysis");
    const task = byName("task collect_logs");
    const node = spans().find((s) => s.spanContext().spanId === parentId(task));
    expect(node?.name).toBe("collect");
    // The node's ancestors lead back to the outer workflow span.
    let cursor: ReadableSpan | undefined = node;
    const ids = new Map(spans().map((s) => [s.spanContext().spanId, s]));
    while (cursor && parentId(cursor) !== spanId(wf)) cursor = ids.get(parentId(cursor) ?? "");
    expect(cursor, "graph spans are descendants of the workflow wrapper").toBeDefined();
    expect(h.openRunCount).toBe(0);
  });
});
