/**
 * One traced call of an annotated function: its span is started in the right parent context
 * (the LangChain run it is called in, association properties), made active around the call, and
 * ended when the result is complete (at once, when a promise settles, when a generator finishes).
 */
import {
  context,
  diag,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { describeError, recordFailure } from "../signals/errors.js";
import { captureContentFromEnv, DEFAULT_MAX_CONTENT_LENGTH } from "../handler/options.js";
import {
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_INPUT,
  ATTR_OUTPUT,
} from "../semconv.js";
import { boundedJson } from "../util/content.js";
import { PACKAGE_NAME } from "../util/package.js";
import { getAssociationAttributes, setAssociationProperties } from "./association.js";
import type { AnnotationKind, AnyFunction, TraceOptions } from "./annotate.js";
import { contextForLangChainRun, ensureLangChainContextStorage } from "./langchain-run.js";
import { spanShape } from "./span-shape.js";

/** One call being traced: its span, its context and how to record content. */
interface Call {
  span: Span;
  ctx: Context;
  capture: boolean;
  maxContent: number;
  outputKey: string;
  ended: boolean;
}

export function wrapFunction<F extends AnyFunction>(
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
      call = startCall(tracer, { spanName, attributes: fixedAttributes, outputKey }, options);
      if (call.capture && call.span.isRecording())
        call.span.setAttribute(
          inputKey,
          boundedJson(args.length === 1 ? args[0] : args, call.maxContent),
        );
    } catch (err) {
      diag.warn(`${PACKAGE_NAME}: could not start an annotation span`, err);
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

/** What an annotated call's span is opened with. */
interface CallSpec {
  spanName: string;
  attributes: Attributes;
  /** The attribute its output goes under (when content capture is on). */
  outputKey: string;
}

function startCall(tracer: Tracer, spec: CallSpec, options: TraceOptions): Call {
  const { spanName, attributes, outputKey } = spec;
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

/**
 * Ends the span when the result is complete: at once, when a promise settles, or when a generator
 * finishes.
 */
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
    diag.warn(`${PACKAGE_NAME}: annotation span bookkeeping failed`, err);
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
  return delegate(inner, step, Symbol.iterator);
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
  return delegate(inner, step, Symbol.asyncIterator);
}

/**
 * An object with `inner`'s prototype (so `instanceof` and `toString` stay the same) whose
 * `next`/`return`/`throw` go through `step`, and which is its own iterator.
 */
function delegate<G extends Generator | AsyncGenerator, R>(
  inner: G,
  step: (op: () => R) => R,
  iterator: typeof Symbol.iterator | typeof Symbol.asyncIterator,
): G {
  const it = inner as unknown as {
    next(...a: [] | [unknown]): R;
    return(v: unknown): R;
    throw(e: unknown): R;
  };
  const outer = Object.create(Object.getPrototypeOf(inner)) as G;
  const method = (value: unknown): PropertyDescriptor => ({
    value,
    writable: true,
    configurable: true,
  });
  Object.defineProperties(outer, {
    next: method((...a: [] | [unknown]) => step(() => it.next(...a))),
    return: method((v: unknown) => step(() => it.return(v))),
    throw: method((e: unknown) => step(() => it.throw(e))),
    [iterator]: method(() => outer),
  });
  return outer;
}
