/**
 * Spans around the application's own functions: workflows, tasks, agents and tools, as function
 * wrappers and as standard ECMAScript (TypeScript 5) method decorators. Each call starts an
 * active span, so LangChain runs (traced by the handler) and any other instrumented work started
 * inside nest under it; a wrapped function called inside a LangChain tool or lambda nests under
 * that run's span.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  context,
  diag,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import {
  getAssociationAttributes,
  setAssociationProperties,
  type AssociationProperties,
} from "./association.js";
import { boundedJson } from "../util/content.js";
import { describeError, recordFailure } from "../signals/errors.js";
import { captureContentFromEnv, DEFAULT_MAX_CONTENT_LENGTH } from "../handler/options.js";
import { LANGCHAIN_RUN_KEY } from "../util/context-keys.js";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_INPUT,
  ATTR_OUTPUT,
  ATTR_SPAN_KIND,
  ATTR_TASK_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_WORKFLOW_NAME,
  OP_EXECUTE_TOOL,
  OP_INVOKE_AGENT,
  OP_INVOKE_WORKFLOW,
} from "../semconv.js";
import { PACKAGE_NAME } from "../util/package.js";

/** The kinds of annotated spans. */
export type AnnotationKind = "workflow" | "task" | "agent" | "tool";

/** Options shared by every wrapper and decorator. */
export interface TraceOptions {
  /** Tracer provider for the span. Default: the global one, looked up at call time. */
  tracerProvider?: TracerProvider;
  /**
   * Record the arguments and the return value as JSON strings (tools:
   * `gen_ai.tool.call.arguments`/`gen_ai.tool.call.result`; others: `langchain_otel.input`/
   * `langchain_otel.output`). Default: `true` when the environment variable
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is `true` at call time, else `false`.
   */
  captureContent?: boolean;
  /** Longest recorded content, in characters; longer JSON is shortened and stays valid JSON. Default: 16384. */
  maxContentLength?: number;
  /** Extra attributes set on every span of this wrapper. */
  attributes?: Attributes;
  /** Association properties in force for the span and everything started inside it. */
  associationProperties?: AssociationProperties;
}

/** Any function: the constraint of the wrappers, which return a function of exactly the type they were given. */
export type AnyFunction = (this: any, ...args: any[]) => any;

/**
 * A method decorator. Works with standard ECMAScript decorators (TypeScript 5+ without
 * `experimentalDecorators`) and, for projects that still use it, with `experimentalDecorators`.
 */
export interface TracedMethodDecorator {
  <This, Args extends any[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor;
}

/**
 * Traces `fn` as a workflow: each call is an `invoke_workflow {name}` span
 * (`gen_ai.operation.name=invoke_workflow`, `gen_ai.workflow.name`). Returns a function of the
 * same type that keeps `this`, arguments, return value and thrown errors.
 *
 * As a decorator: `@traceWorkflow("name")` (name default: the method name).
 */
export function traceWorkflow<F extends AnyFunction>(
  name: string,
  fn: F,
  options?: TraceOptions,
): F;
export function traceWorkflow(name?: string, options?: TraceOptions): TracedMethodDecorator;
export function traceWorkflow(
  name?: string,
  fnOrOptions?: AnyFunction | TraceOptions,
  options?: TraceOptions,
): unknown {
  return annotate("workflow", name, fnOrOptions, options);
}

/**
 * Traces `fn` as a task, a step of a workflow: each call is a `task {name}` span
 * (`langchain_otel.span.kind=task`, `langchain_otel.task.name`).
 *
 * As a decorator: `@traceTask("name")` (name default: the method name).
 */
export function traceTask<F extends AnyFunction>(name: string, fn: F, options?: TraceOptions): F;
export function traceTask(name?: string, options?: TraceOptions): TracedMethodDecorator;
export function traceTask(
  name?: string,
  fnOrOptions?: AnyFunction | TraceOptions,
  options?: TraceOptions,
): unknown {
  return annotate("task", name, fnOrOptions, options);
}

/**
 * Traces `fn` as an agent: each call is an `invoke_agent {name}` span
 * (`gen_ai.operation.name=invoke_agent`, `gen_ai.agent.name`).
 *
 * As a decorator: `@traceAgent("name")` (name default: the method name).
 */
export function traceAgent<F extends AnyFunction>(name: string, fn: F, options?: TraceOptions): F;
export function traceAgent(name?: string, options?: TraceOptions): TracedMethodDecorator;
export function traceAgent(
  name?: string,
  fnOrOptions?: AnyFunction | TraceOptions,
  options?: TraceOptions,
): unknown {
  return annotate("agent", name, fnOrOptions, options);
}

/**
 * Traces `fn` as a tool: each call is an `execute_tool {name}` span
 * (`gen_ai.operation.name=execute_tool`, `gen_ai.tool.name`, `gen_ai.tool.type=function`).
 *
 * As a decorator: `@traceTool("name")` (name default: the method name).
 */
export function traceTool<F extends AnyFunction>(name: string, fn: F, options?: TraceOptions): F;
export function traceTool(name?: string, options?: TraceOptions): TracedMethodDecorator;
export function traceTool(
  name?: string,
  fnOrOptions?: AnyFunction | TraceOptions,
  options?: TraceOptions,
): unknown {
  return annotate("tool", name, fnOrOptions, options);
}

function annotate(
  kind: AnnotationKind,
  name: string | undefined,
  fnOrOptions: AnyFunction | TraceOptions | undefined,
  options: TraceOptions | undefined,
): unknown {
  if (typeof fnOrOptions === "function") {
    return wrapFunction(kind, name || fnOrOptions.name || kind, fnOrOptions, options ?? {});
  }
  return methodDecorator(kind, name, fnOrOptions ?? {});
}

function methodDecorator(
  kind: AnnotationKind,
  name: string | undefined,
  options: TraceOptions,
): TracedMethodDecorator {
  return function decorate(method: unknown, ctx: unknown, descriptor?: PropertyDescriptor): any {
    // Standard decorators: (method, { kind: "method", name, ... }).
    if (typeof method === "function" && ctx !== null && typeof ctx === "object" && "kind" in ctx) {
      const decoratorContext = ctx as ClassMemberDecoratorContext;
      if (decoratorContext.kind !== "method") {
        diag.warn(
          `langchain-opentelemetry: @trace${capitalise(kind)} applies to methods only; ignored on a ${decoratorContext.kind}`,
        );
        return undefined;
      }
      return wrapFunction(
        kind,
        name || memberName(decoratorContext.name),
        method as AnyFunction,
        options,
      );
    }
    // experimentalDecorators: (prototype, key, descriptor).
    if (descriptor && typeof descriptor.value === "function") {
      const key = ctx as string | symbol;
      return {
        ...descriptor,
        value: wrapFunction(kind, name || memberName(key), descriptor.value, options),
      };
    }
    diag.warn(
      `langchain-opentelemetry: @trace${capitalise(kind)} applies to methods only; ignored`,
    );
    return descriptor;
  } as TracedMethodDecorator;
}

function memberName(key: string | symbol): string {
  return typeof key === "symbol" ? (key.description ?? "anonymous") : key;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Span name and fixed attributes of one annotated function. */
function spanShape(
  kind: AnnotationKind,
  name: string,
): { spanName: string; attributes: Attributes } {
  switch (kind) {
    case "workflow":
      return {
        spanName: `${OP_INVOKE_WORKFLOW} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_INVOKE_WORKFLOW,
          [ATTR_GEN_AI_WORKFLOW_NAME]: name,
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "agent":
      return {
        spanName: `${OP_INVOKE_AGENT} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_INVOKE_AGENT,
          [ATTR_GEN_AI_AGENT_NAME]: name,
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "tool":
      return {
        spanName: `${OP_EXECUTE_TOOL} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_EXECUTE_TOOL,
          [ATTR_GEN_AI_TOOL_NAME]: name,
          [ATTR_GEN_AI_TOOL_TYPE]: "function",
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "task":
      return {
        spanName: `task ${name}`,
        attributes: { [ATTR_SPAN_KIND]: kind, [ATTR_TASK_NAME]: name },
      };
  }
}

/** One call being traced: its span, its context and how to record content. */
interface Call {
  span: Span;
  ctx: Context;
  capture: boolean;
  maxContent: number;
  outputKey: string;
  ended: boolean;
}

function wrapFunction<F extends AnyFunction>(
  kind: AnnotationKind,
  name: string,
  fn: F,
  options: TraceOptions,
): F {
  ensureLangChainContextStorage();
  const { spanName, attributes } = spanShape(kind, name);
  const fixedAttributes: Attributes = { ...options.attributes, ...attributes };
  const inputKey = kind === "tool" ? ATTR_GEN_AI_TOOL_CALL_ARGUMENTS : ATTR_INPUT;
  const outputKey = kind === "tool" ? ATTR_GEN_AI_TOOL_CALL_RESULT : ATTR_OUTPUT;
  // An explicit provider is fixed; the global one is a proxy that follows later registration.
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    PACKAGE_NAME,
  );

  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let call: Call;
    try {
      call = startCall(tracer, spanName, fixedAttributes, options, outputKey);
      if (call.capture && call.span.isRecording())
        call.span.setAttribute(
          inputKey,
          boundedJson(args.length === 1 ? args[0] : args, call.maxContent),
        );
    } catch (err) {
      diag.warn("langchain-opentelemetry: could not start an annotation span", err);
      return fn.apply(this, args);
    }
    let result: unknown;
    try {
      result = context.with(call.ctx, fn as AnyFunction, this, ...args);
    } catch (err) {
      endWithError(call, err);
      throw err;
    }
    return settle(call, result);
  };
  try {
    Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
    Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  } catch {}
  return wrapped as unknown as F;
}

function startCall(
  tracer: Tracer,
  spanName: string,
  attributes: Attributes,
  options: TraceOptions,
  outputKey: string,
): Call {
  let parent = contextForLangChainRun();
  if (options.associationProperties)
    parent = setAssociationProperties(parent, options.associationProperties);
  const association = getAssociationAttributes(parent);
  const span = tracer.startSpan(
    spanName,
    {
      kind: SpanKind.INTERNAL,
      attributes: association ? { ...association, ...attributes } : attributes,
    },
    parent,
  );
  return {
    span,
    ctx: trace.setSpan(parent, span),
    capture: options.captureContent ?? captureContentFromEnv(),
    maxContent: options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH,
    outputKey,
    ended: false,
  };
}

/** Ends the span when the result is complete: at once, when a promise settles, or when a generator finishes. */
function settle(call: Call, result: unknown): unknown {
  try {
    if (result instanceof Promise) {
      // The caller gets the very same promise; our reaction is attached first, so the span has
      // ended before the caller's `await` resumes.
      result.then(
        (value) => endOk(call, value),
        (err) => endWithError(call, err),
      );
      return result;
    }
    const tag = Object.prototype.toString.call(result);
    if (tag === "[object Generator]") return traceGenerator(call, result as Generator);
    if (tag === "[object AsyncGenerator]")
      return traceAsyncGenerator(call, result as AsyncGenerator);
    endOk(call, result);
  } catch (err) {
    diag.warn("langchain-opentelemetry: annotation span bookkeeping failed", err);
    endOk(call, undefined); // never leave the span open
  }
  return result;
}

function endOk(call: Call, value: unknown): void {
  if (call.ended) return;
  call.ended = true;
  try {
    if (call.capture && value !== undefined && call.span.isRecording())
      call.span.setAttribute(call.outputKey, boundedJson(value, call.maxContent));
    call.span.end();
  } catch {}
}

function endWithError(call: Call, err: unknown): void {
  if (call.ended) return;
  call.ended = true;
  try {
    recordFailure(call.span, describeError(err));
    call.span.end();
  } catch {}
}

/**
 * A generator that runs each step of `inner` inside the span's context and ends the span when
 * `inner` completes, throws, or is closed early (`return()`, e.g. `break` in `for...of`).
 */
function traceGenerator(call: Call, inner: Generator): Generator {
  const step = (op: () => IteratorResult<unknown>): IteratorResult<unknown> => {
    if (call.ended) return op();
    let r: IteratorResult<unknown>;
    try {
      r = context.with(call.ctx, op);
    } catch (err) {
      endWithError(call, err);
      throw err;
    }
    if (r.done) endOk(call, r.value);
    return r;
  };
  const outer = Object.create(Object.getPrototypeOf(inner)) as Generator;
  Object.defineProperties(outer, {
    next: {
      value: (...a: [] | [unknown]) => step(() => inner.next(...a)),
      writable: true,
      configurable: true,
    },
    return: {
      value: (v: unknown) => step(() => inner.return(v)),
      writable: true,
      configurable: true,
    },
    throw: {
      value: (e: unknown) => step(() => inner.throw(e)),
      writable: true,
      configurable: true,
    },
    [Symbol.iterator]: { value: () => outer, writable: true, configurable: true },
  });
  return outer;
}

/** The async counterpart of {@link traceGenerator}. */
function traceAsyncGenerator(call: Call, inner: AsyncGenerator): AsyncGenerator {
  const step = (op: () => Promise<IteratorResult<unknown>>): Promise<IteratorResult<unknown>> => {
    if (call.ended) return op();
    let p: Promise<IteratorResult<unknown>>;
    try {
      p = context.with(call.ctx, op);
    } catch (err) {
      endWithError(call, err);
      return Promise.reject(err);
    }
    return p.then(
      (r) => {
        if (r.done) endOk(call, r.value);
        return r;
      },
      (err: unknown) => {
        endWithError(call, err);
        throw err;
      },
    );
  };
  const outer = Object.create(Object.getPrototypeOf(inner)) as AsyncGenerator;
  Object.defineProperties(outer, {
    next: {
      value: (...a: [] | [unknown]) => step(() => inner.next(...a)),
      writable: true,
      configurable: true,
    },
    return: {
      value: (v: unknown) => step(() => inner.return(v)),
      writable: true,
      configurable: true,
    },
    throw: {
      value: (e: unknown) => step(() => inner.throw(e)),
      writable: true,
      configurable: true,
    },
    [Symbol.asyncIterator]: { value: () => outer, writable: true, configurable: true },
  });
  return outer;
}

// ---------------------------------------------------------------------------------------------
// Nesting under LangChain runs.
//
// A callback handler cannot make its span the active OpenTelemetry context of a tool's body:
// callbacks run beside the tool, not around it. But LangChain runs a tool's (or a lambda's)
// body inside its own AsyncLocalStorage with the run's child config, whose callback manager
// knows the run id; a handler that can say which span belongs to a run id lets us parent to it.
// ---------------------------------------------------------------------------------------------

/** What a callback handler offers so that annotated code nests under its runs' spans. */
export interface RunSpanLookup {
  /** The span of run `runId`, or of its nearest recorded ancestor; `undefined` when unknown. */
  spanForRun(runId: string): Span | undefined;
}

/** The part of a LangChain `RunnableConfig` this module reads. */
export interface RunConfigLike {
  callbacks?: unknown;
}

/**
 * The OpenTelemetry context in which work done inside the current LangChain run should start:
 * `ctx` (default: the active context) with the span of that run, as reported by a callback
 * handler that has `spanForRun(runId)`, made the active span. The run is the one of `config` (the
 * config LangChain passes to a tool or lambda function as its second argument) or, without it,
 * the one LangChain's AsyncLocalStorage holds. Returns `ctx` unchanged when there is no run, no
 * such handler, or `ctx` is already inside that run.
 *
 * @example
 * const search = tool(async (input, config) =>
 *   context.with(contextForLangChainRun(config), () => myTracedHelper(input)), { name: "search", schema });
 */
export function contextForLangChainRun(
  config?: RunConfigLike,
  ctx: Context = context.active(),
): Context {
  try {
    const runConfig =
      config ??
      (AsyncLocalStorageProviderSingleton.getRunnableConfig() as RunConfigLike | undefined);
    const callbacks = runConfig?.callbacks as CallbackManagerLike | undefined;
    if (
      !callbacks ||
      typeof callbacks !== "object" ||
      typeof callbacks.getParentRunId !== "function"
    )
      return ctx;
    const runId = callbacks.getParentRunId();
    if (typeof runId !== "string" || ctx.getValue(LANGCHAIN_RUN_KEY) === runId) return ctx;
    const span = findRunSpan(callbacks, runId);
    return span ? trace.setSpan(ctx, span).setValue(LANGCHAIN_RUN_KEY, runId) : ctx;
  } catch {
    return ctx;
  }
}

interface CallbackManagerLike {
  getParentRunId(): string | undefined;
  handlers?: unknown[];
  inheritableHandlers?: unknown[];
}

function findRunSpan(callbacks: CallbackManagerLike, runId: string): Span | undefined {
  for (const list of [callbacks.handlers, callbacks.inheritableHandlers]) {
    if (!Array.isArray(list)) continue;
    for (const handler of list) {
      const lookup = (handler as Partial<RunSpanLookup> | null)?.spanForRun;
      if (typeof lookup !== "function") continue;
      const span = lookup.call(handler, runId);
      if (span && typeof span.spanContext === "function") return span;
    }
  }
  return undefined;
}

let storageReady = false;

/**
 * LangChain only keeps a run's config in AsyncLocalStorage once a global instance exists (set
 * when `@langchain/core/context` or LangGraph is imported). Set it, exactly as those imports do,
 * so that wrapped functions see the run they are called in.
 */
function ensureLangChainContextStorage(): void {
  if (storageReady) return;
  storageReady = true;
  try {
    AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
  } catch {}
}
