/**
 * Nesting under LangChain runs.
 *
 * A callback handler cannot make its span the active OpenTelemetry context of a tool's body:
 * callbacks run beside the tool, not around it. But LangChain runs a tool's (or a lambda's)
 * body inside its own AsyncLocalStorage with the run's child config, whose callback manager
 * knows the run id; a handler that can say which span belongs to a run id lets us parent to it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { context, trace, type Context, type Span } from "@opentelemetry/api";
import { LANGCHAIN_RUN_KEY } from "../util/context-keys.js";
import { langChainSingletons } from "../util/langchain-context.js";

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
 * const search = tool(
 *   async (input, config) =>
 *     context.with(contextForLangChainRun(config), () => myTracedHelper(input)),
 *   { name: "search", schema },
 * );
 */
export function contextForLangChainRun(
  config?: RunConfigLike,
  ctx: Context = context.active(),
): Context {
  try {
    const runConfig =
      config ??
      (langChainSingletons().AsyncLocalStorageProviderSingleton.getRunnableConfig() as
        RunConfigLike | undefined);
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
export function ensureLangChainContextStorage(): void {
  if (storageReady) return;
  storageReady = true;
  try {
    langChainSingletons().AsyncLocalStorageProviderSingleton.initializeGlobalInstance(
      new AsyncLocalStorage(),
    );
  } catch {}
}
