/**
 * Helpers of the backends tier: run the scenario child process, and read back what the real
 * backends stored through their own query APIs (Jaeger's HTTP query API, Prometheus' PromQL API,
 * VictoriaLogs' LogsQL API). Also the PromQL queries our docs ship, extracted from README.md and
 * the Grafana dashboard so a query added there is checked without touching the tests.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { envWithoutOtel } from "../helpers/env.js";
import { repoRoot } from "../helpers/example-runner.js";
import type { RequestKind, ScenarioConfig, ScenarioRequest } from "./scenario.js";

export type { RequestKind, ScenarioConfig, ScenarioRequest };

export interface ScenarioRun {
  code: number | null;
  stdout: string;
  stderr: string;
  requests: ScenarioRequest[];
}

/** Runs test/backends/scenario.ts in a child process (as a user runs an app) to completion. */
export function runScenario(
  config: ScenarioConfig,
  opts: { onStdout?: (chunk: string) => void; timeoutMs?: number } = {},
): Promise<ScenarioRun> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/backends/scenario.ts"], {
    cwd: repoRoot,
    env: envWithoutOtel({ BACKENDS_SCENARIO: JSON.stringify(config) }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    opts.onStdout?.(d);
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("SCENARIO "));
      const requests = line
        ? (JSON.parse(line.slice("SCENARIO ".length)) as { requests: ScenarioRequest[] }).requests
        : [];
      resolve({ code, stdout, stderr, requests });
    });
  });
}

/** Retries `fn` until it returns without throwing (backends index asynchronously). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function getJson(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------------
// Jaeger

/** A span as Jaeger's query API returns it, flattened. */
export interface JaegerSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** `client`, `internal`, ... (Jaeger's `span.kind` tag). */
  kind: string;
  tags: Record<string, unknown>;
  serviceName: string;
  processTags: Record<string, unknown>;
}

export interface JaegerTrace {
  traceId: string;
  spans: JaegerSpan[];
}

function tagMap(tags: Array<{ key: string; value: unknown }> = []): Record<string, unknown> {
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

function flattenTrace(t: any): JaegerTrace {
  const spans: JaegerSpan[] = (t.spans ?? []).map((s: any) => {
    const parent = (s.references ?? []).find((r: any) => r.refType === "CHILD_OF");
    const tags = tagMap(s.tags);
    const proc = t.processes?.[s.processID] ?? {};
    return {
      traceId: s.traceID,
      spanId: s.spanID,
      parentSpanId: parent?.spanID,
      name: s.operationName,
      kind: String(tags["span.kind"] ?? "internal"),
      tags,
      serviceName: proc.serviceName,
      processTags: tagMap(proc.tags),
    };
  });
  return { traceId: t.traceID, spans };
}

/** The traces of `service` with a span tagged `gen_ai.conversation.id = conversationId`. */
export async function jaegerTracesOf(
  jaegerUrl: string,
  service: string,
  conversationId: string,
): Promise<JaegerTrace[]> {
  const q = new URLSearchParams({
    service,
    tags: JSON.stringify({ "gen_ai.conversation.id": conversationId }),
    limit: "100",
    lookback: "1h",
  });
  const body = await getJson(`${jaegerUrl}/api/traces?${q}`);
  return (body.data ?? []).map(flattenTrace);
}

/** One trace by id. */
export async function jaegerTrace(jaegerUrl: string, traceId: string): Promise<JaegerTrace> {
  const body = await getJson(`${jaegerUrl}/api/traces/${traceId}`);
  return flattenTrace(body.data[0]);
}

/** Every trace of `service` (up to 1000). */
export async function jaegerAllTraces(jaegerUrl: string, service: string): Promise<JaegerTrace[]> {
  const q = new URLSearchParams({ service, limit: "1000", lookback: "1h" });
  const body = await getJson(`${jaegerUrl}/api/traces?${q}`);
  return (body.data ?? []).map(flattenTrace);
}

/** `name (kind)` of each span with the names of its ancestors, root first: the tree as text. */
export function treeLines(trace: JaegerTrace): string[] {
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const path = (s: JaegerSpan): string[] => {
    const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    return [...(parent ? path(parent) : []), `${s.name} (${s.kind})`];
  };
  return trace.spans.map((s) => path(s).join(" > ")).sort();
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface PromSeries {
  metric: Record<string, string>;
  value: number;
}

/** An instant PromQL query. */
export async function promQuery(promUrl: string, expr: string): Promise<PromSeries[]> {
  const body = await getJson(`${promUrl}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
  });
  if (body.data.resultType !== "vector") throw new Error(`${expr}: ${body.data.resultType}`);
  return body.data.result.map((r: any) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Values of `label` on the series matching `selector` (Grafana's `label_values()`). */
export async function promLabelValues(
  promUrl: string,
  label: string,
  selector: string,
): Promise<string[]> {
  const body = await getJson(
    `${promUrl}/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ "match[]": selector })}`,
  );
  return body.data;
}

/** A PromQL query our docs ship, and where. */
export interface ShippedQuery {
  source: string;
  title: string;
  expr: string;
}

/** The queries of README.md's ```promql blocks (comment lines name them; blank lines split). */
export function readmeQueries(): ShippedQuery[] {
  const readme = readFileSync(`${repoRoot}/README.md`, "utf8");
  const out: ShippedQuery[] = [];
  for (const block of readme.matchAll(/```promql\n([\s\S]*?)```/g)) {
    let title = "";
    let lines: string[] = [];
    const flush = () => {
      if (lines.length) out.push({ source: "README.md", title, expr: lines.join("\n") });
      lines = [];
    };
    for (const line of block[1].split("\n")) {
      if (line.trim() === "") flush();
      else if (line.startsWith("#")) {
        flush();
        title = line.replace(/^#\s*/, "");
      } else lines.push(line);
    }
    flush();
  }
  return out;
}

export const DASHBOARD = "examples/grafana/grafana/dashboards/langchain-genai.json";

/** Every Prometheus target of the dashboard's panels, and its Prometheus template variables. */
export function dashboardQueries(): {
  panels: ShippedQuery[];
  variables: Array<{ name: string; query: string }>;
} {
  const dashboard = JSON.parse(readFileSync(`${repoRoot}/${DASHBOARD}`, "utf8"));
  const isProm = (ds: any) => ds?.type === "prometheus";
  const panels: ShippedQuery[] = [];
  const walk = (list: any[]) => {
    for (const panel of list ?? []) {
      if (panel.panels) walk(panel.panels);
      for (const target of panel.targets ?? []) {
        const ds = target.datasource ?? panel.datasource;
        if (isProm(ds) && target.expr)
          panels.push({ source: DASHBOARD, title: panel.title, expr: target.expr });
      }
    }
  };
  walk(dashboard.panels);
  const variables = (dashboard.templating?.list ?? [])
    .filter((v: any) => v.type === "query" && isProm(v.datasource))
    .map((v: any) => ({ name: v.name, query: v.query?.query ?? v.query }));
  return { panels, variables };
}

/**
 * Grafana's variables replaced as Grafana would for this run: `$service` by the service (our
 * `job`), `$model` by `.*` (All), `$__rate_interval` by 1m, `$__range` by 10m. An unknown variable
 * throws, so a new one in the dashboard gets a value here on purpose.
 */
export function interpolate(expr: string, service: string): string {
  const values: Record<string, string> = {
    service: service.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&"),
    model: ".*",
    __rate_interval: "1m",
    __range: "10m",
  };
  return expr.replace(/\$(\w+)|\$\{(\w+)\}/g, (_m, a?: string, b?: string) => {
    const name = (a ?? b)!;
    if (!(name in values)) throw new Error(`unknown dashboard variable $${name} in ${expr}`);
    return values[name];
  });
}

/**
 * The labels a query's result must carry: every label of its `by (...)` clauses, less `le`
 * (consumed by histogram_quantile). `ignoring(...) group_left` keeps the left side's labels.
 */
export function expectedLabels(expr: string): string[] {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\bby\s*\(([^)]*)\)/g))
    for (const l of m[1].split(",")) if (l.trim()) labels.add(l.trim());
  labels.delete("le");
  return [...labels].sort();
}

// ---------------------------------------------------------------------------------------------
// VictoriaLogs

/** A stored log record: VictoriaLogs' fields (`_msg`, `_time`, `trace_id`, attributes...). */
export type VlRecord = Record<string, string>;

/** A LogsQL query (all time), optionally for one tenant (`AccountID` / `ProjectID` headers). */
export async function logsQuery(
  vlUrl: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<VlRecord[]> {
  const res = await fetch(`${vlUrl}/select/logsql/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`LogsQL ${query}: HTTP ${res.status} ${text}`);
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as VlRecord);
}

/** A LogsQL string literal. */
export function lq(value: string): string {
  return JSON.stringify(value);
}
