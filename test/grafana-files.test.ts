/**
 * `examples/grafana/` cannot be started here (no container engine): this validates what can be
 * validated without running it. The files parse; the collector's pipelines reference only
 * components it defines and route each signal to the right backend; the compose file mounts files
 * that exist; the Grafana data sources link logs to traces and traces to logs; the dashboard's
 * queries use only metric names and labels this package really emits: langchain-genai.json in the
 * default mode (the GenAI conventions v1.41.0), langchain-genai-latest.json when the latest
 * conventions are opted in (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { GenAiMetrics } from "../src/signals/metrics.js";
import { LatestGenAiMetrics } from "../src/signals/metrics-latest.js";
import * as S from "../src/semconv.js";
import { repoRoot } from "./helpers/example-runner.js";

const dir = join(repoRoot, "examples/grafana");
const yamlFile = (path: string): any => parse(readFileSync(join(dir, path), "utf8"));
const dashboardFile = (name: string): any =>
  JSON.parse(readFileSync(join(dir, `grafana/dashboards/${name}`), "utf8"));
const dashboard = dashboardFile("langchain-genai.json");
const latestDashboard = dashboardFile("langchain-genai-latest.json");

/** A reader collecting on demand, to see the instruments GenAiMetrics really creates. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Prometheus series names of every instrument this package records in a mode, from the real
 * instruments (name, unit, kind) and Prometheus' OTLP translation: `.` -> `_`, unit `s` ->
 * `_seconds`, annotation units such as `{token}` dropped, then `_bucket` / `_sum` / `_count` for
 * histograms and `_total` for counters.
 */
async function emittedSeriesNames(latestOnly = false): Promise<Set<string>> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const m = new GenAiMetrics(provider, !latestOnly);
  if (latestOnly) {
    const latest = new LatestGenAiMetrics(provider);
    latest.recordInference({
      attributes: {},
      usageAttributes: {},
      durationS: 1,
      inputTokens: 1,
      outputTokens: 1,
      timeToFirstChunkS: 0.1,
    });
    latest.recordChunkIntervals([10], {});
    latest.recordWorkflow(1, {});
    latest.recordAgentCalls(1, 1, {});
  }
  m.recordInference({
    attributes: {},
    durationS: 1,
    inputTokens: 1,
    outputTokens: 1,
    timeToFirstChunkS: 0.1,
  });
  m.recordChunkIntervals([10], {});
  m.recordTool(0.1, {});
  m.recordAgent(1, {});
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const names = new Set<string>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const { name, unit } = metric.descriptor;
      const suffix =
        unit === "s" ? "_seconds" : /^\{.*\}$/.test(unit) || unit === "" ? "" : `_${unit}`;
      const base = name.replace(/\./g, "_") + suffix;
      if (metric.dataPointType === DataPointType.SUM) names.add(`${base}_total`);
      else for (const part of ["_bucket", "_sum", "_count"]) names.add(base + part);
    }
  }
  return names;
}

/** Every attribute name the package can set, as a Prometheus label, plus Prometheus' own labels. */
const allowedLabels = new Set<string>([
  ...Object.entries(S)
    .filter(([k, v]) => k.startsWith("ATTR_") && typeof v === "string")
    .map(([, v]) => (v as string).replace(/\./g, "_")),
  "le",
  "job",
  "instance",
]);

interface Query {
  panel: string;
  datasource: string;
  expr: string;
}

function allQueries(board: any = dashboard): Query[] {
  const out: Query[] = [];
  for (const p of board.panels) {
    for (const t of p.targets ?? []) {
      out.push({
        panel: p.title,
        datasource: t.datasource?.uid ?? p.datasource?.uid,
        expr: t.expr ?? t.query ?? "",
      });
    }
  }
  for (const v of board.templating.list)
    out.push({ panel: `variable ${v.name}`, datasource: v.datasource.uid, expr: v.query.query });
  return out;
}

const promQueries = (board: any = dashboard) =>
  allQueries(board).filter((q) => q.datasource === "prometheus");

/** Metric names in a PromQL expression: identifiers right before a `{` or `[` selector, and label_values' first argument. */
function metricNamesIn(expr: string): string[] {
  const names = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)].map((m) => m[1]);
  const lv = /label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(expr);
  if (lv) names.push(lv[1]);
  return names;
}

/** Label names in a PromQL expression: `by (...)` lists and matchers inside `{...}`. */
function labelNamesIn(expr: string): string[] {
  const labels: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g))
    labels.push(
      ...m[1]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    );
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      labels.push(matcher[1]);
  }
  const lv = /label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/.exec(expr);
  if (lv) labels.push(lv[1]);
  return labels;
}

describe("examples/grafana: every file parses", () => {
  it("every YAML file parses to an object and the dashboard JSON parses", () => {
    const yamlFiles = [
      "docker-compose.yaml",
      "otel-collector.yaml",
      "tempo.yaml",
      "loki.yaml",
      "prometheus.yaml",
      "grafana/provisioning/datasources/datasources.yaml",
      "grafana/provisioning/dashboards/dashboards.yaml",
    ];
    const found = (function walk(d: string): string[] {
      return readdirSync(join(dir, d), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : /\.ya?ml$/.test(e.name) ? [join(d, e.name)] : [],
      );
    })(".");
    expect(found.map((f) => f.replace(/^\.\//, "")).sort()).toEqual([...yamlFiles].sort());
    for (const f of yamlFiles) expect(typeof yamlFile(f), f).toBe("object");
    expect(dashboard.uid).toBe("langchain-genai");
    expect(latestDashboard.uid).toBe("langchain-genai-latest");
  });

  it("the README says the stack is not run here", () => {
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(
      "Not run in this repository's tests.",
    );
  });
});

describe("examples/grafana/otel-collector.yaml", () => {
  const config = yamlFile("otel-collector.yaml");

  it("pipelines reference only defined receivers, processors and exporters, and every defined one is used", () => {
    const used = {
      receivers: new Set<string>(),
      processors: new Set<string>(),
      exporters: new Set<string>(),
    };
    for (const [name, pipeline] of Object.entries<any>(config.service.pipelines)) {
      for (const kind of ["receivers", "processors", "exporters"] as const) {
        for (const id of pipeline[kind] ?? []) {
          expect(Object.keys(config[kind] ?? {}), `${name}.${kind}: ${id}`).toContain(id);
          used[kind].add(id);
        }
      }
      expect(pipeline.receivers?.length, `${name} has receivers`).toBeGreaterThan(0);
      expect(pipeline.exporters?.length, `${name} has exporters`).toBeGreaterThan(0);
    }
    for (const kind of ["receivers", "processors", "exporters"] as const) {
      expect([...used[kind]].sort(), `unused ${kind}`).toEqual(Object.keys(config[kind]).sort());
    }
    for (const ext of config.service.extensions ?? [])
      expect(Object.keys(config.extensions)).toContain(ext);
  });

  it("routes traces to Tempo, metrics to Prometheus' OTLP receiver and logs to Loki's OTLP endpoint", () => {
    const compose = yamlFile("docker-compose.yaml");
    const endpoints = (signal: string) =>
      config.service.pipelines[signal].exporters.map((id: string) => {
        expect(id.split("/")[0], id).toBe("otlphttp");
        return config.exporters[id].endpoint as string;
      });
    expect(Object.keys(config.service.pipelines).sort()).toEqual(["logs", "metrics", "traces"]);
    // otlphttp appends /v1/<signal> to the endpoint.
    expect(endpoints("traces")).toEqual(["http://tempo:4318"]);
    expect(endpoints("metrics")).toEqual(["http://prometheus:9090/api/v1/otlp"]);
    expect(endpoints("logs")).toEqual(["http://loki:3100/otlp"]);
    for (const host of ["tempo", "prometheus", "loki"])
      expect(Object.keys(compose.services)).toContain(host);
    // The app's port: OTLP/HTTP on 4318, published by the compose file.
    expect(config.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    expect(compose.services["otel-collector"].ports).toContain("4318:4318");
  });

  it("the backends listen where the collector sends", () => {
    const tempo = yamlFile("tempo.yaml");
    expect(tempo.distributor.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    expect(yamlFile("loki.yaml").server.http_listen_port).toBe(3100);
    expect(yamlFile("loki.yaml").limits_config.allow_structured_metadata).toBe(true);
    expect(yamlFile("docker-compose.yaml").services.prometheus.command).toContain(
      "--web.enable-otlp-receiver",
    );
  });
});

describe("examples/grafana/docker-compose.yaml", () => {
  it("mounts only files and directories that exist here", () => {
    const compose = yamlFile("docker-compose.yaml");
    const mounts: string[] = [];
    for (const service of Object.values<any>(compose.services)) {
      for (const v of service.volumes ?? [])
        if (typeof v === "string" && v.startsWith("./")) mounts.push(v.split(":")[0]);
    }
    expect(mounts.length).toBeGreaterThan(0);
    for (const m of mounts) expect(existsSync(join(dir, m)), m).toBe(true);
  });
});

describe("examples/grafana data sources", () => {
  const { datasources } = yamlFile("grafana/provisioning/datasources/datasources.yaml");
  const byUid = new Map<string, any>(datasources.map((d: any) => [d.uid, d]));

  it("a Loki derived field on trace_id links log lines to the Tempo data source", () => {
    const loki = byUid.get("loki");
    expect(loki.type).toBe("loki");
    const [field] = loki.jsonData.derivedFields;
    expect([
      field.matcherType,
      field.matcherRegex,
      byUid.get(field.datasourceUid)?.type,
      field.url,
    ]).toEqual(["label", "trace_id", "tempo", "$${__value.raw}"]);
  });

  it("Tempo links a trace's spans to their Loki log records by trace_id", () => {
    const tempo = byUid.get("tempo");
    expect(tempo.type).toBe("tempo");
    const link = tempo.jsonData.tracesToLogsV2;
    expect(byUid.get(link.datasourceUid)?.type).toBe("loki");
    expect(link.query).toContain('trace_id="$${__trace.traceId}"');
  });

  it("every dashboard query and variable uses a provisioned data source", () => {
    for (const board of [dashboard, latestDashboard])
      for (const q of allQueries(board)) expect([...byUid.keys()], q.panel).toContain(q.datasource);
  });
});

describe("examples/grafana/grafana/dashboards/langchain-genai.json", () => {
  it("PromQL uses only series names this package emits", async () => {
    const emitted = await emittedSeriesNames();
    expect([...emitted]).toContain("gen_ai_client_token_usage_sum");
    expect([...emitted]).toContain("gen_ai_client_operation_duration_seconds_bucket");
    const used = new Set(promQueries().flatMap((q) => metricNamesIn(q.expr)));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect([...emitted], name).toContain(name);
  });

  it("PromQL uses only labels this package emits (plus le, job, instance)", () => {
    for (const q of promQueries()) {
      for (const label of labelNamesIn(q.expr))
        expect([...allowedLabels], `${q.panel}: ${label}`).toContain(label);
    }
  });

  it("has token usage per model, p50 and p95 model latency per model, errors, and Loki log panels", () => {
    const prom = promQueries().map((q) => q.expr.replace(/\s+/g, " "));
    expect(
      prom.some((e) =>
        /sum by \(gen_ai_request_model, gen_ai_token_type\) \(rate\(gen_ai_client_token_usage_sum\{/.test(
          e,
        ),
      ),
    ).toBe(true);
    for (const q of ["0.5", "0.95"]) {
      expect(
        prom.some((e) =>
          e.includes(
            `histogram_quantile(${q}, sum by (le, gen_ai_request_model) (rate(gen_ai_client_operation_duration_seconds_bucket{`,
          ),
        ),
      ).toBe(true);
    }
    expect(
      prom.some(
        (e) => e.includes("by (gen_ai_request_model, error_type)") && e.includes('error_type!=""'),
      ),
    ).toBe(true);
    const logPanels = dashboard.panels.filter((p: any) => p.type === "logs");
    expect(logPanels.length).toBeGreaterThan(0);
    for (const p of logPanels) expect(p.datasource.uid).toBe("loki");
  });
});

describe("examples/grafana/grafana/dashboards/langchain-genai-latest.json (latest conventions)", () => {
  it("PromQL uses only series names this package emits with only the latest conventions on, and none of v1.41.0's inference series", async () => {
    const emitted = await emittedSeriesNames(true);
    expect([...emitted]).toContain("gen_ai_client_inference_usage_input_tokens_total");
    expect([...emitted]).toContain("gen_ai_client_inference_duration_seconds_bucket");
    expect([...emitted]).not.toContain("gen_ai_client_token_usage_sum");
    const used = new Set(promQueries(latestDashboard).flatMap((q) => metricNamesIn(q.expr)));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect([...emitted], name).toContain(name);
  });

  it("PromQL uses only labels this package emits (plus le, job, instance)", () => {
    for (const q of promQueries(latestDashboard)) {
      for (const label of labelNamesIn(q.expr))
        expect([...allowedLabels], `${q.panel}: ${label}`).toContain(label);
    }
  });

  it("has the same panels as the v1.41.0 dashboard (and the latest's workflow duration), with the same Tempo and Loki queries", () => {
    const titles = (board: any) => board.panels.map((p: any) => p.title);
    expect(titles(latestDashboard)).toEqual([
      ...titles(dashboard),
      "Workflow duration p95 by workflow",
    ]);
    const others = (board: any) =>
      allQueries(board)
        .filter((q) => q.datasource !== "prometheus")
        .map((q) => q.expr);
    expect(others(latestDashboard)).toEqual(others(dashboard));
  });
});
