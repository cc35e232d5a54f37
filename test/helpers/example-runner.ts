/**
 * Runs the files of `examples/` as a user would (`tsx`, a child process with its own globals) and
 * reads what they exported: OTLP requests recorded by `otlp-receiver.ts`, decoded from JSON or
 * protobuf into flat spans, metric points and log records.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { envWithoutOtel } from "./env.js";
import {
  base64ToHex,
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeTraceRequest,
} from "./otlp-proto.js";
import type { ReceivedRequest } from "./otlp-receiver.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** What a finished example run printed. */
export interface ExampleResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `examples/<file>` with `node --import tsx` (the same loader as `npx tsx`, but signals
 * reach the example itself rather than a wrapper process).
 */
export function startExample(
  file: string,
  extraEnv: Record<string, string> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ["--import", "tsx", `examples/${file}`], {
    cwd: repoRoot,
    env: envWithoutOtel(extraEnv),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a started example's output until it exits (killed after `timeoutMs`). */
export function finished(
  child: ChildProcessByStdio<null, Readable, Readable>,
  timeoutMs = 45_000,
): Promise<ExampleResult> {
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `examples/<file>` to completion. */
export function runExample(
  file: string,
  extraEnv: Record<string, string> = {},
): Promise<ExampleResult> {
  return finished(startExample(file, extraEnv));
}

export type AttrValue = string | number | boolean | AttrValue[] | undefined;

export interface FlatSpan {
  name: string;
  /** OTLP span kind: 1 INTERNAL, 2 SERVER, 3 CLIENT. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  resource: Record<string, AttrValue>;
  attributes: Record<string, AttrValue>;
}

export interface FlatPoint {
  metric: string;
  unit: string;
  scope: string;
  /** OTLP aggregation temporality: 1 DELTA, 2 CUMULATIVE. */
  temporality?: number;
  attributes: Record<string, AttrValue>;
  count?: number;
  sum?: number;
}

export interface FlatLogRecord {
  eventName?: string;
  body?: AttrValue;
  severityNumber?: number;
  traceId?: string;
  spanId?: string;
  scope: string;
  attributes: Record<string, AttrValue>;
}

export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;

/** Spans of every trace request (JSON or protobuf). */
export function spansOf(requests: readonly ReceivedRequest[]): FlatSpan[] {
  return requests.flatMap((r) => {
    const payload =
      r.contentType === "application/x-protobuf" ? decodeTraceRequest(r.body) : r.json;
    const proto = r.contentType === "application/x-protobuf";
    return (payload?.resourceSpans ?? []).flatMap((rs: any) =>
      (rs.scopeSpans ?? []).flatMap((ss: any) =>
        (ss.spans ?? []).map((s: any): FlatSpan => ({
          name: s.name,
          kind: typeof s.kind === "number" ? s.kind : Number(s.kind ?? 0),
          traceId: id(s.traceId, proto)!,
          spanId: id(s.spanId, proto)!,
          parentSpanId: id(s.parentSpanId, proto),
          scope: ss.scope?.name ?? "",
          resource: attrs(rs.resource?.attributes),
          attributes: attrs(s.attributes),
        })),
      ),
    );
  });
}

/** Histogram, sum and gauge data points of every metrics request (JSON or protobuf). */
export function pointsOf(requests: readonly ReceivedRequest[]): FlatPoint[] {
  return requests.flatMap((r) => {
    const payload =
      r.contentType === "application/x-protobuf" ? decodeMetricsRequest(r.body) : r.json;
    return (payload?.resourceMetrics ?? []).flatMap((rm: any) =>
      (rm.scopeMetrics ?? []).flatMap((sm: any) =>
        (sm.metrics ?? []).flatMap((m: any) => {
          const data = m.histogram ?? m.sum ?? m.gauge ?? {};
          return (data.dataPoints ?? []).map((p: any): FlatPoint => ({
            metric: m.name,
            unit: m.unit ?? "",
            scope: sm.scope?.name ?? "",
            temporality:
              data.aggregationTemporality === undefined
                ? undefined
                : Number(data.aggregationTemporality),
            attributes: attrs(p.attributes),
            count: p.count === undefined ? undefined : Number(p.count),
            sum:
              p.sum === undefined
                ? (p.asDouble ?? (p.asInt === undefined ? undefined : Number(p.asInt)))
                : Number(p.sum),
          }));
        }),
      ),
    );
  });
}

/** Log records of every logs request (JSON or protobuf). */
export function logRecordsOf(requests: readonly ReceivedRequest[]): FlatLogRecord[] {
  return requests.flatMap((r) => {
    const proto = r.contentType === "application/x-protobuf";
    const payload = proto ? decodeLogsRequest(r.body) : r.json;
    return (payload?.resourceLogs ?? []).flatMap((rl: any) =>
      (rl.scopeLogs ?? []).flatMap((sl: any) =>
        (sl.logRecords ?? []).map((l: any): FlatLogRecord => ({
          eventName: l.eventName,
          body: l.body === undefined ? undefined : value(l.body),
          severityNumber: l.severityNumber === undefined ? undefined : Number(l.severityNumber),
          traceId: id(l.traceId, proto),
          spanId: id(l.spanId, proto),
          scope: sl.scope?.name ?? "",
          attributes: attrs(l.attributes),
        })),
      ),
    );
  });
}

function id(raw: unknown, proto: boolean): string | undefined {
  if (typeof raw !== "string" || raw === "") return undefined;
  return proto ? base64ToHex(raw) : raw;
}

function attrs(list: any[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

function value(v: any): AttrValue {
  if (v === undefined || v === null) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("boolValue" in v) return Boolean(v.boolValue);
  if ("arrayValue" in v) return (v.arrayValue?.values ?? []).map(value);
  return undefined;
}

/** The span named `name`, failing with the names seen when there is not exactly one. */
export function single(spans: readonly FlatSpan[], name: string): FlatSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}", found ${found.length} among: ${spans.map((s) => s.name).join(", ")}`,
    );
  return found[0];
}

/** The chain of span names from `span` up to its root, e.g. `["chat gpt-4o-mini", "model_request", "invoke_agent x"]`. */
export function ancestry(spans: readonly FlatSpan[], span: FlatSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names = [span.name];
  let current: FlatSpan | undefined = span;
  while (current?.parentSpanId && byId.has(current.parentSpanId)) {
    current = byId.get(current.parentSpanId);
    names.push(current!.name);
  }
  return names;
}
