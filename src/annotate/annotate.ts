/**
 * Spans around the application's own functions: workflows, tasks, agents and tools, as function
 * wrappers and as standard ECMAScript (TypeScript 5) method decorators. Each call starts an
 * active span, so LangChain runs (traced by the handler) and any other instrumented work started
 * inside nest under it; a wrapped function called inside a LangChain tool or lambda nests under
 * that run's span.
 */
import { diag, type Attributes, type TracerProvider } from "@opentelemetry/api";
import type { AssociationProperties } from "./association.js";
import { wrapFunction } from "./call.js";
import { PACKAGE_NAME } from "../util/package.js";

export { contextForLangChainRun } from "./langchain-run.js";
export type { RunConfigLike, RunSpanLookup } from "./langchain-run.js";

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
  /**
   * Longest recorded content, in characters; longer JSON is shortened and stays valid JSON.
   * Default: 16384.
   */
  maxContentLength?: number;
  /** Extra attributes set on every span of this wrapper. */
  attributes?: Attributes;
  /** Association properties in force for the span and everything started inside it. */
  associationProperties?: AssociationProperties;
}

/**
 * Any function: the constraint of the wrappers, which return a function of exactly the type they
 * were given.
 */
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
          `${PACKAGE_NAME}: @trace${capitalise(kind)} applies to methods only; ` +
            `ignored on a ${decoratorContext.kind}`,
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
    diag.warn(`${PACKAGE_NAME}: @trace${capitalise(kind)} applies to methods only; ignored`);
    return descriptor;
  } as TracedMethodDecorator;
}

function memberName(key: string | symbol): string {
  return typeof key === "symbol" ? (key.description ?? "anonymous") : key;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
