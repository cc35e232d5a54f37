/**
 * Run bookkeeping: the open runs by LangChain run id, in start order, with a hard cap and a
 * timeout for runs that never end. Like LangChain's `BaseTracer`: a run map and little else.
 */
import { trace, type Attributes, type Context, type Span } from "@opentelemetry/api";

/** One open run. Hidden runs (LangGraph internals) are aliases with no span of their own. */
export interface Run {
  /** `undefined` for an alias (a hidden run): its children attach to `target`. */
  span: Span | undefined;
  /** For an alias: the nearest recorded ancestor (`undefined` = the context active at its start). */
  target: Run | undefined;
  /** Context in which the span was started (parent), kept to build the child context lazily. */
  parentCtx: Context;
  /** Context with this run's span active; built on first use. */
  ctx: Context | undefined;
  /** `performance.now()` at start. */
  start: number;
  isRoot: boolean;
  /** Association attributes in force for this run's tree. */
  assoc: Attributes | undefined;
  /** Operation data the end callback needs (model runs, tools, agents). */
  op: OperationState | undefined;
}

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
}

/** Context with `run`'s span active, built once. */
export function contextOf(run: Run): Context {
  if (!run.ctx) run.ctx = trace.setSpan(run.parentCtx, run.span!);
  return run.ctx;
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
    if (run !== undefined) this.runs.delete(runId);
    return run;
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
