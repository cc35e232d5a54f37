/**
 * GenAI log records: `gen_ai.client.inference.operation.details` for every model call, a
 * details record for tool and agent operations, and `gen_ai.client.operation.exception` for
 * failures. Records carry the run's span in their context, so trace and span ids are set and a
 * log line in Loki links to its trace in Tempo.
 */
import * as api from "@opentelemetry/api";
import type { AnyValueMap, Logger, LoggerProvider } from "@opentelemetry/api-logs";
import { logs as apiLogs, SeverityNumber } from "@opentelemetry/api-logs";
import { boundedJson, cutString } from "../util/content.js";
import * as S from "../semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";

/**
 * What one record's own attributes may use. Loki's default per-line limits are 64 KiB of
 * structured metadata (attribute names + values) and 128 entries; past either, Loki answers 400
 * and the whole batch is lost (not retried). Loki also stores resource attributes, scope name and
 * version, trace and span ids and severity as structured metadata of the line, so a record keeps
 * well under the limits to leave them room.
 */
const RECORD_ATTRIBUTES_MAX_BYTES = 40 * 1024;
const RECORD_ATTRIBUTES_MAX_ENTRIES = 64;
/** Longest non-content string attribute value (an exception stacktrace is the long one). */
const MAX_VALUE_CHARS = 8192;
/** Longest body (the log line). */
const MAX_BODY_CHARS = 1024;

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: "INFO",
  [SeverityNumber.WARN]: "WARN",
  [SeverityNumber.ERROR]: "ERROR",
};

type LoggerProviderLike = { getLogger(name: string, version?: string): Logger };

/**
 * The global logger provider. OpenTelemetry JS 2.x registers providers in
 * `@opentelemetry/api-logs`, 3.x in `@opentelemetry/api` >= 1.10: two separate globals. The
 * first registered one wins; with neither registered, api-logs' no-op proxy.
 */
export function globalLoggerProvider(): LoggerProviderLike | undefined {
  const provider: LoggerProviderLike | undefined = apiLogs.getLoggerProvider();
  const unregistered =
    provider === (apiLogs as unknown as { _proxyLoggerProvider?: unknown })._proxyLoggerProvider;
  if (!unregistered) return provider;
  const apiLogsGlobal = (
    api as unknown as { logs?: { getLoggerProvider?: () => LoggerProviderLike | undefined } }
  ).logs;
  return apiLogsGlobal?.getLoggerProvider?.() ?? provider;
}

/**
 * The logger of the global provider, looked up per record so a provider registered after the
 * handler was built is still used.
 */
class GlobalLoggerSource {
  private provider: unknown;
  private logger: Logger | undefined;

  get(): Logger | undefined {
    const provider = globalLoggerProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      this.logger = provider?.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    }
    return this.logger;
  }
}

export class GenAiLogs {
  private readonly logger: Logger | undefined;
  private readonly global: GlobalLoggerSource | undefined;

  /**
   * @param provider the logger provider; `undefined` = the global one, looked up per record.
   * @param minSeverity records below it are not built or emitted.
   * @param maxContentLength longest captured content value, in characters, before the record budget applies.
   */
  constructor(
    provider: LoggerProvider | undefined,
    private readonly minSeverity: SeverityNumber,
    private readonly maxContentLength: number,
  ) {
    if (provider) this.logger = provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    else this.global = new GlobalLoggerSource();
  }

  /** Whether records of this severity are emitted at all (callers skip building them otherwise). */
  wants(severity: SeverityNumber): boolean {
    return severity >= this.minSeverity;
  }

  /**
   * Emits one record in `ctx` (whose active span gives the record its trace and span ids).
   * `content` holds captured content (structured, not yet bounded); it is fitted with the other
   * attributes into the record budget (see {@link fitAttributes}).
   */
  emit(
    eventName: string,
    severity: SeverityNumber,
    body: string,
    attributes: AnyValueMap,
    ctx: api.Context,
    content?: Record<string, unknown>,
  ): void {
    if (severity < this.minSeverity) return;
    try {
      const logger = this.logger ?? this.global!.get();
      if (!logger) return;
      logger.emit({
        eventName,
        severityNumber: severity,
        severityText: SEVERITY_TEXT[severity],
        body: cutString(body, MAX_BODY_CHARS),
        attributes: fitAttributes(attributes, content, this.maxContentLength),
        context: ctx,
      });
    } catch (e) {
      api.diag.debug(`${PACKAGE_NAME}: a log record was not emitted: ${String(e)}`);
    }
  }
}

/** Attributes that describe the operation: kept first when a record has too many entries. */
function isConventionKey(key: string): boolean {
  return (
    key.startsWith("gen_ai.") ||
    key.startsWith("error.") ||
    key.startsWith("exception.") ||
    key.startsWith("server.")
  );
}

/** Bytes Loki counts for one structured-metadata entry: name plus value as text. */
function entryBytes(key: string, value: unknown): number {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return Buffer.byteLength(key) + Buffer.byteLength(text);
}

/**
 * Fits a record's attributes into {@link RECORD_ATTRIBUTES_MAX_ENTRIES} entries and
 * {@link RECORD_ATTRIBUTES_MAX_BYTES} bytes (UTF-8, names plus values as Loki counts them):
 * - string values are cut at 8192 characters;
 * - past the entry budget, attributes outside the conventions' namespaces (association
 *   properties, opted-in metadata) are dropped first;
 * - captured content gets what is left, shared fairly: a value that fits its share is kept
 *   whole, longer ones are truncated by {@link boundedJson} (longest strings first, then
 *   trailing items) so they stay valid, structured JSON.
 */
function fitAttributes(
  attributes: AnyValueMap,
  content: Record<string, unknown> | undefined,
  maxContentLength: number,
): AnyValueMap {
  // Fast path, every record without content: an upper bound of the size (3 bytes per UTF-16
  // unit) that fits means nothing needs cutting or dropping, and the object is used as it is.
  if (content === undefined && withinBudget(attributes)) return attributes;
  const contentKeys = content ? Object.keys(content).filter((k) => content[k] !== undefined) : [];
  const keys = Object.keys(attributes).filter((k) => attributes[k] !== undefined);
  const ordered = [...keys.filter(isConventionKey), ...keys.filter((k) => !isConventionKey(k))];
  const out: AnyValueMap = {};
  let used = 0;
  let entries = 0;
  for (const key of ordered) {
    if (entries >= RECORD_ATTRIBUTES_MAX_ENTRIES - contentKeys.length) break;
    let value = attributes[key];
    if (typeof value === "string") value = cutString(value, MAX_VALUE_CHARS);
    const size = entryBytes(key, value);
    if (used + size > RECORD_ATTRIBUTES_MAX_BYTES / 2) continue; // never let plain attributes crowd out the rest
    out[key] = value;
    used += size;
    entries++;
  }
  if (contentKeys.length === 0) return out;

  // Content: first bounded by the length option, then fair shares of the remaining bytes.
  const bySize = contentKeys.map((key) => {
    const text = boundedJson(content![key], maxContentLength);
    return { key, text, size: entryBytes(key, text) };
  });
  bySize.sort((a, b) => a.size - b.size);
  let budget = RECORD_ATTRIBUTES_MAX_BYTES - used;
  for (let i = 0; i < bySize.length; i++) {
    const key = bySize[i].key;
    const share = Math.floor(budget / (bySize.length - i));
    let { text, size } = bySize[i];
    for (let attempt = 0; size > share && attempt < 8; attempt++) {
      // Shrink in characters, aiming at the byte share (multi-byte text needs a few rounds).
      const chars = Math.max(
        0,
        Math.floor(
          text.length * ((share - Buffer.byteLength(key)) / (size - Buffer.byteLength(key))) * 0.97,
        ),
      );
      text = chars < 16 ? '""' : boundedJson(content![key], chars);
      size = entryBytes(key, text);
    }
    if (size > share) continue; // could not fit: leave the value out rather than break the record
    budget -= size;
    try {
      out[key] = JSON.parse(text) as AnyValueMap;
    } catch {}
  }
  return out;
}

/** True when `attributes` certainly fits the record budget as it is (no undefined values, no long strings). */
function withinBudget(attributes: AnyValueMap): boolean {
  let entries = 0;
  let bound = 0;
  for (const key in attributes) {
    const v = attributes[key];
    bound += key.length * 3;
    if (typeof v === "string") {
      if (v.length > MAX_VALUE_CHARS) return false;
      bound += v.length * 3;
    } else if (typeof v === "number" || typeof v === "boolean") bound += 24;
    else if (Array.isArray(v)) {
      for (const item of v) {
        if (typeof item !== "string" || item.length > MAX_VALUE_CHARS) return false;
        bound += item.length * 3 + 3;
      }
    } else return false;
    if (++entries > RECORD_ATTRIBUTES_MAX_ENTRIES || bound > RECORD_ATTRIBUTES_MAX_BYTES / 2)
      return false;
  }
  return true;
}

/** `chat gpt-4o-mini: 412 in / 96 out tokens, 1.23 s, stop` - the line Loki shows. */
export function inferenceBody(
  operation: string,
  model: string | undefined,
  input: number | undefined,
  output: number | undefined,
  durationS: number,
  finishReasons: readonly string[] | undefined,
  errorType: string | undefined,
): string {
  let body = model ? `${operation} ${model}: ` : `${operation}: `;
  if (input !== undefined || output !== undefined)
    body += `${input ?? "?"} in / ${output ?? "?"} out tokens, `;
  body += `${durationS.toFixed(2)} s`;
  if (errorType) body += `, failed: ${errorType}`;
  else if (finishReasons && finishReasons.length) body += `, ${finishReasons.join(", ")}`;
  return body;
}

/** `execute_tool get_weather: 0.05 s` / `invoke_agent support: 3.20 s, failed: TimeoutError`. */
export function operationBody(
  operation: string,
  name: string,
  durationS: number,
  errorType: string | undefined,
): string {
  return `${operation} ${name}: ${durationS.toFixed(2)} s${errorType ? `, failed: ${errorType}` : ""}`;
}

/** Attributes of an exception record (gen-ai-exceptions.md). */
export function exceptionAttributes(
  base: AnyValueMap,
  error: { type: string; message: string; stack?: string },
): AnyValueMap {
  const attrs: AnyValueMap = {
    ...base,
    [S.ATTR_EXCEPTION_TYPE]: error.type,
    [S.ATTR_EXCEPTION_MESSAGE]: error.message,
  };
  if (error.stack) attrs[S.ATTR_EXCEPTION_STACKTRACE] = error.stack;
  return attrs;
}

export { SeverityNumber };
