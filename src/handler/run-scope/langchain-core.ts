/**
 * Where LangChain runs a run's body, per copy of `@langchain/core` (1.x), and the wrappers that
 * run it with the run's span as OpenTelemetry's active context:
 *
 * - `AsyncLocalStorageProviderSingleton.runWithConfig(config, fn)`: how `RunnableLambda`,
 *   `tool()` functions, `RunnableWithFallbacks`, streamed steps and LangGraph nodes run user code;
 *   `config.callbacks` is the run's child manager, whose parent run id is the run's id.
 * - Chat models and LLMs (`_generate`, `_streamResponseChunks`), tools (`_call`) and retrievers
 *   (`_getRelevantDocuments`) get the run manager as an argument. They are overridden by every
 *   subclass, so the base class entry points (`_generateUncached`, `_streamIterator`, `call`,
 *   `invoke`) wrap, on first use, the method of the prototype that defines it, once.
 *
 * A wrapper keeps `this`, the arguments, the return value, a synchronous throw and the async
 * iterator protocol exactly; it changes nothing when no handler of ours knows the run.
 */
import { context, type Context } from "@opentelemetry/api";
import { contextFromHandlers, cancelInHandlers } from "./registry.js";
import { definingPrototype, isOurWrapper, wrapMethod, type Patch } from "./wrap.js";

type Fn = (...args: unknown[]) => unknown;
type Ctor = { prototype: object } | undefined;

/** The classes and objects of one copy of `@langchain/core` that are wrapped. */
export interface CoreCopy {
  /** `esm` or `cjs`: which build of `@langchain/core` this is. */
  format: string;
  singleton: object | undefined;
  BaseChatModel: Ctor;
  BaseLLM: Ctor;
  StructuredTool: Ctor;
  BaseRetriever: Ctor;
  BaseRunManager: Ctor;
}

/** What was found and wrapped in one copy. */
export interface CopyStatus {
  format: string;
  /** Entry points wrapped, as `Class.method`. */
  wrapped: string[];
  /** Entry points expected and not found (fallback: no nesting there). */
  missing: string[];
  /**
   * LangChain calls `wrapRunExecution` on handlers itself (langchainjs PR #11226): models and tools
   * are left to it.
   */
  runExecutionHook: boolean;
}

interface RunManagerLike {
  runId: unknown;
  handlers: unknown;
}

function runManagerAt(args: unknown[], index: number): RunManagerLike | undefined {
  const rm = args[index] as RunManagerLike | undefined;
  return typeof rm === "object" && rm !== null && typeof rm.runId === "string" ? rm : undefined;
}

function contextOfRunManager(rm: RunManagerLike | undefined, model: unknown): Context | undefined {
  return rm === undefined
    ? undefined
    : contextFromHandlers(
        rm.handlers,
        rm.runId,
        typeof model === "object" && model !== null ? model : undefined,
      );
}

/**
 * Wraps a method whose run manager is argument `index`: the call runs in the run's context. For
 * models (`bindModel`), the run also learns its model instance (client instrumentation check).
 */
function callIn(index: number, bindModel = false) {
  return (original: Fn, patch: Patch): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      const ctx = patch.active
        ? contextOfRunManager(runManagerAt(args, index), bindModel ? this : undefined)
        : undefined;
      return ctx === undefined
        ? original.apply(this, args)
        : context.with(ctx, original, this, ...args);
    };
}

/**
 * A tool's `_call`: like {@link callIn}, and a streaming tool's async generator (returned, or
 * resolved by the returned promise, as `tool()` does) runs its steps in the run's context too:
 * LangChain consumes it after `_call` has returned. Only then is the promise a new one (same
 * value or error).
 */
function toolCallIn(index: number) {
  return (original: Fn, patch: Patch): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      const ctx = patch.active
        ? contextOfRunManager(runManagerAt(args, index), undefined)
        : undefined;
      if (ctx === undefined) return original.apply(this, args);
      const result = context.with(ctx, original, this, ...args);
      if (isIterator(result)) return scopeIterator(result, ctx, noop);
      if (isThenable(result))
        return result.then((v) => (isIterator(v) ? scopeIterator(v, ctx, noop) : v));
      return result;
    };
}

function noop(): void {}

function isIterator(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as IteratorLike).next === "function" &&
    typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === "function"
  );
}

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof v === "object" && v !== null && typeof (v as Promise<unknown>).then === "function";
}

/**
 * Wraps an async generator method whose run manager is argument `index`: every `next`, `return`
 * and `throw` runs in the run's context; a consumer that stops early (`return()` before the end)
 * ends the run as cancelled (`consumer_stopped`), since LangChain then fires no end callback.
 */
function streamIn(index: number) {
  return (original: Fn, patch: Patch): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      const rm = patch.active ? runManagerAt(args, index) : undefined;
      const ctx = contextOfRunManager(rm, this);
      if (ctx === undefined) return original.apply(this, args);
      const it = context.with(ctx, original, this, ...args);
      const signal = (args[1] as { signal?: { aborted?: unknown } } | undefined)?.signal;
      return scopeIterator(it, ctx, () => {
        // An abort also closes the stream early; LangChain then reports it (error callback).
        if (signal?.aborted !== true) cancelInHandlers(rm!.handlers, rm!.runId, "consumer_stopped");
      });
    };
}

interface IteratorLike {
  next: Fn;
  return?: Fn;
  throw?: Fn;
}

/**
 * An iterator that runs each step of `it` in `ctx`, with `it`'s own prototype (an async
 * generator stays one for `instanceof`, `Symbol.toStringTag` and `Symbol.asyncIterator`).
 */
export function scopeIterator(it: unknown, ctx: Context, onEarlyStop: () => void): unknown {
  if (typeof it !== "object" || it === null || typeof (it as IteratorLike).next !== "function")
    return it;
  const inner = it as IteratorLike;
  let finished = false;
  const settle = (r: unknown): unknown => {
    if (r !== null && typeof r === "object" && typeof (r as Promise<unknown>).then === "function")
      return (r as Promise<{ done?: boolean }>).then((res) => {
        if (res?.done) finished = true;
        return res;
      });
    if ((r as { done?: boolean } | null)?.done) finished = true;
    return r;
  };
  const scoped = Object.create(Object.getPrototypeOf(it) as object) as IteratorLike;
  scoped.next = function (...a: unknown[]) {
    return settle(context.with(ctx, inner.next, inner, ...a));
  };
  if (typeof inner.return === "function") {
    const ret = inner.return;
    scoped.return = function (...a: unknown[]) {
      if (!finished) {
        finished = true;
        // At once: LangChain closes the stream from a loop that may never yield to the event loop
        // again before the run's timeout. (An error thrown by LangChain's own loop body closes it
        // too, and cannot be told apart here; its later error callback is then ignored.)
        try {
          onEarlyStop();
        } catch {}
      }
      return context.with(ctx, ret, inner, ...a);
    };
  }
  if (typeof inner.throw === "function") {
    const thr = inner.throw;
    scoped.throw = function (...a: unknown[]) {
      return settle(context.with(ctx, thr, inner, ...a));
    };
  }
  return scoped;
}

/** `runWithConfig(config, fn, ...)`: `fn` runs in the context of `config.callbacks`' parent run. */
function runWithConfigWrapper(original: Fn, patch: Patch): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (patch.active) {
      const callbacks = (args[0] as { callbacks?: unknown } | undefined)?.callbacks as
        { getParentRunId?: unknown; handlers?: unknown } | undefined;
      if (
        typeof callbacks === "object" &&
        callbacks !== null &&
        typeof callbacks.getParentRunId === "function"
      ) {
        const ctx = contextFromHandlers(
          callbacks.handlers,
          (callbacks.getParentRunId as () => unknown).call(callbacks),
        );
        if (ctx !== undefined) return context.with(ctx, original, this, ...args);
      }
    }
    return original.apply(this, args);
  };
}

interface ConcreteSpec {
  key: string;
  factory: (original: Fn, patch: Patch) => Fn;
  /** A base class's own "not implemented" stub is left alone. */
  skipOwner?: object;
}

/**
 * An entry point of a base class: before calling through, makes sure the concrete methods that
 * `this` uses are wrapped (once per defining prototype; the fast path is one property read each).
 */
function entryWrapper(concrete: ConcreteSpec[], patches: Patch[]) {
  return (original: Fn, patch: Patch): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      if (patch.active && typeof this === "object" && this !== null)
        for (const spec of concrete) ensureWrapped(this, spec, patches);
      return original.apply(this, args);
    };
}

function ensureWrapped(instance: object, spec: ConcreteSpec, patches: Patch[]): void {
  try {
    const fn = (instance as Record<string, unknown>)[spec.key];
    if (typeof fn !== "function" || isOurWrapper(fn)) return;
    const owner = definingPrototype(instance, spec.key);
    if (owner === undefined || owner === spec.skipOwner) return;
    const p = wrapMethod(owner, spec.key, spec.factory);
    if (p !== undefined) patches.push(p);
  } catch {}
}

function protoOf(ctor: Ctor): object | undefined {
  const p = (ctor as { prototype?: unknown } | undefined)?.prototype;
  return typeof p === "object" && p !== null ? p : undefined;
}

/**
 * Wraps the entry points of one `@langchain/core` copy; concrete methods are added to `patches` as
 * they are met.
 */
export function wrapCore(copy: CoreCopy, patches: Patch[]): CopyStatus {
  const status: CopyStatus = {
    format: copy.format,
    wrapped: [],
    missing: [],
    runExecutionHook: false,
  };
  const runManagerProto = protoOf(copy.BaseRunManager);
  status.runExecutionHook =
    runManagerProto !== undefined &&
    typeof (runManagerProto as Record<string, unknown>).withRunContext === "function";

  const wrap = (
    owner: object | undefined,
    label: string,
    key: string,
    factory: (o: Fn, p: Patch) => Fn,
  ) => {
    const target = owner as Record<string, unknown> | undefined;
    if (target === undefined || typeof target[key] !== "function") {
      status.missing.push(`${label}.${key}`);
      return;
    }
    if (isOurWrapper(target[key])) return void status.wrapped.push(`${label}.${key}`);
    const p = wrapMethod(target, key, factory);
    if (p === undefined) status.missing.push(`${label}.${key}`);
    else {
      patches.push(p);
      status.wrapped.push(`${label}.${key}`);
    }
  };

  wrap(copy.singleton, "AsyncLocalStorageProviderSingleton", "runWithConfig", runWithConfigWrapper);
  const retriever = protoOf(copy.BaseRetriever);
  wrap(
    retriever,
    "BaseRetriever",
    "invoke",
    entryWrapper(
      [{ key: "_getRelevantDocuments", factory: callIn(1), skipOwner: retriever }],
      patches,
    ),
  );
  if (status.runExecutionHook) return status;

  for (const [label, ctor] of [
    ["BaseChatModel", copy.BaseChatModel],
    ["BaseLLM", copy.BaseLLM],
  ] as const) {
    const proto = protoOf(ctor);
    const model: ConcreteSpec[] = [
      { key: "_generate", factory: callIn(2, true) },
      { key: "_streamResponseChunks", factory: streamIn(2), skipOwner: proto },
    ];
    wrap(proto, label, "_generateUncached", entryWrapper(model, patches));
    wrap(proto, label, "_streamIterator", entryWrapper(model, patches));
  }
  wrap(
    protoOf(copy.StructuredTool),
    "StructuredTool",
    "call",
    entryWrapper([{ key: "_call", factory: toolCallIn(1) }], patches),
  );
  return status;
}
