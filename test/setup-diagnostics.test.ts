/**
 * Clear errors instead of silence: the first failed export of each signal gives one warning
 * naming signal, URL, status and a hint; later failures are counted; full batch queues drop with
 * one warning.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-node";
import type { ExportResult } from "@opentelemetry/core";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { describeExportFailure } from "../src/setup/export-diagnostics.js";
import { refusedUrl, startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";
import { collectingExporter } from "./helpers/spans.js";

let receiver: OtlpReceiver | undefined;
let telemetry: TelemetryHandle | undefined;
let warnings: string[] = [];
const onWarning = (m: string) => warnings.push(m);

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver?.close();
  receiver = undefined;
  warnings = [];
});

const forSignal = (signal: string) => warnings.filter((w) => w.startsWith(`${signal} export`));

describe("export failure warnings", () => {
  it("warns once on a 404 for metrics with the Tempo/Prometheus/Thanos hint, and counts the rest", async () => {
    receiver = await startOtlpReceiver({
      routes: { "/v1/metrics": { status: 404, body: "404 page not found" } },
    });
    // The failure of a real export (the startup check is tested in setup-startup-check.test.ts).
    telemetry = setupTelemetry({
      disableBatch: true,
      endpoint: receiver.url,
      onWarning,
      startupCheck: false,
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.forceFlush();
    await telemetry.forceFlush();
    await telemetry.forceFlush();
    expect(receiver.requestsTo("/v1/metrics").length).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBe(
      `metrics export to ${receiver.url}/v1/metrics failed: HTTP 404 Not Found ("404 page not found"). ` +
        "This endpoint does not accept OTLP metrics; Tempo accepts traces only; Prometheus wants /api/v1/otlp/v1/metrics with " +
        "--web.enable-otlp-receiver, Thanos Receive /api/v1/otlp (use metrics.url for it as-is). " +
        "Further metrics export failures are counted, not repeated.",
    );
    await telemetry.shutdown();
    // The final export at shutdown fails too: one summary line with the count, then what was
    // not delivered (issue 14: shutdown() says it).
    expect(warnings).toHaveLength(3);
    expect(warnings[1]).toBe(
      `metrics: 4 exports failed in total to ${receiver.url}/v1/metrics (first: HTTP 404 Not Found ("404 page not found")).`,
    );
    expect(warnings[2]).toBe(
      "Not delivered since setup: metrics: 4 metric collections failed to export.",
    );
  });

  it("warns once on a 401 for logs with the Loki X-Scope-OrgID hint", async () => {
    receiver = await startOtlpReceiver({
      routes: { "/otlp/v1/logs": { status: 401, body: "no org id" } },
    });
    telemetry = setupTelemetry({
      disableBatch: true,
      onWarning,
      traces: { endpoint: receiver.url },
      metrics: { endpoint: receiver.url },
      logs: { endpoint: `${receiver.url}/otlp` },
    });
    for (let i = 0; i < 3; i++) await pingChain().invoke({ question: "ping" });
    await telemetry.forceFlush();
    expect(receiver.requestsTo("/otlp/v1/logs").length).toBeGreaterThanOrEqual(3);
    const logWarnings = forSignal("logs");
    expect(logWarnings).toHaveLength(1);
    expect(logWarnings[0]).toContain(
      `logs export to ${receiver.url}/otlp/v1/logs failed: HTTP 401 Unauthorized ("no org id").`,
    );
    expect(logWarnings[0]).toContain("Loki needs X-Scope-OrgID when auth is on");
    expect(warnings).toEqual(logWarnings);
  });

  it("warns once per signal on connection refused", async () => {
    const url = await refusedUrl();
    // A short timeout: refused connections are retried with backoff within it.
    telemetry = setupTelemetry({
      disableBatch: true,
      endpoint: url,
      timeoutMillis: 300,
      onWarning,
    });
    await pingChain().invoke({ question: "ping" });
    await pingChain().invoke({ question: "ping" });
    await telemetry.forceFlush();
    await telemetry.forceFlush();
    const host = new URL(url).host;
    for (const signal of ["traces", "metrics", "logs"]) {
      const w = forSignal(signal);
      expect(w, signal).toHaveLength(1);
      expect(w[0]).toBe(
        `${signal} export to ${url}/v1/${signal} failed: connection refused. Nothing is listening at ${host}; start the collector/backend or fix the ${signal} endpoint (OTLP/HTTP is usually port 4318). Further ${signal} export failures are counted, not repeated.`,
      );
    }
    expect(warnings).toHaveLength(3);
  });

  it("names the status class when a 503 persisted until the timeout", async () => {
    receiver = await startOtlpReceiver({
      routes: { "/v1/traces": { status: 503, headers: { "Retry-After": "5" } } },
    });
    telemetry = setupTelemetry({
      disableBatch: true,
      endpoint: receiver.url,
      timeoutMillis: 500,
      onWarning,
      metrics: false,
      logs: false,
    });
    await pingChain().invoke({ question: "ping" });
    await telemetry.forceFlush();
    const w = forSignal("traces");
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("failed: the receiver kept answering 429/502/503/504.");
  });
});

describe("describeExportFailure", () => {
  it("recognises TLS errors", () => {
    const error = Object.assign(new Error("self-signed certificate"), {
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    const d = describeExportFailure({ signal: "logs", url: "https://loki/otlp/v1/logs", error });
    expect(d.status).toBe("TLS error (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)");
    expect(d.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it("tells a 400 refusing the JSON encoding (VictoriaLogs) from a rejected payload", () => {
    const refused = Object.assign(new Error("Bad Request"), {
      code: 400,
      data: "json encoding isn't supported for opentelemetry format. Use protobuf encoding",
    });
    const d = describeExportFailure({ signal: "logs", url: "http://vl/v1/logs", error: refused });
    expect(d.status).toBe(
      'HTTP 400 Bad Request ("json encoding isn\'t supported for opentelemetry format. Use protobuf encoding")',
    );
    expect(d.hint).toBe(
      'The receiver does not accept this encoding; use protocol "http/protobuf" for logs (logs.protocol, or OTEL_EXPORTER_OTLP_LOGS_PROTOCOL). VictoriaLogs, for one, takes OTLP logs in protobuf only.',
    );
    const tooLong = Object.assign(new Error("Bad Request"), { code: 400, data: "line too long" });
    expect(describeExportFailure({ signal: "logs", error: tooLong }).hint).toMatch(/64 KB/);
  });
});

describe("bounded batch queue", () => {
  it("drops past maxQueueSize, counts the drops and warns once", async () => {
    // How many spans one run ends, measured with a plain exporter first.
    const counted: ReadableSpan[] = [];
    const counter = setupTelemetry({
      disableBatch: true,
      onWarning,
      metrics: false,
      logs: false,
      traces: { exporter: collectingExporter(counted) },
    });
    await pingChain().invoke({ question: "ping" });
    await counter.shutdown();
    const spansPerRun = counted.length;
    expect(spansPerRun).toBeGreaterThanOrEqual(2);

    const held: Array<(r: ExportResult) => void> = [];
    let hold = true;
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export(spans, cb) {
        exported.push(...spans);
        if (hold) held.push(cb);
        else cb({ code: 0 });
      },
      shutdown: async () => {},
    };
    telemetry = setupTelemetry({
      maxQueueSize: 2,
      onWarning,
      traces: { exporter },
      metrics: false,
      logs: false,
    });
    // The first full batch (2 spans) is held by the exporter, the next 2 fill the queue, the rest drop.
    for (let i = 0; i < 3; i++) await pingChain().invoke({ question: "ping" });
    const dropWarnings = warnings.filter((w) => w.includes("export queue is full"));
    expect(dropWarnings).toEqual([
      "traces: the export queue is full (maxQueueSize 2); spans are being dropped. The receiver is slower than the app or unreachable; raise maxQueueSize or fix the export. Drops are counted, not repeated.",
    ]);
    hold = false;
    for (const cb of held.splice(0)) cb({ code: 0 });
    await telemetry.shutdown();
    expect(exported.length).toBe(4);
    expect(warnings).toContain(
      `traces: ${3 * spansPerRun - 4} records dropped because the export queue was full.`,
    );
  });
});
