/**
 * The log record budget: what one record's attributes may use so that the line it becomes fits a
 * log backend's limits. Loki's default per-line limits are 64 KiB of structured metadata (names
 * plus values) and 128 entries; past either, Loki answers 400 and the whole batch is lost (not
 * retried). Loki stores as structured metadata of every line the record's attributes, the
 * **resource attributes**, scope name and version, trace and span ids and severity; so the
 * record budget is what is left of the line's limits after the resource and those fixed entries,
 * and at most {@link RECORD_MAX_BYTES} / {@link RECORD_MAX_ENTRIES}.
 *
 * Association properties are part of the record's attributes (the emitter fits them here, and
 * the association processor then adds nothing unbudgeted). What is dropped to fit is returned, so
 * the caller counts and warns about it.
 */
import type { Attributes } from "@opentelemetry/api";
import type { AnyValueMap } from "@opentelemetry/api-logs";
import { boundedJson, cutString } from "../util/content.js";
import { ASSOCIATION_ATTRIBUTE_PREFIX } from "../semconv.js";

/** Loki's default limits of one line's structured metadata. */
export const LINE_MAX_ENTRIES = 128;
export const LINE_MAX_BYTES = 64 * 1024;
/**
 * What a line carries besides attributes and resource (scope, trace and span ids, severity, flags),
 * with room.
 */
const LINE_FIXED_ENTRIES = 8;
const LINE_FIXED_BYTES = 512;
/** At most this much for one record's attributes, association properties and content included. */
export const RECORD_MAX_BYTES = 40 * 1024;
export const RECORD_MAX_ENTRIES = 64;
/**
 * Never less than this, even when the resource leaves nothing (the line is then over anyway, and
 * setup says so).
 */
const RECORD_MIN_ENTRIES = 8;
const RECORD_MIN_BYTES = 2048;
/** Longest non-content string attribute value (an exception stacktrace is the long one). */
const MAX_VALUE_CHARS = 8192;

/** What one record's attributes may use. */
export interface RecordBudget {
  readonly entries: number;
  readonly bytes: number;
}

/**
 * The record budget left by a resource with `resourceAttributes` (none: the full record budget).
 */
export function recordBudget(resourceAttributes?: Attributes): RecordBudget {
  let entries = 0;
  let bytes = 0;
  for (const key in resourceAttributes) {
    if (resourceAttributes[key] === undefined) continue;
    entries++;
    bytes += entryBytes(key, resourceAttributes[key]);
  }
  return {
    entries: Math.max(
      RECORD_MIN_ENTRIES,
      Math.min(RECORD_MAX_ENTRIES, LINE_MAX_ENTRIES - LINE_FIXED_ENTRIES - entries),
    ),
    bytes: Math.max(
      RECORD_MIN_BYTES,
      Math.min(RECORD_MAX_BYTES, LINE_MAX_BYTES - LINE_FIXED_BYTES - bytes),
    ),
  };
}

/** Bytes Loki counts for one structured-metadata entry: name plus value as text. */
export function entryBytes(key: string, value: unknown): number {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return Buffer.byteLength(key) + Buffer.byteLength(text);
}

/** Attributes that describe the operation (0), association properties (1), the rest (2). */
function rank(key: string): number {
  if (
    key.startsWith("gen_ai.") ||
    key.startsWith("error.") ||
    key.startsWith("exception.") ||
    key.startsWith("server.")
  )
    return 0;
  return key.startsWith(ASSOCIATION_ATTRIBUTE_PREFIX) ? 1 : 2;
}

/** The fitted attributes, and the names of those left out. */
export interface Fitted {
  attributes: AnyValueMap;
  dropped: string[];
}

/**
 * Fits a record's attributes into `budget` (UTF-8, names plus values as Loki counts them):
 * - string values are cut at 8192 characters;
 * - the conventions' attributes come first, association properties next, the rest (opted-in
 *   metadata) last; what does not fit is dropped (and named in `dropped`);
 * - with captured content, plain attributes use at most half the bytes, and content gets what is
 *   left, shared fairly: a value that fits its share is kept whole, longer ones are truncated by
 *   {@link boundedJson} (longest strings first, then trailing items) so they stay valid JSON.
 */
export function fitAttributes(
  attributes: AnyValueMap,
  content: Record<string, unknown> | undefined,
  maxContentLength: number,
  budget: RecordBudget,
): Fitted {
  // Fast path, every record without content: an upper bound of the size (3 bytes per UTF-16
  // unit) that fits means nothing needs cutting or dropping, and the object is used as it is.
  if (content === undefined && withinBudget(attributes, budget)) return { attributes, dropped: [] };
  const contentKeys = content ? Object.keys(content).filter((k) => content[k] !== undefined) : [];
  const keys = Object.keys(attributes).filter((k) => attributes[k] !== undefined);
  const ordered = [0, 1, 2].flatMap((r) => keys.filter((k) => rank(k) === r));
  const plainBytes = contentKeys.length > 0 ? budget.bytes / 2 : budget.bytes;
  const out: AnyValueMap = {};
  const dropped: string[] = [];
  let used = 0;
  let entries = 0;
  for (const key of ordered) {
    let value = attributes[key];
    if (typeof value === "string") value = cutString(value, MAX_VALUE_CHARS);
    const size = entryBytes(key, value);
    if (entries >= budget.entries - contentKeys.length || used + size > plainBytes) {
      dropped.push(key);
      continue;
    }
    out[key] = value;
    used += size;
    entries++;
  }
  if (contentKeys.length > 0) {
    fitContent(out, dropped, {
      content: content!,
      keys: contentKeys,
      maxContentLength,
      bytes: budget.bytes - used,
    });
  }
  return { attributes: out, dropped };
}

/** Content: first bounded by the length option, then fair shares of the remaining bytes. */
function fitContent(
  out: AnyValueMap,
  dropped: string[],
  c: {
    content: Record<string, unknown>;
    /** The content keys that hold a value. */
    keys: string[];
    maxContentLength: number;
    /** Bytes left for content. */
    bytes: number;
  },
): void {
  const { content, keys: contentKeys, maxContentLength } = c;
  let budget = c.bytes;
  const bySize = contentKeys.map((key) => {
    const text = boundedJson(content[key], maxContentLength);
    return { key, text, size: entryBytes(key, text) };
  });
  bySize.sort((a, b) => a.size - b.size);
  for (let i = 0; i < bySize.length; i++) {
    const key = bySize[i].key;
    const share = Math.floor(budget / (bySize.length - i));
    let { text, size } = bySize[i];
    for (let attempt = 0; size > share && attempt < 8; attempt++) {
      // Shrink in characters, aiming at the byte share (multi-byte text needs a few rounds).
      const keyBytes = Buffer.byteLength(key);
      const chars = Math.max(
        0,
        Math.floor(text.length * ((share - keyBytes) / (size - keyBytes)) * 0.97),
      );
      text = chars < 16 ? '""' : boundedJson(content[key], chars);
      size = entryBytes(key, text);
    }
    if (size > share) {
      dropped.push(key); // could not fit: leave the value out rather than break the record
      continue;
    }
    budget -= size;
    try {
      out[key] = JSON.parse(text) as AnyValueMap;
    } catch {}
  }
}

/**
 * True when `attributes` certainly fits half the budget as it is (no undefined values, no long
 * strings).
 */
function withinBudget(attributes: AnyValueMap, budget: RecordBudget): boolean {
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
    if (++entries > budget.entries || bound > budget.bytes / 2) return false;
  }
  return true;
}

/**
 * Counts what records lost to fit, and warns once, at the first loss; `summarize()` gives the
 * totals (at shutdown).
 */
export class DropCounter {
  private records = 0;
  private attributes = 0;

  constructor(
    private readonly warn: (message: string) => void,
    private readonly budget: RecordBudget,
  ) {}

  record(eventName: string, dropped: readonly string[]): void {
    if (dropped.length === 0) return;
    this.records++;
    this.attributes += dropped.length;
    if (this.records > 1) return;
    this.safeWarn(
      `log records: attributes dropped to fit the record budget (${this.budget.entries} entries, ` +
        `${this.budget.bytes} bytes, what a ${LINE_MAX_ENTRIES}-entry / 64 KiB Loki line leaves ` +
        `after the resource attributes): ${eventName} lost ${dropped.slice(0, 8).join(", ")}` +
        `${dropped.length > 8 ? `, and ${dropped.length - 8} more` : ""}. ` +
        "Fewer association properties or resource attributes leave more room. " +
        "Further drops are counted, not repeated.",
    );
  }

  summarize(): void {
    if (this.records > 1)
      this.safeWarn(
        `log records: ${this.attributes} attributes dropped from ${this.records} records ` +
          "to fit the record budget.",
      );
  }

  private safeWarn(message: string): void {
    try {
      this.warn(message);
    } catch {}
  }
}
