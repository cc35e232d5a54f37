/**
 * What a thrown value becomes on a span or log record: `error.type`, message and stack. One
 * rule for the handler and the annotations, so the same failure reads the same everywhere.
 */
import { identifier, isRecord } from "./attributes.js";

export interface ErrorInfo {
  /** `error.type`: the class name; `name` for plain `Error` and `DOMException` (`AbortError`); `_OTHER` for a thrown non-object. */
  type: string;
  message: string;
  stack?: string;
}

export function describeError(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const ctorName = err.constructor?.name;
    // DOMException is one class for many errors: its name says which (AbortError, TimeoutError).
    const type = identifier(ctorName && ctorName !== "Error" && ctorName !== "DOMException" ? ctorName : String(err.name || "Error"));
    return { type, message: String(err.message ?? ""), stack: typeof err.stack === "string" ? err.stack : undefined };
  }
  if (isRecord(err)) {
    const ctorName = (err as { constructor?: { name?: unknown } }).constructor?.name;
    const name = typeof ctorName === "string" && ctorName && ctorName !== "Object" ? ctorName : typeof err.name === "string" && err.name ? err.name : "Error";
    return { type: identifier(name), message: typeof err.message === "string" ? err.message : "" };
  }
  // The conventions' fallback when no better value exists.
  return { type: "_OTHER", message: typeof err === "string" ? err : safeString(err) };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}
