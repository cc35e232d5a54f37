/**
 * One exception record per failure, at the run where the error originated. The record waits on
 * the failed run's parent until the failure's fate is known: an ancestor that fails with the same
 * error passes it further up (it gets ERROR status and `error.type`, no exception event and no
 * record of its own); a root that fails with it emits it as ERROR (the application saw the
 * error); an ancestor that ends normally, is cancelled or expires has recovered from it: WARN.
 */
import type { Context } from "@opentelemetry/api";
import type { AnyValueMap } from "@opentelemetry/api-logs";
import type { ErrorInfo } from "../signals/errors.js";

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

/** Whether an ancestor failing with `raw` / `info` only passes `pending` on (same error, or same type and message). */
export function isSameFailure(pending: PendingFailure, raw: unknown, info: ErrorInfo): boolean {
  return (
    pending.raw === raw ||
    (pending.info.type === info.type && pending.info.message === info.message)
  );
}
