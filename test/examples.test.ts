/**
 * Every file of `examples/` (and `npm run demo`) runs here as a user would run it, in a child
 * process with tsx, and what it exported is checked: so the examples and the README output they
 * show cannot rot. OTLP goes to a local receiver on 127.0.0.1; the model is the scripted local
 * OpenAI-compatible server each example starts itself.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import {
  ancestry,
  finished,
  logRecordsOf,
  pointsOf,
  repoRoot,
  runExample,
  single,
  spansOf,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startExample,
  type ExampleResult,
} from "./helpers/example-runner.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";

/** A duration as the console exporter prints it: `0.42 ms`, `125 ms`, `1.25 s`. */
const DURATION = String.raw`\d+(\.\d+)? m?s`;
const AGENT_SPANS = [
  "chat gpt-4o-mini",
  "chat gpt-4o-mini",
  "execute_tool get_local_time",
  "execute_tool get_weather",
];

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function expectClean(result: ExampleResult): void {
  // The output is shown when the run failed, which makes a failure readable.
  expect({
    code: result.code,
    signal: result.signal,
    stderr: result.code === 0 ? "" : result.stderr,
  }).toEqual({ code: 0, signal: null, stderr: "" });
}

const otlpEnv = (): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
const traces = () => spansOf(receiver.requestsTo("/v1/traces"));
const points = () => pointsOf(receiver.requestsTo("/v1/metrics"));
const logRecords = () => logRecordsOf(receiver.requestsTo("/v1/logs"));
const genAiNames = (names: string[]) =>
  names.filter((n) => n.startsWith("chat ") || n.startsWith("execute_tool ")).sort();

describe("npm run demo (examples/demo.ts)", () => {
  it("the demo script runs examples/demo.ts with tsx", () => {
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8"));
    expect(pkg.scripts.demo).toBe("tsx examples/demo.ts");
  });

  it("prints the trace tree, the histograms and the log records on the embedded default, and ends by itself", async () => {
    const result = await runExample("demo.ts");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "Telemetry: no OTLP endpoint configured, printing traces, metrics and logs to stderr",
    );
    expect(result.stdout).toContain(
      "Agent answer: Here is what I found for Paris: weather in Paris: 18°C, sunny; time zone of Paris: Europe/Paris.",
    );

    const lines = result.stderr.split("\n");
    // The tree: the agent at the root (with its token totals), its model calls (with model, tokens and finish reason) and tools below.
    const root = lines.findIndex((l) =>
      new RegExp(`^└─ invoke_agent travel_assistant  ${DURATION}  tokens=222 in / 78 out$`).test(l),
    );
    expect(root).toBeGreaterThan(0);
    expect(lines[root - 1]).toMatch(/^trace [0-9a-f]{32}$/);
    const tree = lines.slice(root + 1).filter((l) => /^ {3}[ │├└]/.test(l));
    const chats = tree.filter((l) => new RegExp(`chat gpt-4o-mini  ${DURATION}  `).test(l));
    expect(chats).toHaveLength(2);
    expect(chats[0]).toMatch(
      /model=gpt-4o-mini -> gpt-4o-mini-2024-07-18 {2}tokens=\d+ in \/ \d+ out {2}finish=tool_calls$/,
    );
    expect(chats[1]).toMatch(
      /model=gpt-4o-mini -> gpt-4o-mini-2024-07-18 {2}tokens=\d+ in \/ \d+ out {2}finish=stop$/,
    );
    expect(
      tree.filter((l) => new RegExp(`[├└]─ execute_tool get_weather  ${DURATION}$`).test(l)),
    ).toHaveLength(1);
    expect(
      tree.filter((l) => new RegExp(`[├└]─ execute_tool get_local_time  ${DURATION}$`).test(l)),
    ).toHaveLength(1);

    // The histograms.
    const metricsAt = lines.indexOf("metrics");
    expect(metricsAt).toBeGreaterThan(0);
    const metricLines = lines.slice(metricsAt + 1);
    expect(
      metricLines.filter(
        (l) =>
          l.includes("gen_ai.client.token.usage [{token}]") &&
          l.includes("gen_ai.token.type=input") &&
          / count=2 /.test(l),
      ),
    ).toHaveLength(1);
    expect(
      metricLines.filter(
        (l) =>
          l.includes("gen_ai.client.token.usage [{token}]") &&
          l.includes("gen_ai.token.type=output") &&
          / count=2 /.test(l),
      ),
    ).toHaveLength(1);
    expect(
      metricLines.filter(
        (l) =>
          l.includes("gen_ai.client.operation.duration [s]") &&
          l.includes("gen_ai.request.model=gpt-4o-mini") &&
          / count=2 /.test(l),
      ),
    ).toHaveLength(1);

    // The log records, tied to the trace.
    const traceId = lines[root - 1].slice("trace ".length, "trace ".length + 8);
    const inference = lines.filter((l) =>
      l.startsWith("log INFO gen_ai.client.inference.operation.details"),
    );
    expect(inference).toHaveLength(2);
    for (const l of inference) expect(l).toContain(`trace=${traceId}`);
  });

  it("sends the same telemetry to OTEL_EXPORTER_OTLP_ENDPOINT instead, and says so", async () => {
    const result = await runExample("demo.ts", otlpEnv());
    expectClean(result);
    expect(result.stdout).toContain(
      `Telemetry: sending over OTLP (http/json) to traces -> ${receiver.url}/v1/traces, metrics -> ${receiver.url}/v1/metrics, logs -> ${receiver.url}/v1/logs.`,
    );
    expect(result.stdout).toContain("Agent answer: Here is what I found for Paris");

    const spans = traces();
    const root = single(spans, "invoke_agent travel_assistant");
    expect(root.parentSpanId).toBeUndefined();
    expect(root.resource["service.name"]).toBe("langchain-opentelemetry-demo");
    expect(genAiNames(spans.map((s) => s.name))).toEqual(AGENT_SPANS);
    for (const s of spans) {
      expect(s.traceId).toBe(root.traceId);
      expect(ancestry(spans, s).at(-1)).toBe("invoke_agent travel_assistant");
    }
    const chats = spans.filter((s) => s.name === "chat gpt-4o-mini");
    for (const chat of chats) {
      expect(chat.kind).toBe(SPAN_KIND_CLIENT);
      expect(chat.attributes["gen_ai.response.model"]).toBe("gpt-4o-mini-2024-07-18");
      expect(chat.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    }

    const usage = points().filter((p) => p.metric === "gen_ai.client.token.usage");
    expect(usage.map((p) => [p.attributes["gen_ai.token.type"], p.count]).sort()).toEqual([
      ["input", 2],
      ["output", 2],
    ]);
    const records = logRecords().filter(
      (l) => l.eventName === "gen_ai.client.inference.operation.details",
    );
    expect(records).toHaveLength(2);
    for (const r of records) expect(r.traceId).toBe(root.traceId);
  });
});

describe("npm run demo with credentials in the endpoint", () => {
  it("names the destination on its first line with the userinfo and the key redacted, and prints neither anywhere", async () => {
    const u = new URL(receiver.url);
    const endpoint = `http://otlpuser:hunter2pass@${u.host}/?api_key=qs-secret-77`;
    const result = await runExample("demo.ts", {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20hdr-secret-99",
    });
    expectClean(result);
    const redacted = (signal: string) => `http://***@${u.host}/v1/${signal}?api_key=***`;
    expect(result.stdout.split("\n")[0]).toBe(
      `Telemetry: sending over OTLP (http/json) to traces -> ${redacted("traces")}, metrics -> ${redacted("metrics")}, logs -> ${redacted("logs")}.`,
    );
    for (const secret of ["hunter2pass", "qs-secret-77", "hdr-secret-99"])
      expect(result.stdout + result.stderr).not.toContain(secret);
    // It did send there.
    expect(traces().map((s) => s.name)).toContain("invoke_agent travel_assistant");
  });
});

describe("examples/callbacks-array.ts", () => {
  it("traces the call that passes the handler in callbacks, and only that one", async () => {
    const result = await runExample("callbacks-array.ts", otlpEnv());
    expectClean(result);
    expect(result.stdout).toContain("traced call: Rome is a fine choice");
    expect(result.stdout).toContain("untraced call: Oslo is a fine choice");

    const spans = traces();
    const root = single(spans, "invoke_workflow city_guide");
    expect(root.parentSpanId).toBeUndefined();
    expect(spans.filter((s) => s.parentSpanId === undefined)).toHaveLength(1);
    const chat = single(spans, "chat gpt-4o-mini");
    expect(chat.parentSpanId).toBe(root.spanId);
    expect(
      points()
        .filter((p) => p.metric === "gen_ai.client.operation.duration")
        .map((p) => p.count),
    ).toEqual([1]);
  });
});

describe("examples/setup-global.ts", () => {
  it("traces a chain and an agent that pass no callbacks at all", async () => {
    const result = await runExample("setup-global.ts", otlpEnv());
    expectClean(result);
    expect(result.stdout).toContain("chain: Lisbon is a fine choice");
    expect(result.stdout).toContain("agent: Here is what I found for Rome");

    const spans = traces();
    const roots = spans.filter((s) => s.parentSpanId === undefined);
    expect(roots.map((s) => s.name).sort()).toEqual([
      "invoke_agent trip_planner",
      "invoke_workflow RunnableSequence",
    ]);
    expect(genAiNames(spans.map((s) => s.name))).toEqual(["chat gpt-4o-mini", ...AGENT_SPANS]);
    const agent = single(spans, "invoke_agent trip_planner");
    for (const s of spans.filter((x) => x.name.startsWith("execute_tool ")))
      expect(ancestry(spans, s).at(-1)).toBe(agent.name);
  });
});

describe("examples/own-providers.ts", () => {
  it("sends LangChain telemetry through the app's own providers, nested under the app's span", async () => {
    const result = await runExample("own-providers.ts", otlpEnv());
    expectClean(result);
    expect(result.stdout).toContain("agent: Here is what I found for Oslo");

    const spans = traces();
    const appSpan = single(spans, "handle_ticket");
    expect(appSpan.scope).toBe("my-app");
    const agent = single(spans, "invoke_agent support_agent");
    expect(agent.parentSpanId).toBe(appSpan.spanId);
    expect(agent.traceId).toBe(appSpan.traceId);
    expect(agent.scope).toBe("langchain-opentelemetry");
    // The app's resource, so the app's providers exported it.
    expect(agent.resource["service.name"]).toBe("own-providers-example");
    expect(genAiNames(spans.map((s) => s.name))).toEqual(AGENT_SPANS);

    const usage = points().filter((p) => p.metric === "gen_ai.client.token.usage");
    expect(usage).toHaveLength(2);
    expect(usage.every((p) => p.scope === "langchain-opentelemetry")).toBe(true);
    const records = logRecords().filter(
      (l) => l.eventName === "gen_ai.client.inference.operation.details",
    );
    expect(records).toHaveLength(2);
  });
});

describe("examples/grafana-stack.ts and grafana-stack.env.example", () => {
  const TRACES = "/tempo/v1/traces";
  const METRICS = "/thanos/api/v1/otlp";
  const LOGS = "/loki/otlp/v1/logs";

  function expectGrafanaRouting(tenant: string): void {
    const paths = new Set(receiver.requests.map((r) => r.path));
    expect([...paths].sort()).toEqual([METRICS, LOGS, TRACES].sort());
    for (const r of receiver.requestsTo(TRACES)) {
      expect(r.contentType).toBe("application/x-protobuf");
      expect(r.headers["x-scope-orgid"]).toBe(tenant);
      expect(r.headers["thanos-tenant"]).toBeUndefined();
    }
    for (const r of receiver.requestsTo(METRICS)) {
      expect(r.contentType).toBe("application/x-protobuf");
      expect(r.headers["thanos-tenant"]).toBe(tenant);
      expect(r.headers["x-scope-orgid"]).toBeUndefined();
    }
    for (const r of receiver.requestsTo(LOGS)) {
      expect(r.contentType).toBe("application/x-protobuf");
      expect(r.headers["x-scope-orgid"]).toBe(tenant);
      expect(r.headers["thanos-tenant"]).toBeUndefined();
    }
    const spans = spansOf(receiver.requestsTo(TRACES));
    expect(single(spans, "invoke_agent travel_assistant").resource["service.name"]).toBe(
      "travel-assistant",
    );
    expect(genAiNames(spans.map((s) => s.name))).toEqual(AGENT_SPANS);
    const usage = pointsOf(receiver.requestsTo(METRICS)).filter(
      (p) => p.metric === "gen_ai.client.token.usage",
    );
    expect(usage).toHaveLength(2);
    // Prometheus and Thanos accept cumulative temporality only.
    expect(usage.every((p) => p.temporality === 2)).toBe(true);
    const bodies = logRecordsOf(receiver.requestsTo(LOGS)).map((l) => String(l.body));
    expect(bodies.filter((b) => b.startsWith("chat gpt-4o-mini-2024-07-18:"))).toHaveLength(2);
  }

  it("sends traces to Tempo, metrics to Thanos Receive and logs to Loki, each with only its own tenant header", async () => {
    const result = await runExample("grafana-stack.ts", {
      TENANT: "tenant-42",
      TEMPO_OTLP_URL: `${receiver.url}${TRACES}`,
      METRICS_OTLP_URL: `${receiver.url}${METRICS}`,
      LOKI_OTLP_URL: `${receiver.url}${LOGS}`,
    });
    expectClean(result);
    expect(result.stdout).toContain(`traces -> ${receiver.url}${TRACES} (X-Scope-OrgID)`);
    expect(result.stdout).toContain(`metrics -> ${receiver.url}${METRICS} (THANOS-TENANT)`);
    expect(result.stdout).toContain(`logs -> ${receiver.url}${LOGS} (X-Scope-OrgID)`);
    expectGrafanaRouting("tenant-42");
  });

  it("the environment variables of grafana-stack.env.example alone give the same routing (demo.ts sets no endpoint or header option)", async () => {
    // Every `http://host[:port]` of the file becomes the receiver plus a path prefix naming the
    // service, so each backend's requests stay distinguishable.
    const env: Record<string, string> = {};
    const text = readFileSync(`${repoRoot}/examples/grafana-stack.env.example`, "utf8");
    const prefixes: Record<string, string> = {
      "tempo-distributor": "/tempo",
      "thanos-receive": "/thanos",
      "loki-gateway": "/loki",
    };
    for (const line of text.split("\n")) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (!m) continue;
      env[m[1]] = m[2]
        .replace(
          /^http:\/\/([a-z-]+)(:\d+)?/,
          (_all, host: string) => `${receiver.url}${prefixes[host] ?? `/unknown-${host}`}`,
        )
        .replace(/team-a/g, "tenant-7");
    }
    expect(Object.keys(env).sort()).toEqual([
      "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
      "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
      "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
      "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
      "OTEL_SERVICE_NAME",
    ]);
    // demo.ts calls setupTelemetry() with a serviceName option, which wins over OTEL_SERVICE_NAME;
    // the routing (URLs, headers, protocol) comes from the file alone.
    const result = await runExample("demo.ts", env);
    expectClean(result);
    expect(result.stdout).toContain(`traces -> ${receiver.url}${TRACES}`);
    const spans = spansOf(receiver.requestsTo(TRACES));
    expect(single(spans, "invoke_agent travel_assistant").resource["service.name"]).toBe(
      "langchain-opentelemetry-demo",
    );
    const paths = new Set(receiver.requests.map((r) => r.path));
    expect([...paths].sort()).toEqual([METRICS, LOGS, TRACES].sort());
    for (const r of receiver.requestsTo(TRACES))
      expect([r.contentType, r.headers["x-scope-orgid"], r.headers["thanos-tenant"]]).toEqual([
        "application/x-protobuf",
        "tenant-7",
        undefined,
      ]);
    for (const r of receiver.requestsTo(METRICS))
      expect([r.contentType, r.headers["thanos-tenant"], r.headers["x-scope-orgid"]]).toEqual([
        "application/x-protobuf",
        "tenant-7",
        undefined,
      ]);
    for (const r of receiver.requestsTo(LOGS))
      expect([r.contentType, r.headers["x-scope-orgid"], r.headers["thanos-tenant"]]).toEqual([
        "application/x-protobuf",
        "tenant-7",
        undefined,
      ]);
    expect(
      pointsOf(receiver.requestsTo(METRICS)).filter(
        (p) => p.metric === "gen_ai.client.token.usage",
      ),
    ).toHaveLength(2);
    expect(logRecordsOf(receiver.requestsTo(LOGS)).length).toBeGreaterThan(0);
  });
});

describe("examples/http-server.ts", () => {
  it("makes the request's SERVER span the parent of the LangChain spans, and flushes on SIGTERM", async () => {
    const child = startExample("http-server.ts", otlpEnv());
    const done = finished(child);
    // A failed assertion must not leave the server running.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const base = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`no "Listening on" line; got: ${out}`)),
        30_000,
      );
      child.stdout.on("data", (d: Buffer | string) => {
        out += String(d);
        const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const response = await fetch(`${base}/ask`, {
      method: "POST",
      body: JSON.stringify({ question: "A weekend in Rome?" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      answer:
        "Here is what I found for Rome: weather in Rome: 24°C, clear; time zone of Rome: Europe/Rome.",
    });

    child.kill("SIGTERM");
    expectClean(await done);

    const spans = traces();
    const server = spans.filter((s) => s.kind === SPAN_KIND_SERVER);
    expect(
      server.map((s) => [
        s.name,
        s.scope,
        s.attributes["http.route"] ?? s.attributes["url.path"] ?? s.attributes["http.target"],
      ]),
    ).toEqual([["POST", "@opentelemetry/instrumentation-http", "/ask"]]);
    const agent = single(spans, "invoke_agent concierge");
    expect(agent.parentSpanId).toBe(server[0].spanId);
    expect(agent.traceId).toBe(server[0].traceId);
    expect(genAiNames(spans.map((s) => s.name))).toEqual(AGENT_SPANS);
    for (const s of spans) expect(ancestry(spans, s).at(-1)).toBe("POST");
  });
});

describe("examples/streaming.ts", () => {
  it("streams the answer and records time to first chunk on the span and as a histogram", async () => {
    const result = await runExample("streaming.ts", otlpEnv());
    expectClean(result);
    expect(result.stdout).toContain(
      "stream: Madrid is a fine choice: mild weather, good food and plenty to see.\n",
    );
    expect(result.stdout).toMatch(/first chunk after \d+ ms \(as seen by the app\)/);

    const spans = traces();
    const root = single(spans, "invoke_workflow describe_city");
    const chat = single(spans, "chat gpt-4o-mini");
    expect(chat.parentSpanId).toBe(root.spanId);
    const ttfc = chat.attributes["gen_ai.response.time_to_first_chunk"];
    expect(typeof ttfc).toBe("number");
    expect(ttfc as number).toBeGreaterThan(0);
    // Usage arrives in the last streamed chunk.
    expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);

    const firstChunk = points().filter(
      (p) => p.metric === "gen_ai.client.operation.time_to_first_chunk",
    );
    expect(firstChunk.map((p) => [p.unit, p.count, p.attributes["gen_ai.request.model"]])).toEqual([
      ["s", 1, "gpt-4o-mini"],
    ]);
    expect(firstChunk[0].sum).toBeCloseTo(ttfc as number, 6);
    const perChunk = points().filter(
      (p) => p.metric === "gen_ai.client.operation.time_per_output_chunk",
    );
    expect(perChunk).toHaveLength(1);
    expect(perChunk[0].count).toBeGreaterThan(1);
  });
});
