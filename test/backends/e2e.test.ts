/**
 * The end-to-end scenario against real backends: the demo agent (test/backends/scenario.ts, a
 * child process) exports traces to Jaeger 2, metrics to Prometheus 3's OTLP receiver and logs to
 * VictoriaLogs, in http/protobuf and in http/json; then each backend is asked through its own
 * query API what it stored. Every PromQL query of README.md and of the Grafana dashboard is run
 * against the real Prometheus (extracted from the files, so a new query is checked here too).
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  dashboardQueries,
  eventually,
  expectedLabels,
  interpolate,
  jaegerAllTraces,
  jaegerTracesOf,
  logsQuery,
  lq,
  promLabelValues,
  promQuery,
  readmeQueries,
  runScenario,
  treeLines,
  type JaegerTrace,
  type RequestKind,
  type ScenarioRun,
} from "./clients.js";
import { AGENT_NAME, FAILING_TOOL } from "./scenario.js";

const backends = inject("backends");
const TENANT = "team-a";
/** VictoriaLogs' tenant headers: the logs signal's own headers reach the logs backend. */
const VL_TENANT = { AccountID: "7", ProjectID: "3" };
const ROUNDS = 3;
const KINDS: RequestKind[] = ["agent", "stream", "tool-error", "model-error"];

/** The span tree of each request, as `name (kind)` paths from the root (LangGraph nodes included). */
const ROOT = `invoke_agent ${AGENT_NAME} (internal)`;
const MODEL_NODE = `${ROOT} > model_request (internal)`;
const TOOLS_NODE = `${ROOT} > tools (internal)`;
const CHAT = `${MODEL_NODE} > chat gpt-4o-mini (client)`;
const tree = (tools: string[]) =>
  [
    ROOT,
    MODEL_NODE,
    MODEL_NODE,
    CHAT,
    CHAT,
    // One `tools` node task per tool call (LangGraph sends each call to its own task).
    ...tools.flatMap((t) => [TOOLS_NODE, `${TOOLS_NODE} > execute_tool ${t} (internal)`]),
  ].sort();
const TREES: Record<RequestKind, string[]> = {
  agent: tree(["get_weather", "get_local_time"]),
  stream: tree(["get_weather", "get_local_time"]),
  "tool-error": tree(["get_weather", FAILING_TOOL]),
  "model-error": [ROOT, MODEL_NODE, CHAT].sort(),
};

const INFERENCE = "gen_ai.client.inference.operation.details";
const DETAILS = "gen_ai.client.operation.details";
const EXCEPTION = "gen_ai.client.operation.exception";
const S = String.raw`\d+\.\d\d s`;
const re = (source: string) => new RegExp(`^${source}$`);
const AGENT_RECORDS: Array<[string, string, RegExp]> = [
  [DETAILS, "INFO", re(`execute_tool get_weather: ${S}`)],
  [DETAILS, "INFO", re(`execute_tool get_local_time: ${S}`)],
  [
    DETAILS,
    "INFO",
    re(`invoke_agent ${AGENT_NAME}: ${S}, \\d+ in / \\d+ out tokens, 2 model calls, 2 tool calls`),
  ],
  [
    INFERENCE,
    "INFO",
    re(`chat gpt-4o-mini-2024-07-18: \\d+ in / \\d+ out tokens, ${S}, tool_calls`),
  ],
  [INFERENCE, "INFO", re(`chat gpt-4o-mini-2024-07-18: \\d+ in / \\d+ out tokens, ${S}, stop`)],
];
/** Each request's log records: event name, severity, body. */
const RECORDS: Record<RequestKind, Array<[string, string, RegExp]>> = {
  agent: AGENT_RECORDS,
  stream: AGENT_RECORDS,
  "tool-error": [
    AGENT_RECORDS[0],
    // The agent recovered (the model got the error as the tool's answer): WARN, not ERROR.
    [DETAILS, "WARN", re(`execute_tool ${FAILING_TOOL}: ${S}, failed: Error`)],
    [
      EXCEPTION,
      "WARN",
      re(
        `execute_tool ${FAILING_TOOL} failed: Error: the visa rules service is down \\(asked for Paris\\)`,
      ),
    ],
    ...AGENT_RECORDS.slice(2),
  ],
  "model-error": [
    [
      DETAILS,
      "ERROR",
      re(`invoke_agent ${AGENT_NAME}: ${S}, 1 model call, failed: InternalServerError`),
    ],
    [INFERENCE, "WARN", re(`chat gpt-4o-mini: ${S}, failed: InternalServerError`)],
    // The failure reached the application: ERROR.
    [
      EXCEPTION,
      "ERROR",
      re(`chat gpt-4o-mini failed: InternalServerError: 500 the model is overloaded`),
    ],
  ],
};

for (const protocol of ["http/protobuf", "http/json"] as const) {
  describe(`${protocol}: the demo agent against Jaeger, Prometheus and VictoriaLogs`, () => {
    const serviceName = `backends-e2e-${protocol.replace("/", "-")}`;
    let run: ScenarioRun;
    const traces = new Map<string, JaegerTrace>();

    beforeAll(async () => {
      run = await runScenario({
        serviceName,
        protocol,
        tracesUrl: backends.jaeger.otlpUrl,
        metricsUrl: backends.prometheus.otlpUrl,
        logsUrl: backends.victorialogs.otlpUrl,
        tenant: TENANT,
        logsHeaders: VL_TENANT,
        // VictoriaLogs takes OTLP logs in protobuf only (JSON is a 400, see failures.test.ts):
        // the logs signal keeps its own protocol, as a user of VictoriaLogs would configure it.
        logsProtocol: "http/protobuf",
        rounds: ROUNDS,
        pauseMs: 1500,
        metricExportIntervalMillis: 1000,
      });
    });

    it("the app ran without a telemetry warning; only the model-error requests failed", () => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      expect(run.requests).toHaveLength(ROUNDS * KINDS.length);
      for (const r of run.requests) expect(r.ok).toBe(r.kind !== "model-error");
    });

    it("Jaeger returns exactly one trace per request, with the expected span tree, kinds and parents", async () => {
      for (const r of run.requests) {
        const found = await eventually(async () => {
          const list = await jaegerTracesOf(backends.jaeger.url, serviceName, r.conversationId);
          expect(list.map((t) => treeLines(t))).toEqual([TREES[r.kind]]);
          return list;
        });
        traces.set(r.conversationId, found[0]);
      }
      // Nothing else: one trace per request for the whole run.
      const all = await jaegerAllTraces(backends.jaeger.url, serviceName);
      expect(all.map((t) => t.traceId).sort()).toEqual(
        [...traces.values()].map((t) => t.traceId).sort(),
      );
    });

    it("Jaeger has the GenAI attributes, the resource and the tenant header of the traces signal", async () => {
      for (const r of run.requests) {
        const trace = traces.get(r.conversationId)!;
        expect(trace).toBeDefined();
        const root = trace.spans.find((s) => !s.parentSpanId)!;
        expect(root.serviceName).toBe(serviceName);
        expect(root.tags).toMatchObject({
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.agent.name": AGENT_NAME,
          "gen_ai.conversation.id": r.conversationId,
        });
        for (const span of trace.spans) expect(span.tags.tenant).toBe(TENANT);
        const chats = trace.spans.filter((s) => s.name === "chat gpt-4o-mini");
        for (const chat of chats) {
          expect(chat.tags).toMatchObject({
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
          });
        }
        if (r.kind === "model-error") {
          expect(chats[0].tags).toMatchObject({
            "error.type": "InternalServerError",
            "otel.status_code": "ERROR",
          });
          expect(root.tags["error.type"]).toBe("InternalServerError");
          continue;
        }
        for (const chat of chats) {
          expect(chat.tags["gen_ai.response.model"]).toBe("gpt-4o-mini-2024-07-18");
          expect(chat.tags["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
          expect(chat.tags["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
        }
        expect(chats.map((c) => c.tags["gen_ai.response.finish_reasons"]).sort()).toEqual([
          '["stop"]',
          '["tool_calls"]',
        ]);
        const tools = trace.spans.filter((s) => s.name.startsWith("execute_tool "));
        for (const t of tools) {
          expect(t.tags["gen_ai.operation.name"]).toBe("execute_tool");
          expect(t.tags["gen_ai.tool.call.id"]).toMatch(/^call_/);
        }
        if (r.kind === "tool-error") {
          const failed = tools.find((t) => t.name === `execute_tool ${FAILING_TOOL}`)!;
          expect(failed.tags).toMatchObject({ "error.type": "Error", "otel.status_code": "ERROR" });
        }
      }
    });

    it("VictoriaLogs has each request's records under its trace id: severity, event name, body, GenAI fields", async () => {
      for (const r of run.requests) {
        const trace = traces.get(r.conversationId)!;
        const expected = RECORDS[r.kind];
        const records = await eventually(async () => {
          const got = await logsQuery(
            backends.victorialogs.url,
            `trace_id:=${lq(trace.traceId)}`,
            VL_TENANT,
          );
          expect(got).toHaveLength(expected.length);
          return got;
        });
        for (const [event, severity, body] of expected) {
          const matching = records.filter(
            (x) => x.event_name === event && x.severity_text === severity && body.test(x._msg),
          );
          expect({ event, severity, body: String(body), found: matching.length }).toEqual({
            event,
            severity,
            body: String(body),
            found: 1,
          });
        }
        const spanIds = new Set(trace.spans.map((s) => s.spanId));
        for (const rec of records) {
          expect(rec["service.name"]).toBe(serviceName);
          expect(spanIds.has(rec.span_id)).toBe(true);
          expect(rec["gen_ai.conversation.id"]).toBe(r.conversationId);
        }
        for (const rec of records.filter((x) => x.event_name === INFERENCE)) {
          expect(rec).toMatchObject({
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.provider.name": "openai",
          });
          if (r.kind !== "model-error") {
            expect(rec["gen_ai.response.model"]).toBe("gpt-4o-mini-2024-07-18");
            expect(Number(rec["gen_ai.usage.input_tokens"])).toBeGreaterThan(0);
            expect(Number(rec["gen_ai.usage.output_tokens"])).toBeGreaterThan(0);
          }
        }
        for (const rec of records.filter((x) => /^execute_tool /.test(x._msg))) {
          expect(rec["gen_ai.tool.name"]).toBe(rec._msg.split(/[ :]/)[1]);
          expect(rec["gen_ai.agent.name"]).toBe(AGENT_NAME);
        }
      }
    });

    it("VictoriaLogs finds the exception records by error.type: the failed model calls (ERROR) and tools (WARN)", async () => {
      const byType = async (errorType: string) =>
        logsQuery(
          backends.victorialogs.url,
          `"service.name":=${lq(serviceName)} event_name:=${lq(EXCEPTION)} "error.type":=${lq(errorType)}`,
          VL_TENANT,
        );
      const traceIdsOf = (kind: RequestKind) =>
        run.requests
          .filter((r) => r.kind === kind)
          .map((r) => traces.get(r.conversationId)!.traceId)
          .sort();
      const model = await eventually(async () => {
        const got = await byType("InternalServerError");
        expect(got).toHaveLength(ROUNDS);
        return got;
      });
      expect(model.map((x) => x.trace_id).sort()).toEqual(traceIdsOf("model-error"));
      for (const rec of model) {
        expect(rec).toMatchObject({
          severity_text: "ERROR",
          "exception.type": "InternalServerError",
          "exception.message": "500 the model is overloaded",
          "gen_ai.operation.name": "chat",
          "gen_ai.agent.name": AGENT_NAME,
        });
        expect(rec["exception.stacktrace"]).toMatch(/^Error: 500 the model is overloaded\n\s+at /);
      }
      const tool = await byType("Error");
      expect(tool.map((x) => x.trace_id).sort()).toEqual(traceIdsOf("tool-error"));
      for (const rec of tool) {
        expect(rec).toMatchObject({
          severity_text: "WARN",
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": FAILING_TOOL,
        });
      }
      // Nothing reached the default tenant: the logs signal's own headers were used.
      expect(
        await logsQuery(backends.victorialogs.url, `"service.name":=${lq(serviceName)}`),
      ).toEqual([]);
    });

    it("every PromQL query of the Grafana dashboard returns a non-empty, correctly labelled result for this service", async () => {
      const { panels, variables } = dashboardQueries();
      expect(panels.length).toBeGreaterThan(5);
      for (const q of panels) {
        const expr = interpolate(q.expr, serviceName);
        const result = await promQuery(backends.prometheus.url, expr);
        const labels = expectedLabels(expr);
        expect({ panel: q.title, expr, nonEmpty: result.length > 0 }).toEqual({
          panel: q.title,
          expr,
          nonEmpty: true,
        });
        for (const s of result) {
          expect({ panel: q.title, labels: Object.keys(s.metric).sort() }).toEqual({
            panel: q.title,
            labels,
          });
          for (const l of labels) expect(s.metric[l]).not.toBe("");
          expect(Number.isFinite(s.value)).toBe(true);
          expect(s.value).toBeGreaterThanOrEqual(0);
        }
        expect(result.some((s) => s.value > 0)).toBe(true);
      }
      // The template variables (Grafana's label_values()).
      const values: Record<string, string[]> = {};
      for (const v of variables) {
        const m = /^label_values\((.*),\s*(\w+)\)$/.exec(v.query);
        expect(m, v.query).not.toBeNull();
        values[v.name] = await promLabelValues(
          backends.prometheus.url,
          m![2],
          interpolate(m![1], serviceName),
        );
      }
      expect(values.service).toContain(serviceName);
      expect(values.model).toEqual(["gpt-4o-mini"]);
    });
  });
}

describe("README.md's PromQL queries against the real Prometheus", () => {
  it("each returns a non-empty, correctly labelled result", async () => {
    const queries = readmeQueries();
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const q of queries) {
      const result = await promQuery(backends.prometheus.url, q.expr);
      expect({ query: q.title, nonEmpty: result.length > 0 }).toEqual({
        query: q.title,
        nonEmpty: true,
      });
      const labels = expectedLabels(q.expr);
      for (const s of result) {
        expect({ query: q.title, labels: Object.keys(s.metric).sort() }).toEqual({
          query: q.title,
          labels,
        });
        expect(Number.isFinite(s.value)).toBe(true);
      }
    }
  });
});
