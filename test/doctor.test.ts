import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runDoctor, type DoctorOptions } from "../src/setup/doctor.js";

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A receiver on 127.0.0.1 that answers every POST with `status` and records what it got. */
async function receiver(
  status: number,
  body = "",
): Promise<{ base: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      res.statusCode = status;
      res.setHeader("content-type", status === 200 ? "application/json" : "text/plain");
      res.end(status === 200 ? "{}" : body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, received };
}

/** A port on which nothing listens: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const NOTHING_STORED =
  "checking each endpoint with an empty export request: nothing is stored (--send-sample sends one sample span, metric point and log record instead)";

async function doctor(env: NodeJS.ProcessEnv, extra: Omit<DoctorOptions, "env" | "out"> = {}) {
  const lines: string[] = [];
  const code = await runDoctor({ env, out: (l) => lines.push(l), timeoutMillis: 500, ...extra });
  return { code, lines, text: lines.join("\n") };
}

describe("doctor", () => {
  it("with --send-sample: one valid OTLP export per signal with only that signal's headers, reports 200, and says the samples are stored", async () => {
    const { base, received } = await receiver(200);
    const { code, lines } = await doctor(
      {
        OTEL_SERVICE_NAME: "rca",
        OTEL_EXPORTER_OTLP_ENDPOINT: base,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "X-Scope-OrgID=rca",
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: "THANOS-TENANT=platform-team",
      },
      { sendSample: true },
    );
    expect(code).toBe(0);
    expect(lines).toEqual([
      "langchain-opentelemetry doctor  (service.name=rca)",
      "sending one sample span, metric point and log record per signal, as service.name=rca: they are stored in the backends",
      "",
      "traces   OK  HTTP 200 OK",
      `  url      ${base}/v1/traces`,
      "  headers  X-Scope-OrgID: r***",
      "",
      "metrics  OK  HTTP 200 OK",
      `  url      ${base}/v1/metrics`,
      "  headers  THANOS-TENANT: p***",
      "",
      "logs     OK  HTTP 200 OK",
      `  url      ${base}/v1/logs`,
      "  headers  (none)",
      "",
      "all checked signals were accepted",
    ]);
    const byPath = Object.fromEntries(received.map((r) => [r.path, r]));
    expect(Object.keys(byPath).sort()).toEqual(["/v1/logs", "/v1/metrics", "/v1/traces"]);
    expect(byPath["/v1/traces"].headers["x-scope-orgid"]).toBe("rca");
    expect(byPath["/v1/traces"].headers["thanos-tenant"]).toBeUndefined();
    expect(byPath["/v1/metrics"].headers["thanos-tenant"]).toBe("platform-team");
    expect(byPath["/v1/metrics"].headers["x-scope-orgid"]).toBeUndefined();
    expect(byPath["/v1/logs"].headers["x-scope-orgid"]).toBeUndefined();
    for (const r of received) expect(r.headers["content-type"]).toBe("application/json");
    // Real OTLP JSON from the official exporters: one span, one metric, one log record.
    const traces = byPath["/v1/traces"].body as any;
    expect(traces.resourceSpans[0].resource.attributes).toContainEqual({
      key: "service.name",
      value: { stringValue: "rca" },
    });
    expect(traces.resourceSpans[0].scopeSpans[0].spans.map((s: any) => s.name)).toEqual([
      "langchain-opentelemetry doctor",
    ]);
    expect(traces.resourceSpans[0].scopeSpans[0].spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    const metrics = byPath["/v1/metrics"].body as any;
    expect(metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].name).toBe(
      "langchain_opentelemetry.doctor.checks",
    );
    const logs = byPath["/v1/logs"].body as any;
    expect(logs.resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({
      stringValue: "langchain-opentelemetry doctor",
    });
  });

  it("sends exactly the printed headers although OTEL_EXPORTER_OTLP_HEADERS is set in process.env", async () => {
    const { base, received } = await receiver(200);
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "Leaked=yes";
    try {
      const { code, lines } = await doctor({
        OTEL_EXPORTER_OTLP_ENDPOINT: base,
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: "X-Scope-OrgID=rca",
        OTEL_METRICS_EXPORTER: "none",
        OTEL_TRACES_EXPORTER: "none",
      });
      expect(code).toBe(0);
      expect(lines).toContain("  headers  X-Scope-OrgID: r***");
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
    expect(received).toHaveLength(1);
    expect(received[0].headers["x-scope-orgid"]).toBe("rca");
    expect(received[0].headers["leaked"]).toBeUndefined();
  });

  it("reports 404 on metrics with the Tempo/Prometheus/Thanos hint and exits 1", async () => {
    const ok = await receiver(200);
    const notFound = await receiver(404, "404 page not found\n");
    const { code, lines } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: ok.base,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${notFound.base}/v1/metrics`,
    });
    expect(code).toBe(1);
    const start = lines.indexOf("metrics  FAIL  HTTP 404 Not Found");
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start, start + 6)).toEqual([
      "metrics  FAIL  HTTP 404 Not Found",
      `  url      ${notFound.base}/v1/metrics`,
      "  headers  (none)",
      "  body     404 page not found",
      "  -> this endpoint does not accept OTLP metrics. Tempo accepts traces only; Prometheus wants /api/v1/otlp/v1/metrics (started with --web.enable-otlp-receiver); Thanos Receive wants /api/v1/otlp (give the full URL with OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or metrics.url, used as-is)",
      "  -> OTEL_EXPORTER_OTLP_ENDPOINT and endpoint get /v1/metrics appended; OTEL_EXPORTER_OTLP_METRICS_ENDPOINT and url are used as-is",
    ]);
    expect(lines).toContain("traces   OK  HTTP 200 OK");
    expect(lines).toContain("logs     OK  HTTP 200 OK");
    expect(lines.at(-1)).toBe("1 of 3 checked signals failed: metrics");
  });

  it("reports 401 on logs with the Loki X-Scope-OrgID hint", async () => {
    const ok = await receiver(200);
    const unauthorized = await receiver(401, "no org id");
    const { code, lines } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: ok.base,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${unauthorized.base}/otlp/v1/logs`,
    });
    expect(code).toBe(1);
    const start = lines.indexOf("logs     FAIL  HTTP 401 Unauthorized");
    expect(lines.slice(start + 3, start + 6)).toEqual([
      "  body     no org id",
      "  -> Loki needs X-Scope-OrgID when auth is on (auth_enabled: true)",
      "  -> no headers were sent: set OTEL_EXPORTER_OTLP_LOGS_HEADERS (e.g. X-Scope-OrgID=tenant) or logs.headers",
    ]);
  });

  it("reports a refused connection when nothing listens", async () => {
    const port = await closedPort();
    const { code, lines } = await doctor({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
    });
    expect(code).toBe(1);
    expect(lines.slice(1, 7)).toEqual([
      NOTHING_STORED,
      "",
      "traces   FAIL  ECONNREFUSED",
      `  url      http://127.0.0.1:${port}/v1/traces`,
      "  headers  (none)",
      `  -> nothing listens at 127.0.0.1:${port}: check the host and port (OTLP/HTTP is 4318 on the Collector and Tempo)`,
    ]);
    expect(lines).toContain("metrics  SKIP");
  });

  it("reports a TLS handshake failure when https:// points at a plain-HTTP receiver", async () => {
    const { base, received } = await receiver(200);
    const httpsBase = base.replace("http://", "https://");
    const { code, lines } = await doctor({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${httpsBase}/otlp/v1/logs`,
      OTEL_METRICS_EXPORTER: "none",
      OTEL_TRACES_EXPORTER: "none",
    });
    expect(code).toBe(1);
    const start = lines.indexOf("logs     FAIL  EPROTO");
    expect(lines.slice(start, start + 4)).toEqual([
      "logs     FAIL  EPROTO",
      `  url      ${httpsBase}/otlp/v1/logs`,
      "  headers  (none)",
      "  -> TLS handshake failed: the server probably speaks plain HTTP; use http:// instead of https://",
    ]);
    expect(received).toEqual([]);
  });

  it("checks nothing and exits 0 when no endpoint is configured (the embedded console default)", async () => {
    const { code, lines } = await doctor({});
    expect(code).toBe(0);
    expect(lines).toContain("traces   SKIP");
    expect(lines).toContain(
      "  -> no endpoint configured: setupTelemetry() prints this signal to the console (the embedded default)",
    );
    expect(lines.at(-1)).toBe(
      "nothing was sent: no signal exports over OTLP with this configuration",
    );
  });

  it("says a signal is printed to the console when OTEL_<SIGNAL>_EXPORTER=console", async () => {
    const { base, received } = await receiver(200);
    const { code, lines } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      OTEL_LOGS_EXPORTER: "console",
    });
    expect(code).toBe(0);
    const start = lines.indexOf("logs     SKIP");
    expect(lines.slice(start, start + 2)).toEqual([
      "logs     SKIP",
      "  -> OTEL_LOGS_EXPORTER=console: this signal is printed to the console, nothing to check",
    ]);
    expect(received.map((r) => r.path).sort()).toEqual(["/v1/metrics", "/v1/traces"]);
  });

  it("exits 2 and names the variable when the configuration is invalid", async () => {
    const { code, lines } = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" });
    expect(code).toBe(2);
    expect(lines[2]).toMatch(/^warning: OTEL_EXPORTER_OTLP_ENDPOINT is not a valid URL/);
  });

  it("runs as a CLI: `doctor --endpoint` against a receiver, exit code 0", async () => {
    const { base, received } = await receiver(200);
    const cli = fileURLToPath(new URL("../src/setup/cli.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
    // spawnSync would block the event loop that serves the receiver: run it asynchronously.
    const { spawn } = await import("node:child_process");
    const child = spawn(tsx, [cli, "doctor", "--endpoint", base, "--timeout", "2000"], {
      env: { PATH: process.env.PATH, OTEL_SERVICE_NAME: "cli-test" },
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(stdout).toContain("langchain-opentelemetry doctor  (service.name=cli-test)");
    expect(stdout).toContain("traces   OK  HTTP 200 OK");
    expect(code).toBe(0);
    expect(received.map((r) => r.path).sort()).toEqual(["/v1/logs", "/v1/metrics", "/v1/traces"]);
  });

  it("exits 2 with usage for an unknown command", () => {
    const cli = fileURLToPath(new URL("../src/setup/cli.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
    const result = spawnSync(tsx, [cli, "bogus"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command: bogus");
    expect(result.stderr).toContain("Usage: langchain-opentelemetry doctor");
  });
});
