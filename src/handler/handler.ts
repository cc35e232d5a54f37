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
  SpanStatusCode,
  trace,
  type Context,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from "@opentelemetry/api";
import { runNameOf } from "../langchain/attributes.js";
import { classifyGraph, isAgentEntryNode, isRouterRun, nodeOf } from "../langchain/langgraph.js";
import { GenAiLogs, globalLoggerProvider, SeverityNumber } from "../signals/logs.js";
import { InferenceMetricAttributes } from "../signals/metric-attributes.js";
import { GenAiMetrics } from "../signals/metrics.js";
import * as S from "../semconv.js";
import { boundedText, cutString } from "../util/content.js";
import { getAssociationAttributes } from "../util/context-keys.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";
import { registerCanceller, type CancelReason } from "./cancellation.js";
import { Failures } from "./failures.js";
import { InterruptedRuns } from "./interrupts.js";
import {
  captureContentFromEnv,
  DEFAULT_MAX_CONTENT_LENGTH,
  type OpenTelemetryCallbackHandlerOptions,
} from "./options.js";
import { AgentRecorder } from "./recorders/agent.js";
import { ChainRecorder } from "./recorders/chain.js";
import { ModelRecorder } from "./recorders/model.js";
import type { Rec, RecorderContext, RunStart } from "./recorders/recorder.js";
import { ToolDescriptions } from "./tool-descriptions.js";
import { resolveSemconvMode } from "./semconv-stability.js";
import { LatestGenAiMetrics } from "../signals/metrics-latest.js";
import { RetrieverRecorder } from "./recorders/retriever.js";
import { ToolRecorder } from "./recorders/tool.js";
import { agentOf, childContextOf, RunRegistry, type Run, type SpanRun } from "./runs.js";

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

/**
 * A numeric option: finite numbers floored, anything else (NaN, Infinity, a string) the
 * default, so the cap always holds.
 */
function finiteOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : fallback;
}

/** Which callback family ended a run: its error callbacks carry the error. */
type Outcome = "end" | "error";

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
  private readonly chains: ChainRecorder;
  private readonly agents: AgentRecorder;
  private readonly models: ModelRecorder;
  private readonly tools: ToolRecorder;
  private readonly retrievers: RetrieverRecorder;
  private readonly genAiLogs: GenAiLogs | undefined;

  constructor(options: OpenTelemetryCallbackHandlerOptions = {}) {
    super();
    this.raiseError = false;
    this.tracerProvider = options.tracerProvider;
    this.meterProvider = options.meterProvider;
    this.loggerProvider = options.loggerProvider;
    this.captureContent = options.captureContent ?? captureContentFromEnv();
    this.maxContent = Math.max(64, finiteOr(options.maxContentLength, DEFAULT_MAX_CONTENT_LENGTH));
    this.showHidden = options.showHiddenRuns ?? false;
    const semconv = resolveSemconvMode(options.genAiSemconv);
    let genAiMetrics: GenAiMetrics | undefined;
    let latestMetrics: LatestGenAiMetrics | undefined;
    if (options.metrics !== false) {
      try {
        // Without a provider: the global one, looked up when recording (a late NodeSDK.start()).
        genAiMetrics = new GenAiMetrics(options.meterProvider, semconv.v141);
        // Only when opted in: the default output creates none of these instruments.
        if (semconv.latest) latestMetrics = new LatestGenAiMetrics(options.meterProvider);
      } catch (e) {
        diag.warn(`${PACKAGE_NAME}: metrics disabled, the meter provider failed: ${String(e)}`);
      }
    }
    const genAiLogs =
      options.logs === false
        ? undefined
        : new GenAiLogs({
            provider: options.loggerProvider,
            minSeverity: options.logMinSeverity ?? SeverityNumber.INFO,
            maxContentLength: this.maxContent,
            resourceAttributes: options.logResourceAttributes,
            warn: options.onWarning ?? consoleWarning,
          });
    this.genAiLogs = genAiLogs;
    registerCanceller(this, (runId, reason) => this.cancelSubtree(runId, reason));
    this.runs = new RunRegistry(
      Math.max(0, finiteOr(options.runTimeoutMs, 600_000)),
      Math.max(1, finiteOr(options.maxOpenRuns, 10_000)),
      (run, reason) => this.expire(run, reason),
    );
    this.failures = new Failures(genAiLogs);
    const recorderContext: RecorderContext = {
      tracer: (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
        PACKAGE_NAME,
        PACKAGE_VERSION,
      ),
      runs: this.runs,
      failures: this.failures,
      metrics: genAiMetrics,
      latestMetrics,
      semconv,
      logs: genAiLogs,
      inferenceAttributes: new InferenceMetricAttributes(),
      interrupted: new InterruptedRuns(),
      toolDescriptions: new ToolDescriptions(),
      captureContent: this.captureContent,
      maxContent: this.maxContent,
      metricMetadataKeys: options.metricMetadataKeys ?? [],
    };
    this.chains = new ChainRecorder(recorderContext);
    this.agents = new AgentRecorder(recorderContext);
    this.models = new ModelRecorder(recorderContext);
    this.tools = new ToolRecorder(recorderContext);
    this.retrievers = new RetrieverRecorder(recorderContext);
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
    const providers = [
      this.tracerProvider ?? trace.getTracerProvider(),
      this.meterProvider ?? metricsApi.getMeterProvider(),
      this.loggerProvider ?? globalLoggerProvider(),
    ];
    await Promise.all(
      providers.map(async (p) => {
        const target = (p as { getDelegate?: () => unknown })?.getDelegate?.() ?? p;
        const flush = (target as { forceFlush?: () => Promise<void> } | undefined)?.forceFlush;
        if (typeof flush === "function") {
          try {
            await flush.call(target);
          } catch (e) {
            diag.warn(`${PACKAGE_NAME}: forceFlush failed: ${String(e)}`);
          }
        }
      }),
    );
  }

  /**
   * Ends whatever is open (as incomplete) and stops the cleanup timer. Providers are not shut
   * down: they are the caller's.
   */
  async shutdown(): Promise<void> {
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
  private finish(where: string, runId: string, outcome: Outcome, arg: unknown, extra?: Rec): void {
    let run: Run | undefined;
    try {
      run = this.runs.take(runId);
      if (run === undefined) return;
      if (run.kind === "hidden") {
        if (run.pending !== undefined)
          this.failures.aliasEnded(run, outcome === "error" ? arg : undefined, outcome === "error");
        return;
      }
      if (outcome === "end") this.endRun(run, arg, extra);
      else this.failRun(run, arg);
    } catch (e) {
      this.internalError(where, e);
      endIfOpen(run);
    }
  }

  private endRun(run: SpanRun, output: unknown, extra: Rec | undefined): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.end(run, output);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.end(run, output);
      case "model":
        return this.models.end(run, output, extra);
      case "tool":
        return this.tools.end(run, output);
      case "retriever":
        return this.retrievers.end(run, output);
    }
  }

  private failRun(run: SpanRun, err: unknown): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.fail(run, err);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.fail(run, err);
      case "model":
        return this.models.fail(run, err);
      case "tool":
        return this.tools.fail(run, err);
      case "retriever":
        return this.retrievers.fail(run, err);
    }
  }

  private cancelRun(run: SpanRun, reason: CancelReason): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.cancel(run, reason);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.cancel(run, reason);
      case "model":
        return this.models.cancel(run, reason, undefined);
      case "tool":
        return this.tools.cancel(run, reason);
      case "retriever":
        return this.retrievers.cancel(run, reason);
    }
  }

  /** A hidden LangGraph run: no span; its children attach to the nearest recorded ancestor. */
  private alias(at: RunStart, metadata: Rec | undefined): void {
    const parent = at.parent;
    const parentCtx = parent === undefined ? context.active() : childContextOf(parent);
    this.runs.add(at.runId, {
      kind: "hidden",
      parent,
      node: nodeOf(metadata),
      span: undefined,
      target: parent === undefined ? undefined : parent.span === undefined ? parent.target : parent,
      parentCtx,
      ctx: parentCtx,
      start: performance.now(),
      isRoot: at.parentRunId === undefined,
      assoc: parent === undefined ? getAssociationAttributes(parentCtx) : parent.assoc,
      op: undefined,
    });
  }

  /** Ends a run that never ended (timeout, cap, shutdown). */
  private expire(run: Run, reason: string): void {
    this.failures.settle(run);
    const span = run.span;
    if (span === undefined) return;
    span.setAttribute(S.ATTR_RUN_INCOMPLETE, reason);
    span.setAttribute(S.ATTR_ERROR_TYPE, "incomplete");
    span.setStatus({ code: SpanStatusCode.ERROR, message: `run did not end (${reason})` });
    span.end();
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
          else this.cancelRun(run, reason);
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
        return this.alias(at, metadata);
      const name = runNameOf(chain, runName, "chain");
      // A conditional edge's routing function: LangGraph plumbing, hidden like `__start__`.
      if (!this.showHidden && parent?.kind === "node" && isRouterRun(name, metadata, parent.node))
        return this.alias(at, metadata);
      const node = nodeOf(metadata);
      if (parent?.kind === "graph" && node !== undefined && node === name && node !== "__start__")
        this.agents.decide(parent, isAgentEntryNode(node));
      if (node !== undefined && node === name)
        return this.chains.startNode(at, node, inputs, metadata!);
      const graph = classifyGraph(chain, inputs, metadata, name, agentOf(parent)?.op.name);
      if (graph !== undefined || parentRunId === undefined)
        this.agents.start(at, graph?.kind ?? "workflow", graph?.name ?? name, inputs, metadata);
      else this.chains.startChain(at, name, inputs, node);
    } catch (e) {
      this.internalError("handleChainStart", e);
    }
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    this.finish("handleChainEnd", runId, "end", outputs);
  }

  override handleChainError(err: unknown, runId: string): void {
    this.finish("handleChainError", runId, "error", err);
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
      this.models.start(this.at(runId, parentRunId), {
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
      this.models.start(this.at(runId, parentRunId), {
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
      if (run?.kind === "model") this.models.token(run, token, fields);
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
    this.finish("handleLLMEnd", runId, "end", output, extraParams);
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.finish("handleLLMError", runId, "error", err);
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
      this.tools.start(this.at(runId, parentRunId), { tool, input, metadata, runName, toolCallId });
    } catch (e) {
      this.internalError("handleToolStart", e);
    }
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.finish("handleToolEnd", runId, "end", output);
  }

  override handleToolError(err: unknown, runId: string): void {
    this.finish("handleToolError", runId, "error", err);
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
      this.retrievers.start(this.at(runId, parentRunId), { retriever, query, metadata, name });
    } catch (e) {
      this.internalError("handleRetrieverStart", e);
    }
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.finish("handleRetrieverEnd", runId, "end", documents);
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.finish("handleRetrieverError", runId, "error", err);
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
   * `_generate` / `_streamResponseChunks`: `noteModelInstance(runManager.runId, this)`); never
   * throws; ignored when the run is not an open model run or already has a server.
   */
  noteModelInstance(runId: string, model: unknown): void {
    try {
      const run = this.runs.get(runId);
      if (run?.kind === "model") this.models.modelInstance(run, model);
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

  private internalError(where: string, e: unknown): void {
    try {
      diag.debug(`${PACKAGE_NAME}: ${where} ignored an internal error: ${String(e)}`);
    } catch {}
  }
}
