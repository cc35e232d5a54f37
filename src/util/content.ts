/**
 * Bounded, never-throwing serialisation of captured content. Whatever a callback is given
 * (circular objects, BigInt, symbols, 10 MB strings, LangChain messages), the result is valid
 * JSON no longer than the limit.
 */

import { isLangChainMessage, langChainMessageType } from "./messages.js";

const TRUNCATION_MARK = "…[truncated]";
const MAX_DEPTH = 8;
const MAX_ITEMS = 100;

/**
 * A plain, JSON-safe copy of `value`: cycles become `"[Circular]"`, BigInt a decimal string,
 * functions and symbols are dropped, strings are cut at `maxString` characters. Work is bounded
 * by depth and item count, so a huge input costs little.
 */
export function toPlain(value: unknown, maxString: number): unknown {
  try {
    return new PlainWalk(maxString).walk(value, 0);
  } catch {
    return "[unserializable]";
  }
}

/** One {@link toPlain} walk: the objects on the current path (for cycles) and the string cap. */
class PlainWalk {
  private readonly seen = new Set<object>();

  constructor(private readonly maxString: number) {}

  walk(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case "string":
        return cutString(v, this.maxString);
      case "number":
        return Number.isFinite(v) ? v : String(v);
      case "boolean":
        return v;
      case "bigint":
        return v.toString();
      case "undefined":
      case "function":
      case "symbol":
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (this.seen.has(obj)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[Object]";
    this.seen.add(obj);
    try {
      return this.walkObject(obj, depth);
    } finally {
      this.seen.delete(obj);
    }
  }

  private walkObject(obj: object, depth: number): unknown {
    const maxString = this.maxString;
    if (Array.isArray(obj)) {
      const n = Math.min(obj.length, MAX_ITEMS);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const item = this.walk(obj[i], depth + 1);
        out[i] = item === undefined ? null : item;
      }
      if (obj.length > n) out.push(TRUNCATION_MARK);
      return out;
    }
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      return `[binary ${(obj as ArrayBufferLike).byteLength} bytes]`;
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (obj instanceof Error)
      return { name: cutString(obj.name, maxString), message: cutString(obj.message, maxString) };
    // LangChain serialisables: their own toJSON gives the constructor form; take the fields.
    const source =
      (obj as { lc_kwargs?: unknown }).lc_kwargs && isLangChainMessage(obj)
        ? messageFields(obj)
        : obj;
    const out: Record<string, unknown> = {};
    let count = 0;
    // LangChain serialisables repeat their fields under lc_* bookkeeping keys: skip those.
    const lc = "lc_namespace" in source || "lc_serializable" in source;
    for (const key in source) {
      if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
      if (lc && key.startsWith("lc_")) continue;
      if (count++ >= MAX_ITEMS) {
        out["…"] = TRUNCATION_MARK;
        break;
      }
      let item: unknown;
      try {
        item = (source as Record<string, unknown>)[key];
      } catch {
        continue; // a throwing getter
      }
      const plain = this.walk(item, depth + 1);
      if (plain !== undefined) out[key] = plain;
    }
    return out;
  }
}

function messageFields(msg: object): Record<string, unknown> {
  const m = msg as Record<string, unknown>;
  const out: Record<string, unknown> = {
    type: langChainMessageType(m),
    content: m.content,
  };
  if (Array.isArray(m.tool_calls) && m.tool_calls.length) out.tool_calls = m.tool_calls;
  if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
  if (m.name) out.name = m.name;
  return out;
}

/**
 * Cuts a string to at most `max` characters, ending in `mark` (default `…[truncated]`), without
 * splitting a surrogate pair. The package's one string cutter.
 */
export function cutString(s: string, max: number, mark = TRUNCATION_MARK): string {
  if (s.length <= max) return s;
  const keep = Math.max(0, max - mark.length);
  let end = keep;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // don't leave a lone high surrogate
  return s.slice(0, end) + mark;
}

/**
 * JSON text of `value` of at most `max` characters, always valid JSON. When the plain form is
 * too long, the longest strings are shortened first (fair share), then trailing array items are
 * dropped; as a last resort the result is a JSON string holding a truncated prefix.
 */
export function boundedJson(value: unknown, max: number): string {
  const plain = toPlain(value, max);
  let text = stringify(plain);
  if (text.length <= max) return text;
  const strings: string[] = [];
  collectStrings(plain, strings);
  // Fair-share cap: the largest cap c so that the strings, each cut to c, fit the budget.
  const overhead = text.length - strings.reduce((n, s) => n + JSON.stringify(s).length, 0);
  let budget = max - overhead;
  if (budget > 0 && strings.length > 0) {
    let cap = Math.floor(budget / strings.length);
    const sorted = strings.map((s) => s.length).sort((a, b) => a - b);
    let used = 0;
    for (let i = 0; i < sorted.length; i++) {
      const share = Math.floor((budget - used) / (sorted.length - i));
      if (sorted[i] <= share) used += sorted[i];
      else {
        cap = share;
        break;
      }
    }
    for (let attempt = 0; attempt < 6 && cap > TRUNCATION_MARK.length; attempt++) {
      text = stringify(capStrings(plain, cap));
      if (text.length <= max) return text;
      cap = Math.floor(cap * 0.7); // escapes made the text longer than counted
    }
  }
  // Still too long: drop array items from the end of the outermost array.
  if (Array.isArray(plain)) {
    const capped = capStrings(
      plain,
      Math.max(TRUNCATION_MARK.length + 8, Math.floor(max / 8)),
    ) as unknown[];
    while (capped.length > 0) {
      capped.pop();
      text = stringify(capped);
      if (text.length <= max) return text;
    }
  }
  budget = Math.max(0, max - 2 - TRUNCATION_MARK.length);
  let prefix = cutString(text, budget);
  text = JSON.stringify(prefix);
  while (text.length > max && prefix.length > 0) {
    prefix = prefix.slice(0, Math.floor(prefix.length * 0.8));
    text = JSON.stringify(prefix);
  }
  return text.length <= max ? text : '""';
}

function stringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "null";
  }
}

function collectStrings(v: unknown, out: string[]): void {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const item of v) collectStrings(item, out);
  else if (v && typeof v === "object")
    for (const key in v) collectStrings((v as Record<string, unknown>)[key], out);
}

function capStrings(v: unknown, cap: number): unknown {
  if (typeof v === "string") return cutString(v, cap);
  if (Array.isArray(v)) return v.map((item) => capStrings(item, cap));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const key in v) out[key] = capStrings((v as Record<string, unknown>)[key], cap);
    return out;
  }
  return v;
}

/**
 * A string form of any tool/chain value: strings as they are (cut), everything else as bounded
 * JSON.
 */
export function boundedText(value: unknown, max: number): string {
  return typeof value === "string" ? cutString(value, max) : boundedJson(value, max);
}
