/**
 * Issue 12, the wrappers themselves: they keep `this`, arguments, return values, synchronous
 * throws and the async generator protocol; they coexist with other wrappers and are undone by the
 * last handler's shutdown; a `@langchain/core` of another shape gets one diagnostic and no
 * wrapping; a LangChain with a `wrapRunExecution` hook is left to call it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { context, createContextKey, diag, DiagLogLevel, ROOT_CONTEXT } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { StructuredTool, tool } from "@langchain/core/tools";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { z } from "zod";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { runScopeStatus } from "../src/handler/run-scope/install.js";
import { scopeIterator, wrapCore } from "../src/handler/run-scope/langchain-core.js";
import { isOurWrapper, unwrap, wrapMethod, type Patch } from "../src/handler/run-scope/wrap.js";
import { heapAfterGc } from "./helpers/heap.js";
import { memoryHandler } from "./helpers/spans.js";

const KEY = createContextKey("test.key");
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

afterEach(() => {
  vi.restoreAllMocks();
});

describe("wrapMethod", () => {
  it("keeps this, arguments, the return value, a synchronous throw, name and length", () => {
    const boom = new Error("boom");
    class A {
      factor = 3;
      times(a: number, b: number): number {
        if (a < 0) throw boom;
        return this.factor * a * b;
      }
    }
    const seen: unknown[][] = [];
    const patch = wrapMethod(
      A.prototype,
      "times",
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          seen.push(args);
          return original.apply(this, args);
        },
    )!;
    const a = new A();
    expect(a.times(2, 5)).toBe(30);
    expect(seen).toEqual([[2, 5]]);
    expect(() => a.times(-1, 1)).toThrow(boom);
    expect(A.prototype.times.name).toBe("times");
    expect(A.prototype.times.length).toBe(2);
    expect(isOurWrapper(A.prototype.times)).toBe(true);
    // Never twice.
    expect(wrapMethod(A.prototype, "times", (o) => o)).toBeUndefined();
    unwrap(patch);
    expect(isOurWrapper(A.prototype.times)).toBe(false);
    expect(Object.getOwnPropertyDescriptor(A.prototype, "times")!.enumerable).toBe(false);
  });

  it("an inherited method is wrapped as an own property and deleted again on undo", () => {
    class Base {
      hello(): string {
        return "base";
      }
    }
    const obj = Object.create(Base.prototype) as Base;
    const patch = wrapMethod(obj, "hello", (o) => o)!;
    expect(Object.prototype.hasOwnProperty.call(obj, "hello")).toBe(true);
    unwrap(patch);
    expect(Object.prototype.hasOwnProperty.call(obj, "hello")).toBe(false);
    expect(obj.hello()).toBe("base");
  });

  it("a wrapper installed on top of ours survives the undo: ours becomes a pass-through", () => {
    const calls: string[] = [];
    class A {
      run(): string {
        calls.push("original");
        return "r";
      }
    }
    const patch: Patch = wrapMethod(
      A.prototype,
      "run",
      (original, p) =>
        function (this: unknown, ...args: unknown[]) {
          if (p.active) calls.push("ours");
          return original.apply(this, args);
        },
    )!;
    const ours = A.prototype.run;
    // Another instrumentation wraps what it finds (ours).
    A.prototype.run = function (this: A) {
      calls.push("theirs");
      return ours.call(this);
    };
    unwrap(patch);
    expect(new A().run()).toBe("r");
    expect(calls).toEqual(["theirs", "original"]);
  });

  it("leaves frozen objects and missing methods alone", () => {
    const frozen = Object.freeze({ f: () => 1 });
    expect(wrapMethod(frozen, "f", (o) => o)).toBeUndefined();
    expect(wrapMethod({}, "nothing", (o) => o)).toBeUndefined();
  });
});

describe("scopeIterator", () => {
  const ctx = ROOT_CONTEXT.setValue(KEY, "run");

  it("runs every step in the context, keeps values, return values and the generator's prototype", async () => {
    const seen: unknown[] = [];
    async function* gen(): AsyncGenerator<number, string, unknown> {
      seen.push(context.active().getValue(KEY));
      const x = yield 1;
      seen.push(x, context.active().getValue(KEY));
      yield 2;
      return "done";
    }
    const stops: number[] = [];
    const it = scopeIterator(gen(), ctx, () => stops.push(1)) as AsyncGenerator<number, string>;
    expect(Object.prototype.toString.call(it)).toBe("[object AsyncGenerator]");
    expect(it[Symbol.asyncIterator]()).toBe(it);
    expect(await it.next()).toEqual({ value: 1, done: false });
    expect(await it.next("sent")).toEqual({ value: 2, done: false });
    expect(await it.next()).toEqual({ value: "done", done: true });
    expect(seen).toEqual(["run", "sent", "run"]);
    // Outside the steps, the caller's context is untouched.
    expect(context.active().getValue(KEY)).toBeUndefined();
    // Completed: a later return() is not an early stop.
    await it.return("x");
    expect(stops).toEqual([]);
  });

  it("return() before the end is an early stop (reported once); throw() reaches the generator", async () => {
    async function* gen() {
      try {
        yield 1;
        yield 2;
      } finally {
        // cleanup runs in the context too
        expect(context.active().getValue(KEY)).toBe("run");
      }
    }
    const stops: number[] = [];
    const it = scopeIterator(gen(), ctx, () => stops.push(1)) as AsyncGenerator<number>;
    await it.next();
    expect(await it.return(undefined)).toEqual({ value: undefined, done: true });
    await it.return(undefined);
    expect(stops).toEqual([1]);

    const boom = new Error("boom");
    const it2 = scopeIterator(gen(), ctx, () => {}) as AsyncGenerator<number>;
    await it2.next();
    await expect(it2.throw(boom)).rejects.toBe(boom);
  });

  it("anything that is not an iterator is returned as it is", () => {
    const p = Promise.resolve(1);
    expect(scopeIterator(p, ctx, () => {})).toBe(p);
    expect(scopeIterator(undefined, ctx, () => {})).toBeUndefined();
  });
});

describe("feature detection", () => {
  it("a @langchain/core without the expected methods: nothing wrapped, every missing entry named", () => {
    class Chat {}
    const patches: Patch[] = [];
    const status = wrapCore(
      {
        format: "esm",
        singleton: {},
        BaseChatModel: Chat,
        BaseLLM: undefined,
        StructuredTool: undefined,
        BaseRetriever: undefined,
        BaseRunManager: undefined,
      },
      patches,
    );
    expect(patches).toEqual([]);
    expect(status).toEqual({
      format: "esm",
      wrapped: [],
      missing: [
        "AsyncLocalStorageProviderSingleton.runWithConfig",
        "BaseRetriever.invoke",
        "BaseChatModel._generateUncached",
        "BaseChatModel._streamIterator",
        "BaseLLM._generateUncached",
        "BaseLLM._streamIterator",
        "StructuredTool.call",
      ],
      runExecutionHook: false,
    });
  });

  it("a LangChain that calls wrapRunExecution itself (langchainjs PR #11226): models and tools are left to it", () => {
    class RunManager {
      withRunContext(fn: () => unknown) {
        return fn();
      }
    }
    class Chat {
      _generateUncached() {}
      _streamIterator() {}
    }
    class Tool {
      call() {}
    }
    const patches: Patch[] = [];
    const status = wrapCore(
      {
        format: "esm",
        singleton: { runWithConfig: () => undefined },
        BaseChatModel: Chat,
        BaseLLM: undefined,
        StructuredTool: Tool,
        BaseRetriever: undefined,
        BaseRunManager: RunManager,
      },
      patches,
    );
    expect(status.runExecutionHook).toBe(true);
    expect(status.wrapped).toEqual(["AsyncLocalStorageProviderSingleton.runWithConfig"]);
    expect(isOurWrapper(Chat.prototype._generateUncached)).toBe(false);
    expect(isOurWrapper(Tool.prototype.call)).toBe(false);
    for (const p of patches) unwrap(p);
  });

  it("the handler's wrapRunExecution runs the function with the run's span active, and returns its value", async () => {
    const { handler, spans } = memoryHandler();
    handler.handleToolStart({ id: ["x", "t"] }, "in", "run-1", undefined, [], {}, "t");
    const active = handler.wrapRunExecution("run-1", () =>
      context.active().getValue(Symbol.for("OpenTelemetry Context Key SPAN")),
    );
    expect(active).toBe(handler.spanForRun("run-1"));
    expect(handler.wrapRunExecution("unknown", () => 42)).toBe(42);
    handler.handleToolEnd("out", "run-1");
    expect(spans()).toHaveLength(1);
    await handler.shutdown();
  });
});

describe("install and undo", () => {
  it("the first handler wraps, the last one out restores LangChain's own methods", async () => {
    const originals = {
      generate: Object.getOwnPropertyDescriptor(BaseChatModel.prototype, "_generateUncached")!
        .value,
      call: Object.getOwnPropertyDescriptor(StructuredTool.prototype, "call")!.value,
    };
    expect(runScopeStatus()).toEqual({ live: 0, copies: [] });
    const a = new OpenTelemetryCallbackHandler({ metrics: false, logs: false });
    const b = new OpenTelemetryCallbackHandler({ metrics: false, logs: false });
    expect(runScopeStatus().live).toBe(2);
    expect(isOurWrapper(BaseChatModel.prototype._generateUncached)).toBe(true);
    expect(isOurWrapper(StructuredTool.prototype.call)).toBe(true);
    expect(
      Object.prototype.hasOwnProperty.call(AsyncLocalStorageProviderSingleton, "runWithConfig"),
    ).toBe(true);
    // Concrete methods are wrapped on first use.
    const model = new FakeListChatModel({ responses: ["hi"] });
    await model.invoke("x", { callbacks: [a] });
    expect(isOurWrapper(FakeListChatModel.prototype._generate)).toBe(true);
    const t = tool(async () => "ok", { name: "t", schema: z.object({}) });
    await t.invoke({}, { callbacks: [a] });
    expect(isOurWrapper(Object.getPrototypeOf(t)._call)).toBe(true);

    await a.shutdown();
    expect(isOurWrapper(BaseChatModel.prototype._generateUncached)).toBe(true);
    await b.shutdown();
    expect(runScopeStatus()).toEqual({ live: 0, copies: [] });
    expect(BaseChatModel.prototype._generateUncached).toBe(originals.generate);
    expect(StructuredTool.prototype.call).toBe(originals.call);
    expect(isOurWrapper(FakeListChatModel.prototype._generate)).toBe(false);
    expect(isOurWrapper(Object.getPrototypeOf(t)._call)).toBe(false);
    expect(
      Object.prototype.hasOwnProperty.call(AsyncLocalStorageProviderSingleton, "runWithConfig"),
    ).toBe(false);
    // And LangChain still works, unwrapped.
    expect((await model.invoke("x")).content).toBe("hi");
  });

  it("runContext: false installs nothing", async () => {
    const h = new OpenTelemetryCallbackHandler({ metrics: false, logs: false, runContext: false });
    expect(runScopeStatus()).toEqual({ live: 0, copies: [] });
    expect(isOurWrapper(BaseChatModel.prototype._generateUncached)).toBe(false);
    await h.shutdown();
  });

  it("a handler that is never shut down releases its share when garbage-collected", async () => {
    (() => {
      new OpenTelemetryCallbackHandler({ metrics: false, logs: false });
    })();
    expect(runScopeStatus().live).toBe(1);
    await vi.waitFor(
      async () => {
        heapAfterGc();
        await new Promise((r) => setTimeout(r, 10));
        expect(runScopeStatus().live).toBe(0);
      },
      { timeout: 10_000 },
    );
    expect(isOurWrapper(BaseChatModel.prototype._generateUncached)).toBe(false);
  });

  it("one diagnostic when a copy of @langchain/core lacks an entry point", () => {
    const warn = vi.fn();
    diag.setLogger(
      { warn, error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      const original = Object.getOwnPropertyDescriptor(StructuredTool.prototype, "call")!;
      // A core without StructuredTool.call (a future refactor, say).
      delete (StructuredTool.prototype as unknown as Record<string, unknown>).call;
      try {
        const h = new OpenTelemetryCallbackHandler({ metrics: false, logs: false });
        const h2 = new OpenTelemetryCallbackHandler({ metrics: false, logs: false });
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0][0])).toBe(
          "langchain-opentelemetry: this @langchain/core (esm) lacks StructuredTool.call; spans made inside those runs are not nested under the run's span (the handler works as before otherwise)",
        );
        void h.shutdown();
        void h2.shutdown();
      } finally {
        Object.defineProperty(StructuredTool.prototype, "call", original);
      }
    } finally {
      diag.disable();
    }
  });
});
