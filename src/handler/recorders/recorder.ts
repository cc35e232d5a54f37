/**
 * What every recorder shares: the handler's signal sinks and options, how a run's span is opened
 * (parented, with the association attributes in force), and the endings common to several kinds
 * (control flow, cancellation, an operation's duration point and details record).
 */
import {
  context,
  SpanKind,
  type Attributes,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { isAbort, isBubbleUp, isInterrupt } from "../../langchain/langgraph.js";
import { describeError, type ErrorInfo } from "../../signals/errors.js";
import {
  detailsAttributes,
  operationBody,
  operationContent,
  SeverityNumber,
  type GenAiLogs,
} from "../../signals/logs.js";
import {
  metadataMetricAttributes,
  operationMetricAttributes,
  type InferenceMetricAttributes,
} from "../../signals/metric-attributes.js";
import type { GenAiMetrics } from "../../signals/metrics.js";
import type { LatestGenAiMetrics } from "../../signals/metrics-latest.js";
import type { SemconvMode } from "../semconv-stability.js";
import { boundedJson } from "../../util/content.js";
import { getAssociationAttributes, LANGCHAIN_RUN_KEY } from "../../util/context-keys.js";
import * as S from "../../semconv.js";
import type { CancelReason } from "../cancellation.js";
import type { Failures } from "../failures.js";
import type { InterruptedRuns } from "../interrupts.js";
import type { ToolDescriptions } from "../tool-descriptions.js";
import {
  childContextOf,
  contextOf,
  rootOf,
  type GraphRun,
  type Run,
  type RunPlacement,
  type RunRegistry,
  type SpanRun,
  type ToolRun,
} from "../runs.js";

/** A plain record of LangChain's callback payloads (metadata, extra params). */
export type Rec = Record<string, unknown>;

/** What the handler gives its recorders: built once, in its constructor. */
export interface RecorderContext {
  tracer: Tracer;
  runs: RunRegistry;
  failures: Failures;
  metrics: GenAiMetrics | undefined;
  /** The latest conventions' instruments: only when they are opted in. */
  latestMetrics: LatestGenAiMetrics | undefined;
  /** Which conventions to emit (resolved once, in the handler's constructor). */
  semconv: SemconvMode;
  logs: GenAiLogs | undefined;
  inferenceAttributes: InferenceMetricAttributes;
  /** Interrupted roots by thread id, for the span link of their resume. */
  interrupted: InterruptedRuns;
  /** Tool descriptions from model calls' tool definitions, per run tree. */
  toolDescriptions: ToolDescriptions;
  captureContent: boolean;
  maxContent: number;
  metricMetadataKeys: readonly string[];
  /**
   * Option `dedupeClientMetrics`: no duration/token points for calls an instrumented client
   * records.
   */
  dedupeClientMetrics: boolean;
}

/** Where a run starts: its id, its parent's id, and the parent run when the handler knows it. */
export interface RunStart {
  runId: string;
  parentRunId: string | undefined;
  parent: Run | undefined;
}

/** What a run's span is opened with. */
export interface SpanSpec {
  name: string;
  spanKind: SpanKind;
  attributes: Attributes | undefined;
  node: string | undefined;
  links?: Link[];
}

export function seconds(from: number, to: number): number {
  return (to - from) / 1000;
}

/** The severity of a details record: INFO, or for a failure ERROR at a root and WARN below. */
export function severityOf(run: Run, failed: boolean): SeverityNumber {
  if (!failed) return SeverityNumber.INFO;
  return run.isRoot ? SeverityNumber.ERROR : SeverityNumber.WARN;
}

/** The recorder of one run kind: how such a run starts, ends, fails and is cancelled. */
export abstract class Recorder<R extends SpanRun> {
  constructor(protected readonly c: RecorderContext) {}

  /** A successful end callback. */
  abstract end(run: R, output: unknown, extra: Rec | undefined): void;
  /** An error callback. */
  abstract fail(run: R, err: unknown): void;
  /** Cancelled (aborted, or its consumer stopped reading); `err` is the abort error, if any. */
  abstract cancel(run: R, reason: CancelReason, err: unknown): void;

  protected content(value: unknown): string {
    return boundedJson(value, this.c.maxContent);
  }

  protected metricAttributes(metadata: Rec | undefined): Attributes | undefined {
    return metadataMetricAttributes(metadata, this.c.metricMetadataKeys);
  }

  /**
   * Opens the span of a run and returns the fields every run has. Parented on the span of the
   * parent run, or on the OpenTelemetry context active when a root run starts.
   */
  protected open(at: RunStart, spec: SpanSpec): RunPlacement & { span: Span } {
    const { parent, parentRunId } = at;
    let attributes = spec.attributes;
    // Annotated code (traceTask & co.) running inside the parent run marked the active context
    // with that run's id: its span, opened inside the run, is the closer parent.
    const active = context.active();
    const inner = parent !== undefined && active.getValue(LANGCHAIN_RUN_KEY) === parentRunId;
    const parentCtx = parent === undefined || inner ? active : childContextOf(parent);
    const assoc =
      parent === undefined || inner ? getAssociationAttributes(parentCtx) : parent.assoc;
    if (assoc !== undefined) {
      // The run's own values (e.g. gen_ai.conversation.id from thread_id) win over the scope's.
      if (attributes === undefined) attributes = { ...assoc };
      else for (const key in assoc) if (!(key in attributes)) attributes[key] = assoc[key];
    }
    const span = this.c.tracer.startSpan(
      spec.name,
      { kind: spec.spanKind, attributes, links: spec.links },
      parentCtx,
    );
    return {
      parent,
      node: spec.node,
      span,
      parentCtx,
      ctx: undefined,
      start: performance.now(),
      isRoot: parentRunId === undefined,
      assoc,
    };
  }

  /**
   * A run where the graph was interrupted (a root) says at which node; an interrupted root
   * thread is remembered for the span link of its resume.
   */
  protected markInterrupted(run: ChainLike | GraphRun): void {
    if (run.interruptNode === undefined) return;
    run.span.setAttribute(S.ATTR_LANGGRAPH_INTERRUPT_NODE, run.interruptNode);
    const conv = run.op?.conversationId;
    if (run.isRoot && conv) this.c.interrupted.remember(conv, run.span.spanContext());
  }

  /** A run that failed because it was aborted ends as cancelled, not failed. */
  protected cancelledBy(run: R, err: unknown, isGraph: boolean): boolean {
    if (!isAbortError(err, isGraph)) return false;
    this.cancel(run, "aborted", err);
    return true;
  }

  /**
   * LangGraph control flow (an interrupt, a command for the parent graph): the run ends normally
   * with `langchain.control_flow`; an interrupt is remembered on the root, with its node.
   */
  protected endedByControlFlow(run: GraphRun | ChainLike | ToolRun, err: unknown): boolean {
    if (!isBubbleUp(err)) return false;
    const type = describeError(err).type;
    const span = run.span;
    span.setAttribute(S.ATTR_CONTROL_FLOW, type);
    if (isInterrupt(err, type)) {
      const root = rootOf(run);
      root.interruptNode ??= run.node ?? "unknown";
      if (run.op !== undefined) run.op.interrupted = true;
    }
    this.c.failures.settle(run);
    writeTotals(run, this.c.semconv);
    span.end();
    return true;
  }

  /** Duration point and details record of a tool or agent run (with `error.type` when failed). */
  protected finishOperation(
    run: GraphRun | ToolRun,
    error: ErrorInfo | undefined,
    result?: unknown,
  ): void {
    const op = run.op;
    const durationS = seconds(run.start, performance.now());
    const attrs = operationMetricAttributes(op, error?.type);
    const isTool = run.kind === "tool";
    if (this.c.metrics !== undefined) {
      if (isTool) this.c.metrics.recordTool(durationS, attrs);
      else this.c.metrics.recordAgent(durationS, attrs);
    }
    if (this.c.latestMetrics !== undefined && run.kind !== "tool" && run.totals !== undefined)
      this.c.latestMetrics.recordAgentCalls(run.totals.inferences, run.totals.tools, {
        [S.ATTR_GEN_AI_AGENT_NAME]: op.name,
      });
    const severity = severityOf(run, error !== undefined);
    const logs = this.c.logs;
    if (logs === undefined || !logs.wants(severity)) return;
    const logAttrs = detailsAttributes({
      operation: op.operation,
      metricAttributes: attrs,
      assoc: run.assoc,
      durationS,
      conversationId: op.conversationId,
    });
    if (run.kind === "tool" && run.op.toolCallId)
      logAttrs[S.ATTR_GEN_AI_TOOL_CALL_ID] = run.op.toolCallId;
    const totals = run.kind === "tool" ? undefined : run.totals;
    if (totals !== undefined) totals.write(logAttrs as Attributes, this.c.semconv);
    if (run.interruptNode !== undefined)
      logAttrs[S.ATTR_LANGGRAPH_INTERRUPT_NODE] = run.interruptNode;
    logs.emit({
      eventName: S.EVENT_OPERATION_DETAILS,
      severity,
      body: operationBody({
        operation: op.operation,
        name: op.name,
        durationS,
        summary: totals?.summary(),
        errorType: error?.type,
        interruptNode: run.interruptNode,
        interrupted: op.interrupted,
      }),
      attributes: logAttrs,
      context: contextOf(run),
      content: this.c.captureContent ? operationContent(isTool, op.input, result) : undefined,
    });
  }

  /**
   * Cancelled: status UNSET, `langchain.run.cancelled`, an INFO details record for an operation
   * (an agent, a tool, a retrieval; a workflow or chain has none); no duration point (the
   * operation did not complete), no exception record.
   */
  protected endCancelled(run: SpanRun, reason: CancelReason): void {
    this.c.failures.settle(run);
    const span = run.span;
    span.setAttribute(S.ATTR_RUN_CANCELLED, reason);
    writeTotals(run, this.c.semconv);
    span.end();
    const op = run.op;
    const logs = this.c.logs;
    if (op === undefined || run.kind === "workflow" || logs === undefined) return;
    if (!logs.wants(SeverityNumber.INFO)) return;
    const durationS = seconds(run.start, performance.now());
    const logAttrs = detailsAttributes({
      operation: op.operation,
      metricAttributes: operationMetricAttributes(op, undefined),
      assoc: run.assoc,
      durationS,
      conversationId: op.conversationId,
    });
    logAttrs[S.ATTR_RUN_CANCELLED] = reason;
    const totals = run.kind === "agent" || run.kind === "graph" ? run.totals : undefined;
    if (totals !== undefined) totals.write(logAttrs as Attributes, this.c.semconv);
    logs.emit({
      eventName: S.EVENT_OPERATION_DETAILS,
      severity: SeverityNumber.INFO,
      body: operationBody({
        operation: op.operation,
        name: op.name,
        durationS,
        summary: totals?.summary(),
        cancelled: reason,
        interruptNode: run.interruptNode,
        interrupted: op.interrupted,
      }),
      attributes: logAttrs,
      context: contextOf(run),
    });
  }
}

/** Chains and nodes, for {@link Recorder.endedByControlFlow}. */
type ChainLike = Extract<SpanRun, { kind: "chain" | "node" }>;

/** Whether `err` is an abort: the run ends as cancelled (graphs: LangGraph's own aborts too). */
export function isAbortError(err: unknown, isGraph: boolean): boolean {
  return isAbort(err, describeError(err).type, isGraph);
}

/** An agent's totals, on its span. */
export function writeTotals(run: Run, semconv: SemconvMode): void {
  if (run.kind !== "agent" && run.kind !== "graph" && run.kind !== "workflow") return;
  if (run.totals === undefined) return;
  const totals: Attributes = {};
  run.totals.write(totals, semconv);
  run.span.setAttributes(totals);
}
