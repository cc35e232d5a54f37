/**
 * What a thrown value becomes on a span or log record: `error.type`, message and stack. One
 * rule for the handler and the annotations, so the same failure reads the same everywhere.
 */
import { SpanStatusCode, type Span } from "@opentelemetry/api";
import { identifier, isRecord } from "../langchain/attributes.js";
import { cutString } from "../util/content.js";
import { redactText } from "../util/redact.js";
import { ATTR_ERROR_TYPE } from "../semconv.js";

export interface ErrorInfo {
  /**
   * `error.type`: the class name; `name` for plain `Error` and `DOMException` (`AbortError`);
   * `_OTHER` for a thrown non-object.
   */
  type: string;
  message: string;
  stack?: string;
}

/**
 * The thrown value as {@link ErrorInfo}. Message and stack go through `redactText`: provider SDK
 * errors often quote the request URL, and a key in its query string must not reach a span or a
 * log record.
 */
export function describeError(err: unknown): ErrorInfo {
  const info = describeRaw(err);
  return {
    type: info.type,
    message: redactText(info.message),
    ...(info.stack === undefined ? {} : { stack: redactText(info.stack) }),
  };
}

function describeRaw(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const ctorName = err.constructor?.name;
    // DOMException is one class for many errors: its name says which (AbortError, TimeoutError).
    const type = identifier(
      ctorName && ctorName !== "Error" && ctorName !== "DOMException"
        ? ctorName
        : String(err.name || "Error"),
    );
    return {
      type,
      message: String(err.message ?? ""),
      stack: typeof err.stack === "string" ? err.stack : undefined,
    };
  }
  if (isRecord(err)) {
    const ctorName = (err as { constructor?: { name?: unknown } }).constructor?.name;
    const name =
      typeof ctorName === "string" && ctorName && ctorName !== "Object"
        ? ctorName
        : typeof err.name === "string" && err.name
          ? err.name
          : "Error";
    return { type: identifier(name), message: typeof err.message === "string" ? err.message : "" };
  }
  // The conventions' fallback when no better value exists.
  return { type: "_OTHER", message: typeof err === "string" ? err : safeString(err) };
}

/**
 * Marks `span` as failed: `error.type`, status ERROR and an exception event. The message and stack
 * are cut (status 1 KiB, event message 4 KiB, stack 8 KiB) so that a huge error cannot bloat the
 * span.
 */
export function recordFailure(span: Span, err: ErrorInfo): void {
  span.setAttribute(ATTR_ERROR_TYPE, err.type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: cutString(err.message, 1024) });
  span.recordException({
    name: err.type,
    message: cutString(err.message, 4096),
    stack: err.stack ? cutString(err.stack, 8192) : undefined,
  });
}

/**
 * Marks `span` as failed without an exception event: for a run that failed only because the
 * error of a descendant propagated (the event and record are at the origin).
 */
export function markFailed(span: Span, err: ErrorInfo): void {
  span.setAttribute(ATTR_ERROR_TYPE, err.type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: cutString(err.message, 1024) });
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}
