/**
 * The callback adapter: where a LangChain callback becomes a span. Each `handleX` looks the run
 * (or its parent) up in the run registry and hands it to the recorder of its kind (recorders/):
 * start, end, fail, cancel. One span per run, parented on the span of `parentRunId`, or on the
 * OpenTelemetry context active when a root run starts. Every callback is synchronous,
 * allocation-light, and wrapped so that nothing it is given can throw into the application.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import {
  context,
  diag,
  metrics as metricsApi,
  trace,
  type Context,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from "@opentelemetry/api";
import { runNameOf } from "../langchain/attributes.js";
import { classifyGraph, isAgentEntryNode, isRouterRun, nodeOf } from "../langchain/langgraph.js";
import { globalLoggerProvider, type GenAiLogs } from "../signals/logs.js";
import { InferenceMetricAttributes } from "../signals/metric-attributes.js";
import * as S from "../semconv.js";
import { boundedText, cutString } from "../util/content.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";
import { registerCanceller, type CancelReason } from "./cancellation.js";
import { Failures } from "./failures.js";
import { flushProviders } from "./flush.js";
import { InterruptedRuns } from "./interrupts.js";
import { resolveOptions, type OpenTelemetryCallbackHandlerOptions } from "./options.js";
import { createSignalSinks, Recorders, type Rec, type RunStart } from "./recorders/index.js";
import { agentOf, childContextOf, RunRegistry, type Run } from "./runs.js";
import { resolveSemconvMode } from "./semconv-stability.js";
import { ToolDescriptions } from "./tool-descriptions.js";
import { enableRunScope, releaseRunScope } from "./run-scope/install.js";

/** The handler's constant name: LangChain de-duplicates configure-hook handlers by name. */
export const HANDLER_NAME = "langchain_opentelemetry";

const HIDDEN_TAG = "langsmith:hidden";

/**
 * After an internal error in an end callback the run is already out of the registry: end its
 * span here, or it would never end (a span that is not ended is never exported).
 */
function endIfOpen(run: Run | undefined): void {
  try {
    if (run?.span?.isRecording()) run.span.end();
  } catch {}
}

/** The callbacks that end a run: the `...Error` ones carry the error. */
type EndCallback =
  | "handleChainEnd"
  | "handleChainError"
  | "handleLLMEnd"
  | "handleLLMError"
  | "handleToolEnd"
  | "handleToolError"
  | "handleRetrieverEnd"
  | "handleRetrieverError";

/** The default of `onWarning`: visible without a diag logger, and saying who speaks. */
function consoleWarning(message: string): void {
  console.warn(`[${PACKAGE_NAME}] ${message}`);
}

/**
 * A LangChain callback handler that records every run as an OpenTelemetry span following the
 * GenAI semantic conventions v1.41.0, plus the GenAI histograms and log records.
 *
 * @example
 * ```ts
 * const handler = new OpenTelemetryCallbackHandler();
 * await chain.invoke(input, { callbacks: [handler] });
 * ```
 */
export class OpenTelemetryCallbackHandler extends BaseCallbackHandler {
  /** Constant, so LangChain never attaches two of ours through its configure hook. */
  readonly name = HANDLER_NAME;
  /**
   * Inline dispatch: the handler must read the caller's active OpenTelemetry context and take
   * timestamps when things happen, not later on LangChain's background queue.
   */
  override awaitHandlers = true;

  private readonly tracerProvider: TracerProvider | undefined;
  private readonly meterProvider: MeterProvider | undefined;
  private readonly loggerProvider: OpenTelemetryCallbackHandlerOptions["loggerProvider"];
  private readonly runs: RunRegistry;
  private readonly failures: Failures;
  private readonly captureContent: boolean;
  private readonly maxContent: number;
  private readonly showHidden: boolean;
  private readonly recorders: Recorders;
  private readonly genAiLogs: GenAiLogs | undefined;
  /** Whether a run's span is the active context while the run executes (option `runContext`). */
  private readonly runContext: boolean;

  constructor(options: OpenTelemetryCallbackHandlerOptions = {}) {
    super();
    this.raiseError = false;
    this.tracerProvider = options.tracerProvider;
    this.meterProvider = options.meterProvider;
    this.loggerProvider = options.loggerProvider;
    const o = resolveOptions(options);
    this.captureContent = o.captureContent;
    this.maxContent = o.maxContentLength;
    this.showHidden = o.showHiddenRuns;
    this.runContext = options.runContext !== false;
    const semconv = resolveSemconvMode(options.genAiSemconv);
    const sinks = createSignalSinks(options, {
      semconv,
      maxContentLength: o.maxContentLength,
      warn: options.onWarning ?? consoleWarning,
    });
    this.genAiLogs = sinks.logs;
    this.failures = new Failures(sinks.logs);
    this.runs = new RunRegistry(o.runTimeoutMs, o.maxOpenRuns, (run, reason) =>
      this.recorders.expire(run, reason),
    );
    this.recorders = new Recorders({
      tracer: (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
        PACKAGE_NAME,
        PACKAGE_VERSION,
      ),
      runs: this.runs,
      failures: this.failures,
      ...sinks,
      semconv,
      inferenceAttributes: new InferenceMetricAttributes(),
      interrupted: new InterruptedRuns(),
      toolDescriptions: new ToolDescriptions(),
      captureContent: o.captureContent,
      maxContent: o.maxContentLength,
      metricMetadataKeys: o.metricMetadataKeys,
      dedupeClientMetrics: options.dedupeClientMetrics !== false,
    });
    registerCanceller(this, (runId, reason) => this.cancelSubtree(runId, reason));
    if (this.runContext)
      enableRunScope(this, {
        contextFor: (runId) => this.contextForRun(runId),
        bindModel: (runId, model) => this.noteModelInstance(runId, model),
        cancel: (runId, reason) => this.cancelSubtree(runId, reason),
      });
  }

  /** LangChain copies handlers for child runs; ours keeps one run map, so the copy is itself. */
  override copy(): this {
    return this;
  }

  /** Runs started and not yet ended (or expired). */
  get openRunCount(): number {
    return this.runs.size;
  }

  /** Ends every open run's span as incomplete (status ERROR); returns how many were open. */
  endOpenRuns(reason = "ended_by_application"): number {
    try {
      return this.runs.expireAll(reason);
    } catch {
      return 0;
    }
  }

  /**
   * Flushes the providers this handler was given (or the global ones). Open runs stay open
   * unless `endOpenRuns` is set: a flush in a running server must not cut live requests.
   */
  async forceFlush(options: { endOpenRuns?: boolean } = {}): Promise<void> {
    if (options.endOpenRuns) this.endOpenRuns("flush");
    await flushProviders([
      this.tracerProvider ?? trace.getTracerProvider(),
      this.meterProvider ?? metricsApi.getMeterProvider(),
      this.loggerProvider ?? globalLoggerProvider(),
    ]);
  }

  /**
   * Ends whatever is open (as incomplete) and stops the cleanup timer. Providers are not shut
   * down: they are the caller's.
   */
  async shutdown(): Promise<void> {
    releaseRunScope(this);
    this.endOpenRuns("shutdown");
    this.runs.stopTimer();
    this.genAiLogs?.summarize();
  }

  // ---------------------------------------------------------------- routing

  private at(runId: string, parentRunId: string | undefined): RunStart {
    const parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId);
    return { runId, parentRunId, parent };
  }

  /**
   * Takes a run out of the registry and hands it to the recorder of its kind. Whatever the
   * recorder runs into, the span is ended: a span never ended is never exported.
   */
  private finish(where: EndCallback, runId: string, arg: unknown, extra?: Rec): void {
    const failed = where.endsWith("Error");
    let run: Run | undefined;
    try {
      run = this.runs.take(runId);
      if (run === undefined) return;
      if (run.kind === "hidden") {
        if (run.pending !== undefined)
          this.failures.aliasEnded(run, failed ? arg : undefined, failed);
        return;
      }
      if (failed) this.recorders.fail(run, arg);
      else this.recorders.end(run, arg, extra);
    } catch (e) {
      this.internalError(where, e);
      endIfOpen(run);
    }
  }

  /**
   * What `endRunAsCancelled` (cancellation.ts) calls: the run and its open descendants,
   * children first.
   */
  private cancelSubtree(runId: string, reason: CancelReason): number {
    try {
      const runs = this.runs.takeSubtree(runId);
      for (const run of runs) {
        try {
          if (run.kind === "hidden") this.failures.settle(run);
          else this.recorders.cancel(run, reason);
        } catch (e) {
          this.internalError("endRunAsCancelled", e);
          endIfOpen(run);
        }
      }
      return runs.length;
    } catch (e) {
      this.internalError("endRunAsCancelled", e);
      return 0;
    }
  }

  // ---------------------------------------------------------------- chains, agents, workflows

  override handleChainStart(
    chain: unknown,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    _runType?: string,
    runName?: string,
  ): void {
    try {
      const at = this.at(runId, parentRunId);
      const parent = at.parent;
      if (!this.showHidden && tags !== undefined && tags.includes(HIDDEN_TAG))
        return this.recorders.chains.hide(at, metadata);
      const name = runNameOf(chain, runName, "chain");
      // A conditional edge's routing function: LangGraph plumbing, hidden like `__start__`.
      if (!this.showHidden && parent?.kind === "node" && isRouterRun(name, metadata, parent.node))
        return this.recorders.chains.hide(at, metadata);
      const node = nodeOf(metadata);
      if (parent?.kind === "graph" && node !== undefined && node === name && node !== "__start__")
        this.recorders.agents.decide(parent, isAgentEntryNode(node));
      if (node !== undefined && node === name)
        return this.recorders.chains.startNode(at, node, inputs, metadata!);
      const graph = classifyGraph({
        serialized: chain,
        inputs,
        metadata,
        runName: name,
        enclosingAgentName: agentOf(parent)?.op.name,
      });
      if (graph !== undefined || parentRunId === undefined)
        this.recorders.agents.start(at, {
          kind: graph?.kind ?? "workflow",
          name: graph?.name ?? name,
          inputs,
          metadata,
        });
      else this.recorders.chains.startChain(at, name, inputs, node);
    } catch (e) {
      this.internalError("handleChainStart", e);
    }
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    this.finish("handleChainEnd", runId, outputs);
  }

  override handleChainError(err: unknown, runId: string): void {
    this.finish("handleChainError", runId, err);
  }

  // ---------------------------------------------------------------- models

  override handleChatModelStart(
    llm: unknown,
    messages: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    try {
      this.recorders.models.start(this.at(runId, parentRunId), {
        operation: S.OP_CHAT,
        chat: true,
        llm,
        input: Array.isArray(messages) ? messages[0] : undefined,
        extraParams,
        metadata,
        runName,
      });
    } catch (e) {
      this.internalError("handleChatModelStart", e);
    }
  }

  override handleLLMStart(
    llm: unknown,
    prompts: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    try {
      this.recorders.models.start(this.at(runId, parentRunId), {
        operation: S.OP_TEXT_COMPLETION,
        chat: false,
        llm,
        input: prompts,
        extraParams,
        metadata,
        runName,
      });
    } catch (e) {
      this.internalError("handleLLMStart", e);
    }
  }

  override handleLLMNewToken(
    token: unknown,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: unknown,
  ): void {
    try {
      const run = this.runs.get(runId);
      if (run?.kind === "model") this.recorders.models.token(run, token, fields);
    } catch (e) {
      this.internalError("handleLLMNewToken", e);
    }
  }

  override handleLLMEnd(
    output: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    extraParams?: Record<string, unknown>,
  ): void {
    this.finish("handleLLMEnd", runId, output, extraParams);
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.finish("handleLLMError", runId, err);
  }

  // ---------------------------------------------------------------- tools

  override handleToolStart(
    tool: unknown,
    input: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    try {
      this.recorders.tools.start(this.at(runId, parentRunId), {
        tool,
        input,
        metadata,
        runName,
        toolCallId,
      });
    } catch (e) {
      this.internalError("handleToolStart", e);
    }
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.finish("handleToolEnd", runId, output);
  }

  override handleToolError(err: unknown, runId: string): void {
    this.finish("handleToolError", runId, err);
  }

  // ---------------------------------------------------------------- retrievers

  override handleRetrieverStart(
    retriever: unknown,
    query: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    try {
      this.recorders.retrievers.start(this.at(runId, parentRunId), {
        retriever,
        query,
        metadata,
        name,
      });
    } catch (e) {
      this.internalError("handleRetrieverStart", e);
    }
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.finish("handleRetrieverEnd", runId, documents);
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.finish("handleRetrieverError", runId, err);
  }

  // ---------------------------------------------------------------- custom events

  override handleCustomEvent(eventName: unknown, data: unknown, runId: string): void {
    try {
      const span = this.runs.get(runId)?.span;
      if (span === undefined || typeof eventName !== "string") return;
      span.addEvent(
        cutString(eventName, 256),
        this.captureContent
          ? { [S.ATTR_EVENT_DATA]: boundedText(data, this.maxContent) }
          : undefined,
      );
    } catch (e) {
      this.internalError("handleCustomEvent", e);
    }
  }

  /**
   * Tells the handler which model object runs `runId`: for integrations whose endpoint is only on
   * the object (Ollama's `baseUrl`, Bedrock's client), `server.address` / `server.port` of the
   * model span and its metric points come from it. For code that wraps the model call (from inside
   * `_generate` / `_streamResponseChunks`: `noteModelInstance(runManager.runId, this)`; the
   * run-context wrappers do it for every model call). Also tells whether the model's provider
   * client is instrumented itself (`dedupeClientMetrics`). Never throws; the server part is
   * ignored when the run is not an open model run or already has a server.
   */
  noteModelInstance(runId: string, model: unknown): void {
    try {
      const run = this.runs.get(runId);
      if (run?.kind === "model") this.recorders.models.modelInstance(run, model);
    } catch (e) {
      this.internalError("noteModelInstance", e);
    }
  }

  /** The span of an open run (for code that wants to parent its own spans on a LangChain run). */
  spanForRun(runId: string): Span | undefined {
    try {
      const run = this.runs.get(runId);
      return run === undefined ? undefined : (run.span ?? run.target?.span);
    } catch {
      return undefined;
    }
  }

  /** The context in which a run's children start: the run's span is active in it. */
  contextForRun(runId: string): Context | undefined {
    try {
      const run = this.runs.get(runId);
      return run === undefined ? undefined : childContextOf(run);
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `fn` with run `runId`'s span as the active context: the hook through which a LangChain
   * that offers one (langchainjs PR #11226) runs a run's body; the same as our own wrappers do.
   */
  wrapRunExecution<T>(runId: string, fn: () => T): T {
    const ctx = this.runContext ? this.contextForRun(runId) : undefined;
    return ctx === undefined ? fn() : context.with(ctx, fn);
  }

  private internalError(where: string, e: unknown): void {
    try {
      diag.debug(`${PACKAGE_NAME}: ${where} ignored an internal error: ${String(e)}`);
    } catch {}
  }
}
