/**
 * Run bookkeeping: the open runs by LangChain run id, in start order, with a hard cap and a
 * timeout for runs that never end. Like LangChain's `BaseTracer`: a run map and little else.
 */
import { trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import type { AgentTotals } from "./agent-totals.js";
import type { PendingFailure } from "./failures.js";

/** The kinds of a LangGraph graph run: `graph` is not yet known to be an agent or a workflow. */
export type GraphKind = "agent" | "workflow" | "graph";

/**
 * What a run is: `hidden` (an alias, no span), a plain `chain`, a LangGraph `node`, a `workflow`
 * or `agent` (graphs, root chains), a `graph` not yet known to be one or the other (decided at its
 * first node), a `model`, `tool` or `retriever` call.
 */
export type RunKind = Run["kind"];

/** What a model/tool/agent run keeps between start and end, for metrics and log records. */
export interface OperationState {
  operation: string;
  name: string;
  provider?: string;
  requestModel?: string;
  serverAddress?: string;
  serverPort?: number;
  conversationId?: string;
  /** Captured content (only when capture is on), structured, for log records. */
  input?: unknown;
  /** Opted-in run metadata for metrics. */
  metricAttrs?: Attributes;
  /** Ended by `interrupt()` (control flow): said in its details record. */
  interrupted?: boolean;
  /** The agent the run belongs to (nearest `invoke_agent` ancestor; for records and metrics). */
  agentName?: string;
}

/** State of a model run between start and end (extends the common operation state). */
export interface InferenceState extends OperationState {
  /** Request parameters (temperature, max tokens, ...) for the details log record. */
  requestParams?: Attributes;
  /** Captured content (only when capture is on), structured, for log records. */
  system?: unknown;
  toolDefinitions?: unknown;
  firstChunkAt?: number;
  lastChunkAt?: number;
  intervals?: number[];
  /** Streamed over the wire: a token carried a chunk, or the result was assembled from chunks. */
  streamed?: boolean;
  /** `handleLLMNewToken` calls (Gemini calls it once in a plain call too). */
  tokens?: number;
  /** Anthropic streams: `message_delta`'s final output count (LangChain's sum is one too many). */
  finalOutputTokens?: number;
  /**
   * The model object making the call (`noteModelInstance`, called by the run-scope wrapper), read
   * at the end for client instrumentation.
   */
  model?: object;
}

/** State of a tool run: the call id, for its metric and record. */
export interface ToolState extends OperationState {
  toolCallId?: string;
}

/** What every open run has, whatever its kind. */
interface RunBase {
  /** The parent run as LangChain reported it (an alias too), for walks up the run tree. */
  parent: Run | undefined;
  /** `langgraph_node` of the run (a node's own name; what every run inside a node inherits). */
  node?: string;
  /** Set when the run left the registry (ended, failed, cancelled, expired). */
  ended?: boolean;
  /** Failures of descendants waiting for this run's outcome (see failures.ts). */
  pending?: PendingFailure[];
  /** Roots: the node where the run was interrupted. */
  interruptNode?: string;
  /** Context in which the span was started (parent), kept to build the child context lazily. */
  parentCtx: Context;
  /** Context with this run's span active; built on first use. */
  ctx: Context | undefined;
  /** `performance.now()` at start. */
  start: number;
  isRoot: boolean;
  /** Association attributes in force for this run's tree. */
  assoc: Attributes | undefined;
}

/** A hidden LangGraph run: no span; its children attach to `target`. */
export interface HiddenRun extends RunBase {
  kind: "hidden";
  span: undefined;
  /** The nearest recorded ancestor (`undefined` = the context active at its start). */
  target: SpanRun | undefined;
  op: undefined;
}

/** A plain chain, or a LangGraph node. */
export interface ChainRun extends RunBase {
  kind: "chain" | "node";
  span: Span;
  op: undefined;
}

/** An agent, a workflow, or a graph to be decided at its first node. */
export interface GraphRun extends RunBase {
  kind: GraphKind;
  span: Span;
  op: OperationState;
  /** Agents: totals of their own inference and tool calls. */
  totals?: AgentTotals;
  /** Pending graphs (capture on): the input, recorded once the graph's kind is known. */
  inputs?: unknown;
}

export interface ModelRun extends RunBase {
  kind: "model";
  span: Span;
  op: InferenceState;
}

export interface ToolRun extends RunBase {
  kind: "tool";
  span: Span;
  op: ToolState;
}

export interface RetrieverRun extends RunBase {
  kind: "retriever";
  span: Span;
  op: OperationState;
}

/** One open run: its `kind` tells which state it holds. */
export type Run = HiddenRun | ChainRun | GraphRun | ModelRun | ToolRun | RetrieverRun;

/** A run with a span of its own. */
export type SpanRun = Exclude<Run, HiddenRun>;

/** The fields of a run that do not depend on its kind (what opening or aliasing a run sets). */
export type RunPlacement = Omit<RunBase, "ended" | "pending" | "interruptNode">;

/** Context with `run`'s span active, built once. */
export function contextOf(run: SpanRun): Context {
  if (!run.ctx) run.ctx = trace.setSpan(run.parentCtx, run.span);
  return run.ctx;
}

/** The context in which `run`'s children start: its span's, or, for an alias, its parent's. */
export function childContextOf(run: Run): Context {
  return run.span === undefined ? run.parentCtx : contextOf(run);
}

/** The nearest `invoke_agent` run at or above `run` in the run tree. */
export function agentOf(run: Run | undefined): GraphRun | undefined {
  for (let r = run; r !== undefined; r = r.parent) if (r.kind === "agent") return r;
  return undefined;
}

/** The top of `run`'s run tree as far as this handler saw it. */
export function rootOf(run: Run): Run {
  let r = run;
  while (r.parent !== undefined) r = r.parent;
  return r;
}

/** The conversation id of the nearest run above (or at) `run` that has one. */
export function conversationOf(run: Run): string | undefined {
  for (let r: Run | undefined = run; r !== undefined; r = r.parent)
    if (r.op?.conversationId) return r.op.conversationId;
  return undefined;
}

/**
 * Open runs in start order (a `Map` keeps insertion order, so the oldest is always first and
 * the timeout sweep stops at the first run that is still young).
 */
export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly maxRuns: number,
    private readonly expire: (run: Run, reason: string) => void,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  get(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  add(runId: string, run: Run): void {
    if (this.runs.has(runId)) this.expireOne(runId, "duplicate_run_id");
    while (this.runs.size >= this.maxRuns) {
      const oldest = this.runs.keys().next().value as string;
      this.expireOne(oldest, "open_run_limit");
    }
    this.runs.set(runId, run);
    if (this.timer === undefined && this.timeoutMs > 0) {
      // Unref'd: the sweep never keeps a process alive.
      this.timer = setInterval(
        () => this.sweep(),
        Math.max(50, Math.min(this.timeoutMs / 2, 30_000)),
      );
      this.timer.unref?.();
    }
  }

  /**
   * Removes and returns the run. The sweep timer is not stopped here (creating and clearing an
   * interval on every request costs more than the sweep): the sweep stops it when it finds
   * nothing open.
   */
  take(runId: string): Run | undefined {
    const run = this.runs.get(runId);
    if (run !== undefined) {
      this.runs.delete(runId);
      run.ended = true;
    }
    return run;
  }

  /**
   * Removes and returns the run and its open descendants, newest first (children before parents).
   */
  takeSubtree(runId: string): Run[] {
    const root = this.runs.get(runId);
    if (root === undefined) return [];
    const out: { id: string; run: Run }[] = [];
    for (const [id, run] of this.runs) {
      for (let r: Run | undefined = run; r !== undefined; r = r.parent) {
        if (r === root) {
          out.push({ id, run });
          break;
        }
      }
    }
    for (const { id, run } of out) {
      this.runs.delete(id);
      run.ended = true;
    }
    return out.reverse().map((e) => e.run);
  }

  /** Ends runs older than the timeout; stops the timer once nothing is open. */
  sweep(now = performance.now()): void {
    for (const [runId, run] of this.runs) {
      if (now - run.start < this.timeoutMs) break;
      this.expireOne(runId, "timeout");
    }
    if (this.runs.size === 0) this.stopTimer();
  }

  /** Ends every open run, newest first (children before their parents); returns how many. */
  expireAll(reason: string): number {
    const ids = [...this.runs.keys()].reverse();
    for (const id of ids) this.expireOne(id, reason);
    this.stopTimer();
    return ids.length;
  }

  private expireOne(runId: string, reason: string): void {
    const run = this.runs.get(runId);
    this.runs.delete(runId);
    if (run) {
      run.ended = true;
      try {
        this.expire(run, reason);
      } catch {}
    }
  }

  stopTimer(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
