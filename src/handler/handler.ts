/**
 * Where a LangChain callback becomes a span. One span per run, parented on the span of
 * `parentRunId`, or on the OpenTelemetry context active when a root run starts. Every callback
 * is synchronous, allocation-light, and wrapped so that nothing it is given can throw into the
 * application.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import {
  context,
  diag,
  metrics as metricsApi,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import type { AnyValueMap } from "@opentelemetry/api-logs";
import { getAssociationAttributes } from "../annotate/association.js";
import { describeError, markFailed, recordFailure, type ErrorInfo } from "../signals/errors.js";
import { AgentTotals } from "./agent-totals.js";
import { registerCanceller, type CancelReason } from "./cancellation.js";
import { isSameFailure, type PendingFailure } from "./failures.js";
import { InterruptedRuns } from "./interrupts.js";
import {
  classifyGraph,
  isAbort,
  isAgentEntryNode,
  isBubbleUp,
  isInterrupt,
  isResume,
  isRouterRun,
  nodeAttributes,
  nodeOf,
  partialOutputOf,
} from "../langchain/langgraph.js";
import { LANGCHAIN_RUN_KEY } from "./run-context.js";
import {
  addRequestParams,
  conversationId,
  identifier,
  isRecord,
  providerName,
  requestModel,
  responseOf,
  runNameOf,
  serverOf,
  usageOf,
  type Usage,
} from "../langchain/attributes.js";
import { boundedJson, boundedText, cutString } from "../util/content.js";
import {
  exceptionAttributes,
  GenAiLogs,
  globalLoggerProvider,
  inferenceBody,
  operationBody,
  SeverityNumber,
} from "../signals/logs.js";
import {
  outputMessages,
  promptMessages,
  splitInput,
  toolDefinitions,
  toOutputMessage,
} from "../langchain/messages.js";
import { agentMetricAttributes, GenAiMetrics, toolMetricAttributes } from "../signals/metrics.js";
import {
  captureContentFromEnv,
  DEFAULT_MAX_CONTENT_LENGTH,
  type OpenTelemetryCallbackHandlerOptions,
} from "./options.js";
import { contextOf, RunRegistry, type OperationState, type Run, type RunKind } from "./runs.js";
import * as S from "../semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";

/** The handler's constant name: LangChain de-duplicates configure-hook handlers by name. */
export const HANDLER_NAME = "langchain_opentelemetry";

const HIDDEN_TAG = "langsmith:hidden";
const MAX_CHUNK_INTERVALS = 10_000;
/** Distinct (operation, provider, models, server, error) combinations kept; cleared when full. */
const METRIC_ATTRIBUTE_CACHE_SIZE = 512;

/** A plain record of LangChain's callback payloads (metadata, extra params). */
type Rec = Record<string, unknown>;

/** State of a tool run: the call id, for its metric and record. */
interface ToolState extends OperationState {
  toolCallId?: string;
}

/** What a span is opened with. */
interface OpenSpec {
  kind: RunKind;
  name: string;
  spanKind: SpanKind;
  attributes: Attributes | undefined;
  op: OperationState | undefined;
  node?: string;
  links?: Link[];
}

/** State of a model run between start and end (extends the common operation state). */
interface InferenceState extends OperationState {
  /** Request parameters (temperature, max tokens, ...) for the details log record. */
  requestParams?: Attributes;
  /** Captured content (only when capture is on), structured, for log records. */
  system?: unknown;
  toolDefinitions?: unknown;
  firstChunkAt?: number;
  lastChunkAt?: number;
  intervals?: number[];
  streamed?: boolean;
}

/**
 * After an internal error in an end callback the run is already out of the registry: end its
 * span here, or it would never end (a span that is not ended is never exported).
 */
function endIfOpen(run: Run | undefined): void {
  try {
    if (run?.span?.isRecording()) run.span.end();
  } catch {}
}

/** A numeric option: finite numbers floored, anything else (NaN, Infinity, a string) the default, so the cap always holds. */
function finiteOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : fallback;
}

function seconds(from: number, to: number): number {
  return (to - from) / 1000;
}

/** The nearest `invoke_agent` run at or above `run` in the run tree. */
function agentOf(run: Run | undefined): Run | undefined {
  for (let r = run; r !== undefined; r = r.parent) if (r.kind === "agent") return r;
  return undefined;
}

/** The top of `run`'s run tree as far as this handler saw it. */
function rootOf(run: Run): Run {
  let r = run;
  while (r.parent !== undefined) r = r.parent;
  return r;
}

function isGraphKind(kind: RunKind): boolean {
  return kind === "agent" || kind === "workflow" || kind === "graph";
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

  private readonly tracer: Tracer;
  private readonly tracerProvider: TracerProvider | undefined;
  private readonly meterProvider: MeterProvider | undefined;
  private readonly loggerProvider: OpenTelemetryCallbackHandlerOptions["loggerProvider"];
  private readonly genAiMetrics: GenAiMetrics | undefined;
  private readonly genAiLogs: GenAiLogs | undefined;
  private readonly runs: RunRegistry;
  private readonly captureContent: boolean;
  private readonly maxContent: number;
  private readonly showHidden: boolean;
  private readonly metricMetadataKeys: readonly string[];
  private readonly metricAttributeCache = new Map<string, Attributes>();
  /** Interrupted roots by thread id, for the span link of their resume. */
  private readonly interrupted = new InterruptedRuns();

  constructor(options: OpenTelemetryCallbackHandlerOptions = {}) {
    super();
    this.raiseError = false;
    this.tracerProvider = options.tracerProvider;
    this.meterProvider = options.meterProvider;
    this.loggerProvider = options.loggerProvider;
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      PACKAGE_NAME,
      PACKAGE_VERSION,
    );
    this.captureContent = options.captureContent ?? captureContentFromEnv();
    this.maxContent = Math.max(64, finiteOr(options.maxContentLength, DEFAULT_MAX_CONTENT_LENGTH));
    this.showHidden = options.showHiddenRuns ?? false;
    this.metricMetadataKeys = options.metricMetadataKeys ?? [];
    if (options.metrics !== false) {
      try {
        this.genAiMetrics = new GenAiMetrics(
          options.meterProvider ?? metricsApi.getMeterProvider(),
        );
      } catch (e) {
        diag.warn(`${PACKAGE_NAME}: metrics disabled, the meter provider failed: ${String(e)}`);
      }
    }
    if (options.logs !== false)
      this.genAiLogs = new GenAiLogs(
        options.loggerProvider,
        options.logMinSeverity ?? SeverityNumber.INFO,
        this.maxContent,
      );
    registerCanceller(this, (runId, reason) => this.cancelSubtree(runId, reason));
    this.runs = new RunRegistry(
      Math.max(0, finiteOr(options.runTimeoutMs, 600_000)),
      Math.max(1, finiteOr(options.maxOpenRuns, 10_000)),
      (run, reason) => this.expire(run, reason),
    );
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

  /** Ends whatever is open (as incomplete) and stops the cleanup timer. Providers are not shut down: they are the caller's. */
  async shutdown(): Promise<void> {
    this.endOpenRuns("shutdown");
    this.runs.stopTimer();
  }

  // ---------------------------------------------------------------- run bookkeeping

  /** Opens a span for a run; returns the run record (or undefined if a span could not be made). */
  private open(
    runId: string,
    parentRunId: string | undefined,
    spec: OpenSpec,
    parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId),
  ): Run {
    let attributes = spec.attributes;
    // Annotated code (traceTask & co.) running inside the parent run marked the active context
    // with that run's id: its span, opened inside the run, is the closer parent.
    const active = context.active();
    const inner = parent !== undefined && active.getValue(LANGCHAIN_RUN_KEY) === parentRunId;
    const parentCtx =
      parent === undefined || inner
        ? active
        : parent.span === undefined
          ? parent.parentCtx
          : contextOf(parent);
    const assoc =
      parent === undefined || inner ? getAssociationAttributes(parentCtx) : parent.assoc;
    if (assoc !== undefined) {
      // The run's own values (e.g. gen_ai.conversation.id from thread_id) win over the scope's.
      if (attributes === undefined) attributes = { ...assoc };
      else for (const key in assoc) if (!(key in attributes)) attributes[key] = assoc[key];
    }
    const span = this.tracer.startSpan(
      spec.name,
      { kind: spec.spanKind, attributes, links: spec.links },
      parentCtx,
    );
    const run: Run = {
      kind: spec.kind,
      parent,
      node: spec.node,
      span,
      target: undefined,
      parentCtx,
      ctx: undefined,
      start: performance.now(),
      isRoot: parentRunId === undefined,
      assoc,
      op: spec.op,
    };
    this.runs.add(runId, run);
    return run;
  }

  /** A hidden LangGraph run: no span; its children attach to the nearest recorded ancestor. */
  private alias(
    runId: string,
    parentRunId: string | undefined,
    metadata: Rec | undefined,
    parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId),
  ): void {
    const target =
      parent === undefined ? undefined : parent.span === undefined ? parent.target : parent;
    const parentCtx =
      parent === undefined
        ? context.active()
        : parent.span === undefined
          ? parent.parentCtx
          : contextOf(parent);
    const assoc = parent === undefined ? getAssociationAttributes(parentCtx) : parent.assoc;
    this.runs.add(runId, {
      kind: "hidden",
      parent,
      node: nodeOf(metadata),
      span: undefined,
      target,
      parentCtx,
      ctx: parentCtx,
      start: performance.now(),
      isRoot: parentRunId === undefined,
      assoc,
      op: undefined,
    });
  }

  /** Ends a run that never ended (timeout, cap, shutdown). */
  private expire(run: Run, reason: string): void {
    this.settlePending(run, undefined, undefined);
    const span = run.span;
    if (span === undefined) return;
    span.setAttribute(S.ATTR_RUN_INCOMPLETE, reason);
    span.setAttribute(S.ATTR_ERROR_TYPE, "incomplete");
    span.setStatus({ code: SpanStatusCode.ERROR, message: `run did not end (${reason})` });
    span.end();
  }

  /**
   * Marks a failed run's span and ends it. Where the error originated: `error.type`, status and an
   * exception event; where it only propagated (a descendant failed with it): `error.type` and
   * status. Returns the error's description and, at the origin, the exception record to build.
   */
  private failAndEnd(
    run: Run,
    span: Span,
    raw: unknown,
  ): { info: ErrorInfo; passedOn: PendingFailure | undefined } {
    const info = describeError(raw);
    const passedOn = this.settlePending(run, raw, info);
    if (passedOn === undefined) recordFailure(span, info);
    else markFailed(span, info);
    span.end();
    return { info, passedOn };
  }

  /**
   * Decides the fate of the failures waiting on `run` as it ends: the one it fails with (same
   * error) is returned, to be passed further up; every other one was recovered from (WARN).
   */
  private settlePending(
    run: Run,
    raw: unknown,
    info: ErrorInfo | undefined,
  ): PendingFailure | undefined {
    const pending = run.pending;
    if (pending === undefined) return undefined;
    run.pending = undefined;
    let passedOn: PendingFailure | undefined;
    for (const p of pending) {
      if (passedOn === undefined && info !== undefined && isSameFailure(p, raw, info)) passedOn = p;
      else this.emitPending(p, SeverityNumber.WARN);
    }
    return passedOn;
  }

  /**
   * Hands a failure on to the parent of `run` (whose outcome decides its severity), or emits it:
   * ERROR at a root (the application saw the error), WARN when the parent already ended or is not
   * known to this handler.
   */
  private passUp(run: Run, failure: PendingFailure): void {
    const parent = run.parent;
    if (parent !== undefined && !parent.ended) (parent.pending ??= []).push(failure);
    else this.emitPending(failure, run.isRoot ? SeverityNumber.ERROR : SeverityNumber.WARN);
  }

  private emitPending(p: PendingFailure, severity: SeverityNumber): void {
    this.genAiLogs?.emit(S.EVENT_OPERATION_EXCEPTION, severity, p.body, p.attributes, p.ctx);
  }

  private content(value: unknown): string {
    return boundedJson(value, this.maxContent);
  }

  private metricAttributes(metadata: Rec | undefined): Attributes | undefined {
    if (!metadata || this.metricMetadataKeys.length === 0) return undefined;
    let out: Attributes | undefined;
    for (const key of this.metricMetadataKeys) {
      const v = metadata[key];
      // Cut: an opted-in key is meant to be low-cardinality, but a long value must not bloat every point.
      if (typeof v === "string") (out ??= {})[key] = cutString(v, 256);
      else if (typeof v === "number" || typeof v === "boolean") (out ??= {})[key] = v;
    }
    return out;
  }

  /**
   * Takes a run out of the registry and hands it to `finish` (an end or error callback's body).
   * Whatever `finish` runs into, the span is ended: a span never ended is never exported.
   */
  private finishRun(
    where: string,
    runId: string,
    arg: unknown,
    finish: (this: this, run: Run, span: Span, arg: unknown, extra: Rec | undefined) => void,
    extra?: Rec,
  ): void {
    let run: Run | undefined;
    try {
      run = this.runs.take(runId);
      const span = run?.span;
      if (span !== undefined) finish.call(this, run!, span, arg, extra);
      else if (run?.pending !== undefined)
        this.aliasEnded(
          run,
          where === "handleChainError" ? arg : undefined,
          where === "handleChainError",
        );
    } catch (e) {
      this.internalError(where, e);
      endIfOpen(run);
    }
  }

  /** A hidden run has no span, but failures may wait on it: it passes on the one it fails with. */
  private aliasEnded(run: Run, err: unknown, failed: boolean): void {
    if (failed && (isBubbleUp(err) || isAbort(err, describeError(err).type, false)))
      return void this.settlePending(run, undefined, undefined);
    const passedOn = failed
      ? this.settlePending(run, err, describeError(err))
      : this.settlePending(run, undefined, undefined);
    if (passedOn !== undefined) this.passUp(run, passedOn);
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
      const parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId);
      if (!this.showHidden && tags !== undefined && tags.includes(HIDDEN_TAG))
        return this.alias(runId, parentRunId, metadata, parent);
      const name = runNameOf(chain, runName, "chain");
      // A conditional edge's routing function: LangGraph plumbing, hidden like `__start__`.
      if (!this.showHidden && parent?.kind === "node" && isRouterRun(name, metadata, parent.node))
        return this.alias(runId, parentRunId, metadata, parent);
      const node = nodeOf(metadata);
      if (parent?.kind === "graph" && node !== undefined && node === name && node !== "__start__")
        this.decideGraph(parent, isAgentEntryNode(node));
      if (node !== undefined && node === name) {
        const attributes = nodeAttributes(node, metadata!);
        if (this.captureContent) attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
        this.open(
          runId,
          parentRunId,
          { kind: "node", name, spanKind: SpanKind.INTERNAL, attributes, op: undefined, node },
          parent,
        );
        return;
      }
      const graph = classifyGraph(chain, inputs, metadata, name, agentOf(parent)?.op?.name);
      if (graph !== undefined || parentRunId === undefined)
        this.startGraph(
          runId,
          parentRunId,
          parent,
          graph?.kind ?? "workflow",
          graph?.name ?? name,
          inputs,
          metadata,
        );
      else {
        const attributes: Attributes | undefined = this.captureContent
          ? { [S.ATTR_CHAIN_INPUTS]: this.content(inputs) }
          : undefined;
        this.open(
          runId,
          parentRunId,
          { kind: "chain", name, spanKind: SpanKind.INTERNAL, attributes, op: undefined, node },
          parent,
        );
      }
    } catch (e) {
      this.internalError("handleChainStart", e);
    }
  }

  /**
   * An agent, a workflow, or a graph to be decided at its first node (`graph`: opened under the
   * workflow name, renamed if it turns out to be an agent). A resume (`Command({ resume })`) links
   * to the interrupted run of its thread, when this handler saw that one.
   */
  private startGraph(
    runId: string,
    parentRunId: string | undefined,
    parent: Run | undefined,
    kind: "agent" | "workflow" | "graph",
    name: string,
    inputs: unknown,
    metadata: Rec | undefined,
  ): void {
    const conv = conversationId(metadata);
    const op: OperationState = {
      operation: kind === "agent" ? S.OP_INVOKE_AGENT : S.OP_INVOKE_WORKFLOW,
      name,
      conversationId: conv,
    };
    op.metricAttrs = this.metricAttributes(metadata);
    const attributes: Attributes = {};
    if (kind === "agent") {
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_AGENT;
      attributes[S.ATTR_GEN_AI_AGENT_NAME] = name;
    } else if (kind === "workflow") {
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_WORKFLOW;
      attributes[S.ATTR_GEN_AI_WORKFLOW_NAME] = name;
    }
    if (conv) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = conv;
    let links: Link[] | undefined;
    if (isResume(inputs)) {
      attributes[S.ATTR_LANGGRAPH_RESUMED] = true;
      const interrupted =
        parentRunId === undefined && conv ? this.interrupted.take(conv) : undefined;
      if (interrupted)
        links = [
          {
            context: interrupted,
            attributes: { [S.ATTR_LANGGRAPH_LINK]: S.LINK_RESUMES_INTERRUPTED_RUN },
          },
        ];
    }
    if (this.captureContent) {
      if (kind === "agent") this.captureAgentInput(attributes, op, inputs);
      else if (kind === "workflow") attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
    }
    const spanName = `${kind === "agent" ? S.OP_INVOKE_AGENT : S.OP_INVOKE_WORKFLOW} ${name}`;
    const run = this.open(
      runId,
      parentRunId,
      {
        kind,
        name: spanName,
        spanKind: SpanKind.INTERNAL,
        attributes,
        op,
        node: nodeOf(metadata),
        links,
      },
      parent,
    );
    if (kind === "agent") run.totals = new AgentTotals();
    else if (kind === "graph" && this.captureContent) run.inputs = inputs;
  }

  private writeTotals(run: Run, span: Span): void {
    if (run.totals === undefined) return;
    const totals: Attributes = {};
    run.totals.write(totals);
    span.setAttributes(totals);
  }

  /** A graph of kind `graph` becomes an agent (renamed) or a workflow, once its first node tells. */
  private decideGraph(run: Run, agent: boolean): void {
    const span = run.span!;
    const op = run.op!;
    const attributes: Attributes = {};
    if (agent) {
      run.kind = "agent";
      run.totals = new AgentTotals();
      op.operation = S.OP_INVOKE_AGENT;
      span.updateName(`${S.OP_INVOKE_AGENT} ${op.name}`);
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_AGENT;
      attributes[S.ATTR_GEN_AI_AGENT_NAME] = op.name;
      if (this.captureContent) this.captureAgentInput(attributes, op, run.inputs);
    } else {
      run.kind = "workflow";
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_WORKFLOW;
      attributes[S.ATTR_GEN_AI_WORKFLOW_NAME] = op.name;
      if (this.captureContent) attributes[S.ATTR_CHAIN_INPUTS] = this.content(run.inputs);
    }
    run.inputs = undefined;
    span.setAttributes(attributes);
  }

  private captureAgentInput(attributes: Attributes, op: OperationState, inputs: unknown): void {
    const messages =
      isRecord(inputs) && Array.isArray(inputs.messages) ? inputs.messages : undefined;
    if (messages) {
      const { input } = splitInput(messages);
      op.input = input;
      attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(input);
    } else {
      attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
    }
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    this.finishRun("handleChainEnd", runId, outputs, this.chainEnded);
  }

  private chainEnded(run: Run, span: Span, outputs: unknown): void {
    if (run.kind === "graph") this.decideGraph(run, false);
    this.settlePending(run, undefined, undefined);
    const op = run.op;
    if (this.captureContent) {
      const messages =
        run.kind === "agent" && isRecord(outputs) && Array.isArray(outputs.messages)
          ? outputs.messages
          : undefined;
      if (messages)
        span.setAttribute(
          S.ATTR_GEN_AI_OUTPUT_MESSAGES,
          this.content(messages.slice(-1).map(toOutputMessage)),
        );
      else span.setAttribute(S.ATTR_CHAIN_OUTPUTS, this.content(outputs));
    }
    if (run.interruptNode !== undefined) {
      span.setAttribute(S.ATTR_LANGGRAPH_INTERRUPT_NODE, run.interruptNode);
      if (run.isRoot && op?.conversationId)
        this.interrupted.remember(op.conversationId, span.spanContext());
    }
    this.writeTotals(run, span);
    span.end();
    if (run.kind === "agent" && op !== undefined) this.finishOperation(run, span, undefined);
  }

  override handleChainError(err: unknown, runId: string): void {
    this.finishRun("handleChainError", runId, err, this.chainFailed);
  }

  private chainFailed(run: Run, span: Span, err: unknown): void {
    if (run.kind === "graph") this.decideGraph(run, false);
    if (this.endedByControlFlow(run, span, err)) {
      if (run.kind === "agent") this.finishOperation(run, span, undefined);
      return;
    }
    if (this.cancelledBy(run, span, err)) return;
    this.writeTotals(run, span);
    const { info, passedOn } = this.failAndEnd(run, span, err);
    if (run.kind === "agent" && run.op !== undefined) this.finishOperation(run, span, info);
    this.passUp(
      run,
      passedOn ??
        this.pendingFailure(
          run,
          span,
          err,
          info,
          run.op ? { [S.ATTR_GEN_AI_OPERATION_NAME]: run.op.operation } : undefined,
        ),
    );
  }

  /**
   * LangGraph control flow (an interrupt, a command for the parent graph): the run ends normally
   * with `langchain.control_flow`; an interrupt is remembered on the root, with its node.
   */
  private endedByControlFlow(run: Run, span: Span, err: unknown): boolean {
    if (!isBubbleUp(err)) return false;
    const type = describeError(err).type;
    span.setAttribute(S.ATTR_CONTROL_FLOW, type);
    if (isInterrupt(err, type)) {
      const root = rootOf(run);
      root.interruptNode ??= run.node ?? "unknown";
      if (run.op !== undefined) run.op.interrupted = true;
    }
    this.settlePending(run, undefined, undefined);
    this.writeTotals(run, span);
    span.end();
    return true;
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
      this.startModel(
        S.OP_CHAT,
        llm,
        Array.isArray(messages) ? messages[0] : undefined,
        runId,
        parentRunId,
        extraParams,
        metadata,
        runName,
        true,
      );
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
      this.startModel(
        S.OP_TEXT_COMPLETION,
        llm,
        prompts,
        runId,
        parentRunId,
        extraParams,
        metadata,
        runName,
        false,
      );
    } catch (e) {
      this.internalError("handleLLMStart", e);
    }
  }

  private startModel(
    operation: string,
    llm: unknown,
    input: unknown,
    runId: string,
    parentRunId: string | undefined,
    extraParams: Rec | undefined,
    metadata: Rec | undefined,
    runName: string | undefined,
    chat: boolean,
  ): void {
    const params = isRecord(extraParams?.invocation_params)
      ? (extraParams!.invocation_params as Rec)
      : undefined;
    const model = requestModel(params, metadata);
    const provider = providerName(metadata?.ls_provider);
    const attributes: Attributes = { [S.ATTR_GEN_AI_OPERATION_NAME]: operation };
    const op: InferenceState = { operation, name: model ?? runNameOf(llm, runName, operation) };
    if (provider) attributes[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider = provider;
    if (model) attributes[S.ATTR_GEN_AI_REQUEST_MODEL] = op.requestModel = model;
    const requestParams: Attributes = {};
    addRequestParams(requestParams, params, metadata);
    Object.assign(attributes, requestParams);
    op.requestParams = requestParams;
    const server = serverOf(llm, params);
    if (server) {
      attributes[S.ATTR_SERVER_ADDRESS] = op.serverAddress = server.address;
      attributes[S.ATTR_SERVER_PORT] = op.serverPort = server.port;
    }
    const conv = conversationId(metadata);
    if (conv) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId = conv;
    op.metricAttrs = this.metricAttributes(metadata);
    const parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId);
    const agent = agentOf(parent);
    op.agentName = agent?.op?.name ?? fallbackAgentName(metadata);
    if (agent?.totals !== undefined) agent.totals.inferences++;
    if (this.captureContent) {
      if (chat) {
        const { system, input: history } = splitInput(input);
        op.input = history;
        attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(history);
        if (system.length) {
          op.system = system;
          attributes[S.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = this.content(system);
        }
      } else {
        op.input = promptMessages(input);
        attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(op.input);
      }
      const tools = toolDefinitions(params?.tools);
      if (tools.length) {
        op.toolDefinitions = tools;
        attributes[S.ATTR_GEN_AI_TOOL_DEFINITIONS] = this.content(tools);
      }
    }
    this.open(
      runId,
      parentRunId,
      {
        kind: "model",
        name: model ? `${operation} ${model}` : operation,
        spanKind: SpanKind.CLIENT,
        attributes,
        op,
        node: nodeOf(metadata),
      },
      parent,
    );
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
      const op = this.runs.get(runId)?.op as InferenceState | undefined;
      if (op === undefined) return;
      op.streamed = true;
      // The usage chunk of a stream has no text: it is not an output chunk. A tool-call chunk has
      // an empty token too, but it is output (a tool-call-only stream would have no first chunk).
      if (!(typeof token === "string" && token.length > 0) && !hasChunkContent(fields)) return;
      const now = performance.now();
      if (op.firstChunkAt === undefined) op.firstChunkAt = now;
      else if (op.lastChunkAt !== undefined) {
        const intervals = (op.intervals ??= []);
        if (intervals.length < MAX_CHUNK_INTERVALS) intervals.push(now - op.lastChunkAt);
      }
      op.lastChunkAt = now;
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
    this.finishRun("handleLLMEnd", runId, output, this.modelEnded, extraParams);
  }

  private modelEnded(run: Run, span: Span, output: unknown, extraParams: Rec | undefined): void {
    const op = run.op as InferenceState;
    const result = isRecord(output) ? output : {};
    const usage = usageOf(result);
    const response = responseOf(result);
    const cached = extraParams?.cached === true;
    // A cache hit replays the answer as one token: nothing was streamed from a provider.
    if (cached) op.streamed = false;
    // What the end of the call tells: set on the span, and copied into the details record.
    const ended: Attributes = {};
    if (response.model) ended[S.ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
    if (response.id) ended[S.ATTR_GEN_AI_RESPONSE_ID] = response.id;
    if (response.finishReasons.length)
      ended[S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = response.finishReasons;
    if (!op.provider && response.provider)
      ended[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider = providerName(response.provider);
    if (usage) {
      if (usage.input !== undefined) ended[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
      if (usage.output !== undefined) ended[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;
      if (usage.cacheRead !== undefined)
        ended[S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheRead;
      if (usage.cacheCreation !== undefined)
        ended[S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheCreation;
      if (usage.reasoning !== undefined)
        ended[S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning;
    }
    const ttfc =
      op.streamed && op.firstChunkAt !== undefined
        ? seconds(run.start, op.firstChunkAt)
        : undefined;
    if (op.streamed) ended[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
    if (ttfc !== undefined) ended[S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc;
    if (cached) ended[S.ATTR_CACHE_HIT] = true;
    span.setAttributes(ended);
    let output_: unknown;
    if (this.captureContent) {
      output_ = outputMessages(result.generations, response.finishReasons);
      span.setAttribute(S.ATTR_GEN_AI_OUTPUT_MESSAGES, this.content(output_));
    }
    span.end();
    const end = performance.now();
    const durationS = seconds(run.start, end);
    const attrs = this.inferenceMetricAttributes(op, response.model, undefined);
    // A cache hit made no provider call: its usage is not spent again.
    const inputTokens = cached ? undefined : usage?.input;
    const outputTokens = cached ? undefined : usage?.output;
    if (!cached) this.addToAgent(run, usage);
    if (this.genAiMetrics !== undefined) {
      this.genAiMetrics.recordInference({
        attributes: attrs,
        durationS,
        inputTokens,
        outputTokens,
        timeToFirstChunkS: ttfc,
      });
      if (op.intervals !== undefined) this.genAiMetrics.recordChunkIntervals(op.intervals, attrs);
    }
    if (this.genAiLogs !== undefined && this.genAiLogs.wants(SeverityNumber.INFO)) {
      const body = inferenceBody(
        op.operation,
        response.model ?? op.requestModel,
        usage?.input,
        usage?.output,
        durationS,
        response.finishReasons,
        undefined,
      );
      const logAttrs = this.detailsAttributes(run, op, attrs, durationS, op.requestParams);
      for (const key in ended) logAttrs[key] = ended[key];
      const content = this.captureContent ? this.logContent(op, output_) : undefined;
      this.genAiLogs.emit(
        S.EVENT_INFERENCE_DETAILS,
        SeverityNumber.INFO,
        body,
        logAttrs,
        contextOf(run),
        content,
      );
    }
  }

  /**
   * Attributes of an operation's details record: the request parameters (model calls), those
   * of its metric points, association properties, conversation id, streaming flag and duration
   * (in seconds, under the duration metric's name: the conventions have no attribute for it).
   */
  private detailsAttributes(
    run: Run,
    op: OperationState,
    metricAttrs: Attributes,
    durationS: number,
    params: Attributes | undefined,
  ): AnyValueMap {
    // Plain assignments, not spreads: spreading three objects is measurably slower per record.
    const logAttrs: AnyValueMap = {};
    if (params !== undefined) for (const key in params) logAttrs[key] = params[key];
    logAttrs[S.ATTR_GEN_AI_OPERATION_NAME] = op.operation;
    for (const key in metricAttrs) logAttrs[key] = metricAttrs[key];
    const assoc = run.assoc;
    if (assoc !== undefined) for (const key in assoc) logAttrs[key] = assoc[key];
    logAttrs[S.METRIC_OPERATION_DURATION] = durationS;
    if (op.conversationId) logAttrs[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
    if ((op as InferenceState).streamed) logAttrs[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
    return logAttrs;
  }

  /** Captured content for a log record, structured; `GenAiLogs` bounds it to the record budget. */
  private logContent(op: InferenceState, output: unknown): Record<string, unknown> {
    const content: Record<string, unknown> = {};
    if (op.system !== undefined) content[S.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = op.system;
    if (op.toolDefinitions !== undefined)
      content[S.ATTR_GEN_AI_TOOL_DEFINITIONS] = op.toolDefinitions;
    if (op.input !== undefined) content[S.ATTR_GEN_AI_INPUT_MESSAGES] = op.input;
    if (output !== undefined) content[S.ATTR_GEN_AI_OUTPUT_MESSAGES] = output;
    return content;
  }

  /** Low-cardinality attributes of a model call's metric points. */
  private inferenceMetricAttributes(
    op: OperationState,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): Attributes {
    if (op.metricAttrs !== undefined)
      return this.buildInferenceMetricAttributes(op, responseModel, errorType);
    // The same few combinations recur on every call: one shared, frozen object per combination
    // spares an allocation per point, and lets the token-type variants be cached too.
    const key = `${op.operation}\u0000${op.provider ?? ""}\u0000${op.requestModel ?? ""}\u0000${responseModel ?? ""}\u0000${op.serverAddress ?? ""}\u0000${op.serverPort ?? ""}\u0000${errorType ?? ""}`;
    let a = this.metricAttributeCache.get(key);
    if (a === undefined) {
      a = Object.freeze(this.buildInferenceMetricAttributes(op, responseModel, errorType));
      if (this.metricAttributeCache.size >= METRIC_ATTRIBUTE_CACHE_SIZE)
        this.metricAttributeCache.clear();
      this.metricAttributeCache.set(key, a);
    }
    return a;
  }

  private buildInferenceMetricAttributes(
    op: OperationState,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): Attributes {
    // Opted-in metadata first: it never overrides a conventions attribute.
    const a: Attributes = { ...op.metricAttrs, [S.ATTR_GEN_AI_OPERATION_NAME]: op.operation };
    if (op.provider) a[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider;
    if (op.requestModel) a[S.ATTR_GEN_AI_REQUEST_MODEL] = op.requestModel;
    if (responseModel) a[S.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (op.serverAddress) {
      a[S.ATTR_SERVER_ADDRESS] = op.serverAddress;
      a[S.ATTR_SERVER_PORT] = op.serverPort;
    }
    if (errorType) a[S.ATTR_ERROR_TYPE] = errorType;
    return a;
  }

  /** A model call's usage counts for the agent it belongs to, while that agent is open. */
  private addToAgent(run: Run, usage: Usage | undefined): void {
    const agent = agentOf(run.parent);
    if (agent !== undefined && !agent.ended) agent.totals?.addUsage(usage);
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.finishRun("handleLLMError", runId, err, this.modelFailed);
  }

  private modelFailed(run: Run, span: Span, err: unknown): void {
    if (this.cancelledBy(run, span, err)) return;
    const { info, passedOn } = this.failAndEnd(run, span, err);
    const op = run.op as InferenceState;
    const durationS = seconds(run.start, performance.now());
    const attrs = this.inferenceMetricAttributes(op, undefined, info.type);
    this.genAiMetrics?.recordInference({ attributes: attrs, durationS });
    // The details record too (the conventions give it `error.type` for failed calls), so a
    // Loki query over details records sees every call, like the duration histogram.
    const severity = run.isRoot ? SeverityNumber.ERROR : SeverityNumber.WARN;
    if (this.genAiLogs !== undefined && this.genAiLogs.wants(severity)) {
      const body = inferenceBody(
        op.operation,
        op.requestModel,
        undefined,
        undefined,
        durationS,
        undefined,
        info.type,
      );
      const content = this.captureContent ? this.logContent(op, undefined) : undefined;
      this.genAiLogs.emit(
        S.EVENT_INFERENCE_DETAILS,
        severity,
        body,
        this.detailsAttributes(run, op, attrs, durationS, op.requestParams),
        contextOf(run),
        content,
      );
    }
    this.passUp(run, passedOn ?? this.pendingFailure(run, span, err, info, attrs));
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
      const name = runNameOf(tool, runName, "tool");
      const attributes: Attributes = {
        [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_EXECUTE_TOOL,
        [S.ATTR_GEN_AI_TOOL_NAME]: name,
        [S.ATTR_GEN_AI_TOOL_TYPE]: "function",
      };
      if (typeof toolCallId === "string" && toolCallId)
        attributes[S.ATTR_GEN_AI_TOOL_CALL_ID] = identifier(toolCallId);
      const description =
        isRecord(tool) && typeof tool.description === "string" ? tool.description : undefined;
      if (description) attributes[S.ATTR_GEN_AI_TOOL_DESCRIPTION] = cutString(description, 1024);
      const op: ToolState = {
        operation: S.OP_EXECUTE_TOOL,
        name,
        conversationId: conversationId(metadata),
      };
      // The agent that called the tool is its nearest invoke_agent run; inherited metadata
      // (which names the OUTER agent inside a nested one) only when the handler saw no agent.
      const parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId);
      const agent = agentOf(parent);
      op.agentName = agent?.op?.name ?? fallbackAgentName(metadata);
      if (agent?.totals !== undefined) agent.totals.tools++;
      if (typeof toolCallId === "string" && toolCallId) op.toolCallId = identifier(toolCallId);
      op.metricAttrs = this.metricAttributes(metadata);
      if (op.conversationId) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
      if (this.captureContent) {
        attributes[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = boundedText(input, this.maxContent);
        op.input = input;
      }
      this.open(
        runId,
        parentRunId,
        {
          kind: "tool",
          name: `${S.OP_EXECUTE_TOOL} ${name}`,
          spanKind: SpanKind.INTERNAL,
          attributes,
          op,
          node: nodeOf(metadata),
        },
        parent,
      );
    } catch (e) {
      this.internalError("handleToolStart", e);
    }
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.finishRun("handleToolEnd", runId, output, this.toolEnded);
  }

  private toolEnded(run: Run, span: Span, output: unknown): void {
    this.settlePending(run, undefined, undefined);
    let result: unknown;
    if (this.captureContent) {
      // Agents pass a ToolMessage: its content is the result.
      result =
        isRecord(output) && "content" in output && "tool_call_id" in output
          ? output.content
          : output;
      span.setAttribute(S.ATTR_GEN_AI_TOOL_CALL_RESULT, boundedText(result, this.maxContent));
    }
    span.end();
    this.finishOperation(run, span, undefined, result);
  }

  override handleToolError(err: unknown, runId: string): void {
    this.finishRun("handleToolError", runId, err, this.toolFailed);
  }

  private toolFailed(run: Run, span: Span, err: unknown): void {
    // interrupt() inside a tool reaches the tool's error callback first.
    if (this.endedByControlFlow(run, span, err)) return this.finishOperation(run, span, undefined);
    if (this.cancelledBy(run, span, err)) return;
    const { info, passedOn } = this.failAndEnd(run, span, err);
    this.finishOperation(run, span, info);
    this.passUp(run, passedOn ?? this.pendingFailure(run, span, err, info, undefined));
  }

  /** Duration metric and details record of a tool or agent run (with `error.type` when it failed). */
  private finishOperation(
    run: Run,
    span: Span,
    error: ErrorInfo | undefined,
    result?: unknown,
  ): void {
    const op = run.op as ToolState | undefined;
    if (op === undefined) return;
    const durationS = seconds(run.start, performance.now());
    const attrs = this.operationMetricAttributes(op, error?.type);
    const isTool = op.operation === S.OP_EXECUTE_TOOL;
    if (this.genAiMetrics !== undefined) {
      if (isTool) this.genAiMetrics.recordTool(durationS, attrs);
      else this.genAiMetrics.recordAgent(durationS, attrs);
    }
    const severity =
      error === undefined
        ? SeverityNumber.INFO
        : run.isRoot
          ? SeverityNumber.ERROR
          : SeverityNumber.WARN;
    if (this.genAiLogs !== undefined && this.genAiLogs.wants(severity)) {
      const logAttrs = this.detailsAttributes(run, op, attrs, durationS, undefined);
      if (op.toolCallId) logAttrs[S.ATTR_GEN_AI_TOOL_CALL_ID] = op.toolCallId;
      if (run.totals !== undefined) run.totals.write(logAttrs as Attributes);
      if (run.interruptNode !== undefined)
        logAttrs[S.ATTR_LANGGRAPH_INTERRUPT_NODE] = run.interruptNode;
      let content: Record<string, unknown> | undefined;
      if (this.captureContent) {
        content = {};
        if (isTool) {
          if (op.input !== undefined) content[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = op.input;
          if (result !== undefined) content[S.ATTR_GEN_AI_TOOL_CALL_RESULT] = result;
        } else if (op.input !== undefined) content[S.ATTR_GEN_AI_INPUT_MESSAGES] = op.input;
      }
      this.genAiLogs.emit(
        S.EVENT_OPERATION_DETAILS,
        severity,
        this.operationLine(run, op, durationS, error?.type),
        logAttrs,
        contextOf(run),
        content,
      );
    }
  }

  private operationMetricAttributes(op: OperationState, errorType: string | undefined): Attributes {
    return op.operation === S.OP_EXECUTE_TOOL
      ? toolMetricAttributes(op.name, "function", op.agentName, errorType, op.metricAttrs)
      : agentMetricAttributes(op.name, errorType, op.metricAttrs);
  }

  /** The body of a tool or agent details record: `invoke_agent support: 3.20 s, 2 model calls, failed: TimeoutError`. */
  private operationLine(
    run: Run,
    op: OperationState,
    durationS: number,
    errorType: string | undefined,
    cancelled?: CancelReason,
  ): string {
    let line = operationBody(op.operation, op.name, durationS, undefined);
    const summary = run.totals?.summary();
    if (summary) line += `, ${summary}`;
    if (errorType) line += `, failed: ${errorType}`;
    else if (cancelled) line += `, cancelled: ${cancelled}`;
    else if (run.interruptNode !== undefined) line += `, interrupted at ${run.interruptNode}`;
    else if (op.interrupted) line += ", interrupted";
    return line;
  }

  /**
   * The `gen_ai.client.operation.exception` record of a failure where it originated: the failed
   * operation's attributes, conversation id, agent name, error and exception attributes. Emitted
   * once its fate is known (see {@link passUp}).
   */
  private pendingFailure(
    run: Run,
    span: Span,
    raw: unknown,
    error: ErrorInfo,
    attrs: Attributes | undefined,
  ): PendingFailure {
    const base: AnyValueMap = { ...(attrs ?? {}), ...(run.assoc as AnyValueMap | undefined) };
    const op = run.op;
    if (op !== undefined) {
      base[S.ATTR_GEN_AI_OPERATION_NAME] = op.operation;
      if (op.operation === S.OP_EXECUTE_TOOL) base[S.ATTR_GEN_AI_TOOL_NAME] = op.name;
      if (op.conversationId) base[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
    }
    const agentName =
      op?.operation === S.OP_INVOKE_AGENT
        ? op.name
        : (op?.agentName ?? agentOf(run.parent)?.op?.name);
    if (agentName) base[S.ATTR_GEN_AI_AGENT_NAME] = agentName;
    if (base[S.ATTR_GEN_AI_CONVERSATION_ID] === undefined) {
      const conv = conversationOf(run);
      if (conv) base[S.ATTR_GEN_AI_CONVERSATION_ID] = conv;
    }
    base[S.ATTR_ERROR_TYPE] = error.type;
    // A run without operation data (a workflow or plain chain) is named after its span.
    const spanName = (span as { name?: unknown }).name;
    const label = op
      ? `${op.operation} ${op.name}`
      : typeof spanName === "string" && spanName
        ? spanName
        : "run";
    return {
      raw,
      info: error,
      ctx: contextOf(run),
      body: `${label} failed: ${error.type}: ${cutString(error.message, 512)}`,
      attributes: exceptionAttributes(base, {
        type: error.type,
        message: cutString(error.message, 4096),
        stack: error.stack ? cutString(error.stack, 8192) : undefined,
      }),
    };
  }

  // ---------------------------------------------------------------- cancellation

  /** A run that failed because it was aborted ends as cancelled, not failed. */
  private cancelledBy(run: Run, span: Span, err: unknown): boolean {
    if (!isAbort(err, describeError(err).type, isGraphKind(run.kind))) return false;
    this.endCancelled(run, span, "aborted", err);
    return true;
  }

  /** What `endRunAsCancelled` (cancellation.ts) calls: the run and its open descendants, children first. */
  private cancelSubtree(runId: string, reason: CancelReason): number {
    try {
      const runs = this.runs.takeSubtree(runId);
      for (const run of runs) {
        try {
          if (run.span !== undefined) this.endCancelled(run, run.span, reason, undefined);
          else this.settlePending(run, undefined, undefined);
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

  /**
   * Cancelled: status UNSET, `langchain.run.cancelled`, what was measured so far (a model's stream
   * flag, time to first chunk, partial usage), an INFO details record; no duration points (the
   * operation did not complete), no exception record.
   */
  private endCancelled(run: Run, span: Span, reason: CancelReason, err: unknown): void {
    if (run.kind === "graph") this.decideGraph(run, false);
    this.settlePending(run, undefined, undefined);
    span.setAttribute(S.ATTR_RUN_CANCELLED, reason);
    const op = run.op;
    if (run.kind === "model" && op !== undefined)
      return this.modelCancelled(run, span, op as InferenceState, reason, err);
    this.writeTotals(run, span);
    span.end();
    if (
      op === undefined ||
      run.kind === "workflow" ||
      this.genAiLogs === undefined ||
      !this.genAiLogs.wants(SeverityNumber.INFO)
    )
      return;
    const durationS = seconds(run.start, performance.now());
    const logAttrs = this.detailsAttributes(
      run,
      op,
      this.operationMetricAttributes(op, undefined),
      durationS,
      undefined,
    );
    logAttrs[S.ATTR_RUN_CANCELLED] = reason;
    if (run.totals !== undefined) run.totals.write(logAttrs as Attributes);
    this.genAiLogs.emit(
      S.EVENT_OPERATION_DETAILS,
      SeverityNumber.INFO,
      this.operationLine(run, op, durationS, undefined, reason),
      logAttrs,
      contextOf(run),
    );
  }

  private modelCancelled(
    run: Run,
    span: Span,
    op: InferenceState,
    reason: CancelReason,
    err: unknown,
  ): void {
    const partial = partialOutputOf(err);
    const usage = isRecord(partial)
      ? usageOf({ generations: [[{ message: partial }]] })
      : undefined;
    const ended: Attributes = { [S.ATTR_RUN_CANCELLED]: reason };
    if (usage?.input !== undefined) ended[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
    if (usage?.output !== undefined) ended[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;
    const ttfc =
      op.streamed && op.firstChunkAt !== undefined
        ? seconds(run.start, op.firstChunkAt)
        : undefined;
    if (op.streamed) ended[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
    if (ttfc !== undefined) ended[S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc;
    span.setAttributes(ended);
    span.end();
    this.addToAgent(run, usage);
    const durationS = seconds(run.start, performance.now());
    const attrs = this.inferenceMetricAttributes(op, undefined, undefined);
    this.genAiMetrics?.recordTokensAndFirstChunk({
      attributes: attrs,
      inputTokens: usage?.input,
      outputTokens: usage?.output,
      timeToFirstChunkS: ttfc,
    });
    if (this.genAiLogs !== undefined && this.genAiLogs.wants(SeverityNumber.INFO)) {
      const logAttrs = this.detailsAttributes(run, op, attrs, durationS, op.requestParams);
      for (const key in ended) logAttrs[key] = ended[key];
      const tokens =
        usage?.input !== undefined || usage?.output !== undefined
          ? `${usage.input ?? 0} in / ${usage.output ?? 0} out tokens, `
          : "";
      const body = `${op.operation} ${op.requestModel ?? op.name}: ${tokens}${durationS.toFixed(2)} s, cancelled: ${reason}`;
      this.genAiLogs.emit(
        S.EVENT_INFERENCE_DETAILS,
        SeverityNumber.INFO,
        body,
        logAttrs,
        contextOf(run),
      );
    }
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
      const source = runNameOf(retriever, name, "retriever");
      const attributes: Attributes = {
        [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_RETRIEVAL,
        [S.ATTR_GEN_AI_DATA_SOURCE_ID]: source,
      };
      const op: OperationState = {
        operation: S.OP_RETRIEVAL,
        name: source,
        conversationId: conversationId(metadata),
      };
      const parent = parentRunId === undefined ? undefined : this.runs.get(parentRunId);
      op.agentName = agentOf(parent)?.op?.name ?? fallbackAgentName(metadata);
      if (op.conversationId) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
      if (this.captureContent)
        attributes[S.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT] = boundedText(query, this.maxContent);
      this.open(
        runId,
        parentRunId,
        {
          kind: "retriever",
          name: `${S.OP_RETRIEVAL} ${source}`,
          spanKind: SpanKind.CLIENT,
          attributes,
          op,
          node: nodeOf(metadata),
        },
        parent,
      );
    } catch (e) {
      this.internalError("handleRetrieverStart", e);
    }
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.finishRun("handleRetrieverEnd", runId, documents, this.retrieverEnded);
  }

  private retrieverEnded(run: Run, span: Span, documents: unknown): void {
    const count = Array.isArray(documents) ? documents.length : undefined;
    if (count !== undefined) span.setAttribute(S.ATTR_RETRIEVAL_DOCUMENT_COUNT, count);
    if (this.captureContent && Array.isArray(documents)) {
      let scored = true;
      const docs = documents.slice(0, 100).map((d, i) => {
        const doc = isRecord(d) ? d : {};
        const meta = isRecord(doc.metadata) ? doc.metadata : {};
        const id = doc.id ?? meta.id ?? meta.source ?? String(i);
        const score = scoreOf(meta);
        if (score === undefined) scored = false;
        return {
          id: String(id),
          ...(score !== undefined ? { score } : {}),
          content: doc.pageContent,
        };
      });
      // The conventions' schema requires a score per document; most retrievers give none, and
      // then the list goes under our own attribute rather than break the schema.
      span.setAttribute(
        scored ? S.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS : S.ATTR_RETRIEVAL_DOCUMENTS,
        this.content(docs),
      );
    }
    span.end();
    this.retrievalRecord(run, undefined, count);
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.finishRun("handleRetrieverError", runId, err, this.retrieverFailed);
  }

  private retrieverFailed(run: Run, span: Span, err: unknown): void {
    if (this.cancelledBy(run, span, err)) return;
    const { info, passedOn } = this.failAndEnd(run, span, err);
    this.retrievalRecord(run, info.type, undefined);
    this.passUp(
      run,
      passedOn ??
        this.pendingFailure(run, span, err, info, {
          [S.ATTR_GEN_AI_DATA_SOURCE_ID]: run.op?.name ?? "",
        }),
    );
  }

  /** Details record of a retrieval, like a tool's: no content, the document count. */
  private retrievalRecord(
    run: Run,
    errorType: string | undefined,
    count: number | undefined,
  ): void {
    const op = run.op;
    const severity =
      errorType === undefined
        ? SeverityNumber.INFO
        : run.isRoot
          ? SeverityNumber.ERROR
          : SeverityNumber.WARN;
    if (op === undefined || this.genAiLogs === undefined || !this.genAiLogs.wants(severity)) return;
    const durationS = seconds(run.start, performance.now());
    const attrs: AnyValueMap = {
      [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_RETRIEVAL,
      [S.ATTR_GEN_AI_DATA_SOURCE_ID]: op.name,
    };
    if (op.conversationId) attrs[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
    if (op.agentName) attrs[S.ATTR_GEN_AI_AGENT_NAME] = op.agentName;
    if (count !== undefined) attrs[S.ATTR_RETRIEVAL_DOCUMENT_COUNT] = count;
    if (errorType) attrs[S.ATTR_ERROR_TYPE] = errorType;
    const assoc = run.assoc;
    if (assoc !== undefined) for (const key in assoc) attrs[key] = assoc[key];
    attrs[S.METRIC_OPERATION_DURATION] = durationS;
    let body = operationBody(S.OP_RETRIEVAL, op.name, durationS, errorType);
    if (count !== undefined) body += `, ${count} document${count === 1 ? "" : "s"}`;
    this.genAiLogs.emit(S.EVENT_OPERATION_DETAILS, severity, body, attrs, contextOf(run));
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
      if (run === undefined) return undefined;
      return run.span === undefined ? run.parentCtx : contextOf(run);
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

/** The agent named by inherited metadata (`createAgent`'s `lc_agent_name`): only when the run tree has no agent. */
function fallbackAgentName(metadata: Rec | undefined): string | undefined {
  const name = metadata?.lc_agent_name;
  return typeof name === "string" && name ? identifier(name) : undefined;
}

/** The conversation id of the nearest run above (or at) `run` that has one. */
function conversationOf(run: Run): string | undefined {
  for (let r: Run | undefined = run; r !== undefined; r = r.parent)
    if (r.op?.conversationId) return r.op.conversationId;
  return undefined;
}

/** A retrieved document's relevance score, where retrievers and rerankers put it in the metadata. */
function scoreOf(meta: Rec): number | undefined {
  for (const key of ["score", "relevance_score", "relevanceScore", "_score", "similarity_score"]) {
    const v = meta[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}

function hasChunkContent(fields: unknown): boolean {
  const chunk = isRecord(fields) ? fields.chunk : undefined;
  if (!isRecord(chunk)) return false;
  const msg = isRecord(chunk.message) ? chunk.message : undefined;
  if (typeof chunk.text === "string" && chunk.text.length) return true;
  if (msg && Array.isArray(msg.tool_call_chunks) && msg.tool_call_chunks.length) return true;
  return false;
}
