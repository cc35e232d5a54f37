/**
 * Test helpers for span assertions: a handler on an in-memory tracer provider, an exporter
 * collecting into an array, an exact text rendering of the finished span tree, and parent checks.
 */
import { SpanKind, type Attributes } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import {
  OpenTelemetryCallbackHandler,
  type OpenTelemetryCallbackHandlerOptions,
} from "langchain-opentelemetry";

/** A span exporter that appends every exported span to `into` and reports success at once. */
export function collectingExporter(into: ReadableSpan[]): SpanExporter {
  return {
    export(spans, cb) {
      into.push(...spans);
      cb({ code: 0 });
    },
    shutdown: async () => {},
  };
}

/**
 * A handler writing spans to memory (exported synchronously on end); metrics and logs off unless
 * asked (they go to no-op globals otherwise, but the tests here are about spans).
 */
export function memoryHandler(options: OpenTelemetryCallbackHandlerOptions = {}): {
  handler: OpenTelemetryCallbackHandler;
  exporter: InMemorySpanExporter;
  provider: BasicTracerProvider;
  spans: () => ReadableSpan[];
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider: provider,
    metrics: false,
    logs: false,
    ...options,
  });
  return { handler, exporter, provider, spans: () => exporter.getFinishedSpans() };
}

const KIND_NAMES: Record<number, string> = {
  [SpanKind.INTERNAL]: "INTERNAL",
  [SpanKind.SERVER]: "SERVER",
  [SpanKind.CLIENT]: "CLIENT",
  [SpanKind.PRODUCER]: "PRODUCER",
  [SpanKind.CONSUMER]: "CONSUMER",
};

export function spanId(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function startNs(span: ReadableSpan): bigint {
  return BigInt(span.startTime[0]) * 1_000_000_000n + BigInt(span.startTime[1]);
}

/** Compares by start time; ties keep the order in which the spans were created (SDK start order is monotonic per process). */
function byStart(a: ReadableSpan, b: ReadableSpan): number {
  const d = startNs(a) - startNs(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export interface TreeOptions {
  /** Attribute keys rendered after the kind, as `key=value` (only those present). */
  attributes?: readonly string[];
}

/**
 * The finished spans as an indented tree, one line per span: `name KIND [key=value ...]`,
 * children in start order under their parent. Spans whose parent is not among the finished spans
 * are roots (an unfinished parent, or an outside parent such as a request span not exported).
 * Lines of spans that did not end are impossible here: only finished spans are exported.
 */
export function renderTree(spans: readonly ReadableSpan[], options: TreeOptions = {}): string {
  const ids = new Set(spans.map(spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  // The start-order tie-break needs creation order: the exporter gives end order, so sort by
  // start time; spans started in the same nanosecond are rare with hrtime and keep export order.
  for (const s of spans) {
    const p = parentId(s);
    const key = p !== undefined && ids.has(p) ? p : undefined;
    let list = children.get(key);
    if (!list) children.set(key, (list = []));
    list.push(s);
  }
  const lines: string[] = [];
  const walk = (key: string | undefined, depth: number) => {
    const list = (children.get(key) ?? []).slice().sort(byStart);
    for (const s of list) {
      lines.push("  ".repeat(depth) + describe(s, options.attributes));
      walk(spanId(s), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join("\n");
}

function describe(span: ReadableSpan, keys: readonly string[] | undefined): string {
  let line = `${span.name} ${KIND_NAMES[span.kind] ?? String(span.kind)}`;
  if (keys) {
    for (const k of keys) {
      const v = span.attributes[k];
      if (v !== undefined) line += ` ${k}=${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`;
    }
  }
  return line;
}

/** The single finished span with this name (throws when there are none or several). */
export function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span named ${JSON.stringify(name)}, found ${found.length}: ${spans.map((s) => s.name).join(", ")}`,
    );
  return found[0];
}

/** Every finished span with this name, in start order. */
export function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name).sort(byStart);
}

/** Whether `child`'s parent is `parent` (same trace, parent span id). */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    parentId(child) === spanId(parent)
  );
}

/** Every attribute value and event attribute value of every span, as one searchable string. */
export function allTelemetryText(spans: readonly ReadableSpan[]): string {
  const parts: string[] = [];
  const add = (attrs: Attributes | undefined) => {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs))
      parts.push(`${k}=${Array.isArray(v) ? v.join("\u0001") : String(v)}`);
  };
  for (const s of spans) {
    parts.push(s.name);
    add(s.attributes);
    parts.push(s.status.message ?? "");
    for (const e of s.events) {
      parts.push(e.name);
      add(e.attributes);
    }
    for (const l of s.links) add(l.attributes);
  }
  return parts.join("\n");
}
