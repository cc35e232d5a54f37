/**
 * One exception record per failure, at the run where the error originated. The record waits on
 * the failed run's parent until the failure's fate is known: an ancestor that fails with the same
 * error passes it further up (it gets ERROR status and `error.type`, no exception event and no
 * record of its own); a root that fails with it emits it as ERROR (the application saw the
 * error); an ancestor that ends normally, is cancelled or expires has recovered from it: WARN.
 */
import type { Attributes, Context } from "@opentelemetry/api";
import type { AnyValueMap } from "@opentelemetry/api-logs";
import { isAbort, isBubbleUp } from "../langchain/langgraph.js";
import { describeError, markFailed, recordFailure, type ErrorInfo } from "../signals/errors.js";
import { exceptionRecord, SeverityNumber, type GenAiLogs } from "../signals/logs.js";
import * as S from "../semconv.js";
import { agentOf, contextOf, conversationOf, type Run, type SpanRun } from "./runs.js";

/** An exception record built at the origin, not emitted yet. */
export interface PendingFailure {
  /** The thrown value, to recognise it when an ancestor fails with it. */
  raw: unknown;
  info: ErrorInfo;
  /** Context of the run where it originated (its span gives the record trace and span ids). */
  ctx: Context;
  body: string;
  attributes: AnyValueMap;
}

/**
 * Whether an ancestor failing with `raw` / `info` only passes `pending` on (same error, or same
 * type and message).
 */
export function isSameFailure(pending: PendingFailure, raw: unknown, info: ErrorInfo): boolean {
  return (
    pending.raw === raw ||
    (pending.info.type === info.type && pending.info.message === info.message)
  );
}

/**
 * The fate of failures as runs end: each run's waiting failures are settled when it ends (passed
 * on when it fails with the same error, WARN otherwise), and a failure at its origin is built here.
 */
export class Failures {
  constructor(private readonly logs: GenAiLogs | undefined) {}

  /**
   * Marks a failed run's span and ends it. Where the error originated: `error.type`, status and
   * an exception event; where it only propagated (a descendant failed with it): `error.type` and
   * status. Returns the error's description and, when it only propagated, the failure to pass on.
   */
  failAndEnd(
    run: SpanRun,
    raw: unknown,
  ): { info: ErrorInfo; passedOn: PendingFailure | undefined } {
    const info = describeError(raw);
    const passedOn = this.settle(run, raw, info);
    if (passedOn === undefined) recordFailure(run.span, info);
    else markFailed(run.span, info);
    run.span.end();
    return { info, passedOn };
  }

  /**
   * Decides the fate of the failures waiting on `run` as it ends: the one it fails with (same
   * error) is returned, to be passed further up; every other one was recovered from (WARN).
   * Without `info`, the run did not fail: every waiting failure was recovered from.
   */
  settle(run: Run, raw?: unknown, info?: ErrorInfo): PendingFailure | undefined {
    const pending = run.pending;
    if (pending === undefined) return undefined;
    run.pending = undefined;
    let passedOn: PendingFailure | undefined;
    for (const p of pending) {
      if (passedOn === undefined && info !== undefined && isSameFailure(p, raw, info)) passedOn = p;
      else this.emit(p, SeverityNumber.WARN);
    }
    return passedOn;
  }

  /**
   * Hands a failure on to the parent of `run` (whose outcome decides its severity), or emits it:
   * ERROR at a root (the application saw the error), WARN when the parent already ended or is not
   * known to this handler.
   */
  passUp(run: Run, failure: PendingFailure): void {
    const parent = run.parent;
    if (parent !== undefined && !parent.ended) (parent.pending ??= []).push(failure);
    else this.emit(failure, run.isRoot ? SeverityNumber.ERROR : SeverityNumber.WARN);
  }

  /** A hidden run has no span, but failures may wait on it: it passes on the one it fails with. */
  aliasEnded(run: Run, err: unknown, failed: boolean): void {
    if (failed && (isBubbleUp(err) || isAbort(err, describeError(err).type, false)))
      return void this.settle(run);
    const passedOn = failed ? this.settle(run, err, describeError(err)) : this.settle(run);
    if (passedOn !== undefined) this.passUp(run, passedOn);
  }

  /**
   * The exception record of a failure where it originated (`attributes`: the failed operation's
   * metric attributes), to be emitted once its fate is known (see {@link passUp}).
   */
  atOrigin(
    run: SpanRun,
    raw: unknown,
    info: ErrorInfo,
    attributes: Attributes | undefined,
  ): PendingFailure {
    const op = run.op;
    const spanName = (run.span as { name?: unknown }).name;
    const record = exceptionRecord({
      operation: op?.operation,
      name: op?.name,
      spanName: typeof spanName === "string" ? spanName : undefined,
      attributes,
      assoc: run.assoc,
      conversationId: op?.conversationId,
      treeConversationId: conversationOf(run),
      agentName:
        op?.operation === S.OP_INVOKE_AGENT
          ? op.name
          : (op?.agentName ?? agentOf(run.parent)?.op.name),
      error: info,
    });
    return { raw, info, ctx: contextOf(run), body: record.body, attributes: record.attributes };
  }

  private emit(p: PendingFailure, severity: SeverityNumber): void {
    this.logs?.emit({
      eventName: S.EVENT_OPERATION_EXCEPTION,
      severity,
      body: p.body,
      attributes: p.attributes,
      context: p.ctx,
    });
  }
}
