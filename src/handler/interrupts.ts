/**
 * Interrupted runs by thread id, so that the run resuming a thread (`new Command({ resume })`,
 * same `thread_id`) can link to the run that was interrupted. In-process only: a resume handled by
 * another process (or after this handler was rebuilt) finds nothing and gets no link. Bounded: the
 * oldest entry goes first, so a server that never resumes its threads does not grow.
 */
import type { SpanContext } from "@opentelemetry/api";

const DEFAULT_MAX_THREADS = 1000;

export class InterruptedRuns {
  private readonly byThread = new Map<string, SpanContext>();

  constructor(private readonly max = DEFAULT_MAX_THREADS) {}

  get size(): number {
    return this.byThread.size;
  }

  /** Remembers the interrupted root of `threadId` (the latest one wins). */
  remember(threadId: string, span: SpanContext): void {
    this.byThread.delete(threadId);
    if (this.byThread.size >= this.max)
      this.byThread.delete(this.byThread.keys().next().value as string);
    this.byThread.set(threadId, span);
  }

  /** The interrupted run a resume of `threadId` continues; used once. */
  take(threadId: string): SpanContext | undefined {
    const span = this.byThread.get(threadId);
    if (span !== undefined) this.byThread.delete(threadId);
    return span;
  }
}
