/**
 * Misconfiguration within seconds, without writing data: right after setupTelemetry(), one empty
 * OTLP export request per configured endpoint; a 404, 401, refused connection or TLS problem is
 * warned per signal with the export hints, within 5 s (a generous bound, not a timing test), and
 * the backend receives nothing but empty requests.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import {
  refusedUrl,
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedRequest,
} from "./helpers/otlp-receiver.js";
import { snapshotEnv } from "./helpers/env.js";

let receivers: OtlpReceiver[] = [];
let telemetry: TelemetryHandle | undefined;
let restoreEnv: (() => void) | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  restoreEnv?.();
  restoreEnv = undefined;
});

async function receiver(...args: Parameters<typeof startOtlpReceiver>): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(...args);
  receivers.push(r);
  return r;
}

/** setupTelemetry with the warnings collected, and the time it was called. */
function setup(options: Parameters<typeof setupTelemetry>[0]) {
  const warnings: string[] = [];
  const startedAt = performance.now();
  telemetry = setupTelemetry({ global: false, onWarning: (m) => warnings.push(m), ...options });
  /** Resolves with the elapsed ms once `count` warnings arrived; rejects after 5 s. */
  const warned = async (count: number): Promise<number> => {
    while (warnings.length < count) {
      if (performance.now() - startedAt > 5000)
        throw new Error(`only ${warnings.length} warnings within 5 s: ${JSON.stringify(warnings)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - startedAt;
  };
  return { warnings, warned };
}

/** Asserts a request stores nothing: no span, no metric, no log record in it. */
function expectEmpty(r: ReceivedRequest): void {
  const body = r.json as Record<string, any[]>;
  const items = [
    ...(body.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans ?? []),
    ...(body.resourceMetrics ?? []).flatMap((rm) => rm.scopeMetrics ?? []),
    ...(body.resourceLogs ?? []).flatMap((rl) => rl.scopeLogs ?? []),
  ];
  expect(items, `${r.path}: ${r.body.toString()}`).toEqual([]);
  for (const rm of body.resourceMetrics ?? []) expect(rm.resource.attributes).toEqual([]);
}

describe("the startup endpoint check", () => {
  it("a traces-only server: metrics and logs 404 are warned within 5 s with their hints, traces not; nothing stored", async () => {
    const tempo = await receiver({
      routes: { "/v1/traces": { status: 200 } },
      defaultRoute: { status: 404, body: "404 page not found" },
    });
    const { warnings, warned } = setup({ endpoint: tempo.url });
    // Never blocks: setupTelemetry() returned before any request left.
    expect(tempo.requests).toHaveLength(0);
    expect(await warned(2)).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(warnings.sort()).toEqual([
      `logs export to ${tempo.url}/v1/logs failed: HTTP 404 Not Found ("404 page not found") (found by the startup check, an empty export request that stores nothing). ` +
        'This endpoint does not accept OTLP logs; Loki wants /otlp/v1/logs (logs.endpoint "https://loki/otlp"); Tempo accepts traces only. ' +
        "Further logs export failures are counted, not repeated.",
      `metrics export to ${tempo.url}/v1/metrics failed: HTTP 404 Not Found ("404 page not found") (found by the startup check, an empty export request that stores nothing). ` +
        "This endpoint does not accept OTLP metrics; Tempo accepts traces only; Prometheus wants /api/v1/otlp/v1/metrics with --web.enable-otlp-receiver, Thanos Receive /api/v1/otlp (use metrics.url for it as-is). " +
        "Further metrics export failures are counted, not repeated.",
    ]);
    expect(tempo.requests.map((r) => r.path).sort()).toEqual([
      "/v1/logs",
      "/v1/metrics",
      "/v1/traces",
    ]);
    for (const r of tempo.requests) expectEmpty(r);
    expect(tempo.requestsTo("/v1/traces")[0].body.toString()).toBe('{"resourceSpans":[]}');
  });

  it("a tenant-checking server: 401 without its header is warned for that signal only", async () => {
    const loki = await receiver({
      routes: {
        "/otlp/v1/logs": (r) =>
          r.headers["x-scope-orgid"] === "rca"
            ? { status: 204 }
            : { status: 401, body: "no org id" },
      },
    });
    const { warnings, warned } = setup({
      traces: { endpoint: loki.url, headers: { "X-Scope-OrgID": "rca" } },
      metrics: false,
      logs: { endpoint: `${loki.url}/otlp` },
    });
    expect(await warned(1)).toBeLessThan(5000);
    await loki.waitFor((r) => r.path === "/v1/traces");
    await new Promise((r) => setTimeout(r, 200));
    expect(warnings).toEqual([
      `logs export to ${loki.url}/otlp/v1/logs failed: HTTP 401 Unauthorized ("no org id") (found by the startup check, an empty export request that stores nothing). ` +
        "Loki needs X-Scope-OrgID when auth is on; set it in logs.headers (plus any Authorization the gateway wants). " +
        "Further logs export failures are counted, not repeated.",
    ]);
    for (const r of loki.requests) expectEmpty(r);
  });

  it("with the tenant header: no warning, and the check used the signal's own headers", async () => {
    const loki = await receiver({
      routes: {
        "/otlp/v1/logs": (r) =>
          r.headers["x-scope-orgid"] === "rca" ? { status: 204 } : { status: 401 },
      },
    });
    const { warnings } = setup({
      traces: false,
      metrics: false,
      logs: {
        endpoint: `${loki.url}/otlp`,
        headers: { "X-Scope-OrgID": "rca" },
        protocol: "http/protobuf",
      },
    });
    const r = await loki.waitFor((q) => q.path === "/otlp/v1/logs", 5000);
    expect(r.contentType).toBe("application/x-protobuf");
    expect(r.body.length).toBe(0); // an empty ExportLogsServiceRequest
    await new Promise((res) => setTimeout(res, 200));
    expect(warnings).toEqual([]);
  });

  it("nothing listening: connection refused for each signal within 5 s", async () => {
    const url = await refusedUrl();
    const { warnings, warned } = setup({ endpoint: url });
    expect(await warned(3)).toBeLessThan(5000);
    for (const signal of ["traces", "metrics", "logs"]) {
      expect(warnings).toContainEqual(
        `${signal} export to ${url}/v1/${signal} failed: connection refused (found by the startup check, an empty export request that stores nothing). ` +
          `Nothing is listening at ${url.slice("http://".length)}; start the collector/backend or fix the ${signal} endpoint (OTLP/HTTP is usually port 4318). ` +
          `Further ${signal} export failures are counted, not repeated.`,
      );
    }
  });

  it("https against a plain-http port: a TLS warning", async () => {
    const plain = await receiver();
    const { warnings, warned } = setup({
      traces: { url: `${plain.url.replace("http:", "https:")}/v1/traces` },
      metrics: false,
      logs: false,
    });
    await warned(1);
    expect(warnings[0]).toMatch(
      /^traces export to https:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: TLS error/,
    );
    expect(warnings[0]).toContain("An https URL pointing at a plain-http port");
  });

  it("a real export failing later is counted, not warned twice", async () => {
    const tempo = await receiver({ defaultRoute: { status: 404 } });
    const { warnings, warned } = setup({ endpoint: tempo.url, metrics: false, logs: false });
    await warned(1);
    telemetry!.tracerProvider.getTracer("t").startSpan("s").end();
    await telemetry!.forceFlush();
    expect(warnings).toHaveLength(1);
    expect(tempo.requestsTo("/v1/traces")).toHaveLength(2);
  });

  it("is off with startupCheck: false, and with LANGCHAIN_OPENTELEMETRY_STARTUP_CHECK=false", async () => {
    const tempo = await receiver({ defaultRoute: { status: 404 } });
    const first = setup({ endpoint: tempo.url, startupCheck: false });
    await new Promise((r) => setTimeout(r, 500));
    await telemetry!.shutdown();
    restoreEnv = snapshotEnv();
    process.env.LANGCHAIN_OPENTELEMETRY_STARTUP_CHECK = "false";
    const second = setup({ endpoint: tempo.url, metrics: false });
    await new Promise((r) => setTimeout(r, 500));
    expect(tempo.requests).toHaveLength(0);
    expect([...first.warnings, ...second.warnings]).toEqual([]);
  });

  it("console and custom exporters are not checked", async () => {
    const { warnings } = setup({
      traces: { exporter: { export: () => {}, shutdown: async () => {} } as never },
      metrics: false,
      logs: false,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings).toEqual([]);
  });
});
