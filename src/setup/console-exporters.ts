/**
 * The embedded default of `setupTelemetry()`: when no endpoint is configured anywhere, telemetry
 * is printed readably instead of being posted to a collector that does not exist.
 *
 * - Traces: one indented tree per finished trace, one line per span with its duration and the
 *   GenAI attributes that matter at a glance (model, tokens, finish reasons, errors).
 * - Metrics: one line per data point (name, unit, attributes, count/sum for histograms).
 * - Logs: one line per record (severity, event name, body, short trace id).
 *
 * Output goes to **stderr** by default: stdout belongs to the application (a CLI may pipe its
 * results), and telemetry is diagnostics. Pass `out` to send the lines elsewhere.
 *
 * @packageDocumentation
 */
import {
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type HrTime,
} from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { LogRecordExporter, ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { redactText } from "../util/redact.js";

/** Receives one printed line (without a trailing newline). */
export type ConsoleLineWriter = (line: string) => void;

/** The three exporters of the embedded default, sharing one output. */
export interface ConsoleExporters {
  spanExporter: SpanExporter;
  metricExporter: PushMetricExporter;
  logExporter: LogRecordExporter;
}

/**
 * Traces kept while waiting for their root span. A trace whose root never reaches this exporter
 * (its root belongs to another provider, or was not sampled) would otherwise stay forever; past
 * this many pending traces the oldest is printed as it is.
 */
const MAX_PENDING_TRACES = 256;
const MAX_BODY_CHARS = 200;

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

/** Writes to stderr, one line per call. */
const writeToStderr: ConsoleLineWriter = (line) => {
  process.stderr.write(`${line}\n`);
};

/**
 * Creates the console exporters of the embedded default.
 *
 * @param out - where each line goes; defaults to stderr (see the module description for why).
 */
export function createConsoleExporters(out: ConsoleLineWriter = writeToStderr): ConsoleExporters {
  // Never let a broken writer (closed pipe, throwing test double) reach the application; never
  // print a credential that a URL in an attribute or a message carries.
  const safeOut: ConsoleLineWriter = (line) => {
    try {
      out(redactText(line));
    } catch {}
  };
  return {
    spanExporter: new ConsoleTreeSpanExporter(safeOut),
    metricExporter: new ConsoleSummaryMetricExporter(safeOut),
    logExporter: new ConsoleLineLogRecordExporter(safeOut),
  };
}

// ---------------------------------------------------------------------------------------------
// Traces

/**
 * Buffers spans by trace id and prints the whole trace as a tree once its root has ended. With
 * a simple processor each span arrives alone, children before their parent, so a span is a root
 * only when it has no parent at all or a remote one (the caller's span in another process).
 */
class ConsoleTreeSpanExporter implements SpanExporter {
  private readonly pending = new Map<string, ReadableSpan[]>();

  constructor(private readonly out: ConsoleLineWriter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      const completed = new Set<string>();
      for (const span of spans) {
        const traceId = span.spanContext().traceId;
        let buffered = this.pending.get(traceId);
        if (!buffered) {
          buffered = [];
          this.pending.set(traceId, buffered);
        }
        buffered.push(span);
        if (isLocalRoot(span)) completed.add(traceId);
      }
      for (const traceId of completed) this.printTrace(traceId);
      while (this.pending.size > MAX_PENDING_TRACES) {
        const oldest = this.pending.keys().next().value as string;
        this.printTrace(oldest);
      }
    } catch {}
    resultCallback(SUCCESS);
  }

  forceFlush(): Promise<void> {
    this.printAll();
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.printAll();
    return Promise.resolve();
  }

  private printAll(): void {
    try {
      for (const traceId of [...this.pending.keys()]) this.printTrace(traceId);
    } catch {}
  }

  private printTrace(traceId: string): void {
    const spans = this.pending.get(traceId) ?? [];
    this.pending.delete(traceId);
    if (spans.length === 0) return;
    for (const line of formatTraceTree(traceId, spans)) this.out(line);
  }
}

function isLocalRoot(span: ReadableSpan): boolean {
  return span.parentSpanContext === undefined || span.parentSpanContext.isRemote === true;
}

/**
 * Formats one trace as lines: a header with the full trace id, then the span tree (children in
 * start order). Spans whose parent is not among `spans` are shown as top-level nodes.
 */
function formatTraceTree(traceId: string, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map<string, ReadableSpan>();
  for (const span of spans) byId.set(span.spanContext().spanId, span);
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parentId = span.parentSpanContext?.spanId;
    if (parentId !== undefined && byId.has(parentId)) {
      const list = children.get(parentId) ?? [];
      list.push(span);
      children.set(parentId, list);
    } else {
      roots.push(span);
    }
  }
  const lines = [`trace ${traceId}`];
  const walk = (nodes: ReadableSpan[], prefix: string): void => {
    const sorted = [...nodes].sort(compareStart);
    sorted.forEach((span, index) => {
      const last = index === sorted.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${formatSpanLine(span)}`);
      walk(children.get(span.spanContext().spanId) ?? [], `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(roots, "");
  return lines;
}

function compareStart(a: ReadableSpan, b: ReadableSpan): number {
  return a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
}

/** `name  duration  model=…  tokens=412 in / 96 out  finish=stop  ERROR …` */
function formatSpanLine(span: ReadableSpan): string {
  const parts = [span.name, formatDuration(hrTimeToMillis(span.duration))];
  const a = span.attributes;
  const requestModel = asText(a["gen_ai.request.model"]);
  const responseModel = asText(a["gen_ai.response.model"]);
  if (requestModel && responseModel && requestModel !== responseModel) {
    parts.push(`model=${requestModel} -> ${responseModel}`);
  } else if (requestModel || responseModel) {
    parts.push(`model=${requestModel ?? responseModel}`);
  }
  const inputTokens = a["gen_ai.usage.input_tokens"];
  const outputTokens = a["gen_ai.usage.output_tokens"];
  if (inputTokens !== undefined || outputTokens !== undefined) {
    parts.push(`tokens=${inputTokens ?? "?"} in / ${outputTokens ?? "?"} out`);
  }
  const finish = a["gen_ai.response.finish_reasons"];
  if (finish !== undefined) parts.push(`finish=${asList(finish)}`);
  if (span.status.code === SpanStatusCode.ERROR) {
    const errorType = asText(a["error.type"]);
    const message = span.status.message;
    parts.push(["ERROR", errorType, message].filter(Boolean).join(" "));
  }
  return parts.join("  ");
}

// ---------------------------------------------------------------------------------------------
// Metrics

/**
 * Prints one line per data point. Asks for delta temporality so each print shows what happened
 * since the previous one, and prints nothing when nothing was recorded.
 */
class ConsoleSummaryMetricExporter implements PushMetricExporter {
  constructor(private readonly out: ConsoleLineWriter) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      for (const line of formatMetricsSummary(metrics)) this.out(line);
    } catch {}
    resultCallback(SUCCESS);
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.DELTA;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Formats collected metrics as `metrics` followed by one indented line per data point. */
function formatMetricsSummary(metrics: ResourceMetrics): string[] {
  const lines: string[] = [];
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const line of formatMetric(metric)) lines.push(`  ${line}`);
    }
  }
  return lines.length > 0 ? ["metrics", ...lines] : [];
}

function formatMetric(metric: MetricData): string[] {
  const unit = metric.descriptor.unit ? ` [${metric.descriptor.unit}]` : "";
  const head = `${metric.descriptor.name}${unit}`;
  const lines: string[] = [];
  const withAttributes = (attributes: Attributes, values: string): string => {
    const attrs = formatAttributes(attributes);
    return `${head}${attrs ? ` ${attrs}` : ""}  ${values}`;
  };
  switch (metric.dataPointType) {
    case DataPointType.HISTOGRAM:
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      for (const point of metric.dataPoints) {
        const { count, sum, min, max } = point.value;
        if (count === 0) continue;
        const values = [`count=${count}`, `sum=${formatNumber(sum ?? 0)}`];
        if (min !== undefined && max !== undefined) {
          values.push(`min=${formatNumber(min)}`, `max=${formatNumber(max)}`);
        }
        lines.push(withAttributes(point.attributes, values.join(" ")));
      }
      break;
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      for (const point of metric.dataPoints) {
        lines.push(withAttributes(point.attributes, `value=${formatNumber(point.value)}`));
      }
      break;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Logs

/** Prints one line per log record. */
class ConsoleLineLogRecordExporter implements LogRecordExporter {
  constructor(private readonly out: ConsoleLineWriter) {}

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const record of logs) this.out(formatLogLine(record));
    } catch {}
    resultCallback(SUCCESS);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** `log WARN gen_ai.client.operation.exception  "body"  trace=4bf92f35` */
function formatLogLine(record: ReadableLogRecord): string {
  const parts = [`log ${severityLabel(record.severityText, record.severityNumber)}`];
  if (record.eventName) parts[0] += ` ${record.eventName}`;
  if (record.body !== undefined && record.body !== null && record.body !== "") {
    parts.push(
      truncate(
        typeof record.body === "string" ? JSON.stringify(record.body) : safeJson(record.body),
      ),
    );
  }
  const traceId = record.spanContext?.traceId;
  if (traceId) parts.push(`trace=${traceId.slice(0, 8)}`);
  return parts.join("  ");
}

const SEVERITY_NAMES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

function severityLabel(text: string | undefined, num: number | undefined): string {
  if (text) return text.toUpperCase();
  if (num !== undefined && num >= 1 && num <= 24) return SEVERITY_NAMES[Math.floor((num - 1) / 4)];
  return "-";
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers

function hrTimeToMillis(time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6;
}

/** `0.42 ms`, `8.0 ms`, `125 ms`, `1.25 s` */
function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(1);
  return String(Number(n.toPrecision(3)));
}

function formatAttributes(attributes: Attributes): string {
  return Object.keys(attributes)
    .sort()
    .map((key) => `${key}=${asList(attributes[key])}`)
    .join(" ");
}

function asText(value: AttributeValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join(",") : String(value);
}

function asList(value: AttributeValue | undefined): string {
  return asText(value) ?? "";
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(text: string): string {
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS - 1)}…` : text;
}
