/**
 * Failure cases against the real backends: a wrong Prometheus path (and a Prometheus without its
 * OTLP receiver, or a VictoriaLogs given OTLP/JSON) surfaces as our one warning with the right
 * hint, and a log store stopped in the middle of a run and started again within the exporters'
 * retry window loses no record.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startPrometheus, startVictoriaLogs, type RunningBackend } from "../../scripts/backends.js";
import { eventually, logsQuery, lq, promQuery, runScenario } from "./clients.js";

const backends = inject("backends");
const started: RunningBackend[] = [];

afterAll(async () => {
  await Promise.all(started.map((b) => b.stop()));
  for (const b of started) rmSync(b.dataDir, { recursive: true, force: true });
});

const warningsOf = (stderr: string) =>
  stderr
    .split("\n")
    .filter((l) => l.startsWith("[langchain-opentelemetry] "))
    .map((l) => l.slice("[langchain-opentelemetry] ".length));

/** After the one warning, only the shutdown report's count for the same signal may follow. */
const SHUTDOWN_SUMMARY = (signal: string) =>
  new RegExp(`^(Not delivered since setup: )?${signal}: \\d+ [^\\n]*(failed|not delivered)`);

describe("Prometheus rejecting our metrics", () => {
  it("a wrong path (Thanos' /api/v1/otlp without /v1/metrics) is one warning naming the URL, the 404 and the Prometheus path", async () => {
    const wrongUrl = `${backends.prometheus.url}/api/v1/otlp`;
    const run = await runScenario({
      serviceName: "backends-bad-path",
      protocol: "http/protobuf",
      tracesUrl: backends.jaeger.otlpUrl,
      metricsUrl: wrongUrl,
      logsUrl: backends.victorialogs.otlpUrl,
      tenant: "team-a",
      rounds: 1,
      kinds: ["agent"],
      pauseMs: 0,
      metricExportIntervalMillis: 1000,
    });
    expect(run.code).toBe(0);
    // One warning at the first failure; at shutdown, a count when more than one export failed.
    const [first, ...rest] = warningsOf(run.stderr);
    const url = wrongUrl.replace(/[.?]/g, "\\$&");
    expect(first).toMatch(new RegExp(`^metrics export to ${url} failed: HTTP 404`));
    expect(first).toContain(
      "Prometheus wants /api/v1/otlp/v1/metrics with --web.enable-otlp-receiver",
    );
    for (const line of rest) expect(line).toMatch(SHUTDOWN_SUMMARY("metrics"));
    expect(rest.length).toBeLessThanOrEqual(2);
    // Nothing arrived under that service, and the other signals were not affected.
    expect(
      await promQuery(
        backends.prometheus.url,
        'gen_ai_client_token_usage_bucket{job="backends-bad-path"}',
      ),
    ).toEqual([]);
    await eventually(async () => {
      const got = await logsQuery(backends.victorialogs.url, `"service.name":="backends-bad-path"`);
      expect(got.length).toBeGreaterThan(0);
    });
  });

  it("a Prometheus started without --web.enable-otlp-receiver is the same warning, whose hint names the flag", async () => {
    const plain = await startPrometheus({ otlpReceiver: false });
    started.push(plain);
    const run = await runScenario({
      serviceName: "backends-no-receiver",
      protocol: "http/protobuf",
      metricsUrl: plain.otlpUrl,
      tenant: "team-a",
      rounds: 1,
      kinds: ["agent"],
      pauseMs: 0,
      metricExportIntervalMillis: 1000,
    });
    expect(run.code).toBe(0);
    const [first, ...rest] = warningsOf(run.stderr);
    expect(first).toMatch(/^metrics export to \S+\/api\/v1\/otlp\/v1\/metrics failed: HTTP 404/);
    expect(first).toContain("--web.enable-otlp-receiver");
    for (const line of rest) expect(line).toMatch(SHUTDOWN_SUMMARY("metrics"));
    expect(rest.length).toBeLessThanOrEqual(2);
  });
});

describe("VictoriaLogs refusing OTLP/JSON logs", () => {
  it("http/json logs are one warning whose hint says to use http/protobuf for logs; traces and metrics in JSON arrive", async () => {
    const run = await runScenario({
      serviceName: "backends-json-logs",
      protocol: "http/json",
      tracesUrl: backends.jaeger.otlpUrl,
      metricsUrl: backends.prometheus.otlpUrl,
      logsUrl: backends.victorialogs.otlpUrl,
      tenant: "team-a",
      rounds: 1,
      kinds: ["agent"],
      pauseMs: 0,
      metricExportIntervalMillis: 1000,
    });
    expect(run.code).toBe(0);
    const [first, ...rest] = warningsOf(run.stderr);
    expect(first).toBe(
      `logs export to ${backends.victorialogs.otlpUrl} failed: HTTP 400 Bad Request ("json encoding isn't supported for opentelemetry format. Use protobuf encoding"). The receiver does not accept this encoding; use protocol "http/protobuf" for logs (logs.protocol, or OTEL_EXPORTER_OTLP_LOGS_PROTOCOL). VictoriaLogs, for one, takes OTLP logs in protobuf only. Further logs export failures are counted, not repeated.`,
    );
    for (const line of rest) expect(line).toMatch(SHUTDOWN_SUMMARY("logs"));
    expect(rest.length).toBeLessThanOrEqual(2);
    expect(
      await logsQuery(backends.victorialogs.url, `"service.name":="backends-json-logs"`),
    ).toEqual([]);
    await eventually(async () => {
      const got = await promQuery(
        backends.prometheus.url,
        'gen_ai_client_token_usage_count{job="backends-json-logs"}',
      );
      expect(got.length).toBeGreaterThan(0);
    });
  });
});

describe("a backend stopped mid-run and started again within the retry window", () => {
  it("VictoriaLogs restarted on the same port and data: every log record of every request arrives", async () => {
    let vl = await startVictoriaLogs();
    started.push(vl);
    const { ports, dataDir } = vl;
    const serviceName = "backends-restart";
    let restart: Promise<void> | undefined;
    let down: [number, number] | undefined;
    let requestsWhileDown = 0;
    const run = await runScenario(
      {
        serviceName,
        protocol: "http/protobuf",
        tracesUrl: backends.jaeger.otlpUrl,
        metricsUrl: backends.prometheus.otlpUrl,
        logsUrl: vl.otlpUrl,
        tenant: "team-a",
        rounds: 8,
        kinds: ["agent"],
        pauseMs: 500,
        metricExportIntervalMillis: 1000,
        // Long enough for a restart: the exporter retries refused connections with backoff.
        timeoutMillis: 15_000,
      },
      {
        onStdout: (chunk) => {
          const now = Date.now();
          requestsWhileDown += (chunk.match(/^REQUEST /gm) ?? []).filter(
            () => down !== undefined && now >= down[0] && now <= down[1],
          ).length;
          // After the third request: stop it, wait 2 s with nothing listening, start it again.
          if (!restart && /"round":3\b/.test(chunk)) {
            restart = (async () => {
              await vl.stop();
              down = [Date.now(), Infinity];
              await new Promise((r) => setTimeout(r, 2000));
              vl = await startVictoriaLogs({ ports, dataDir });
              down[1] = Date.now();
              started.push(vl);
            })();
          }
        },
      },
    );
    await restart;
    expect(restart).toBeDefined();
    // The outage was real: requests (and their records) were made while nothing listened.
    expect(requestsWhileDown).toBeGreaterThanOrEqual(2);
    expect({ code: run.code, warnings: warningsOf(run.stderr) }).toEqual({ code: 0, warnings: [] });
    expect(run.requests).toHaveLength(8);

    // Every request has as many records as the first one (sent before the outage), and the
    // total is that times 8.
    const perRequest = await eventually(async () => {
      const counts: number[] = [];
      for (const r of run.requests) {
        const got = await logsQuery(vl.url, `"gen_ai.conversation.id":=${lq(r.conversationId)}`);
        counts.push(got.length);
      }
      expect(counts[0]).toBeGreaterThan(0);
      expect(counts).toEqual(counts.map(() => counts[0]));
      return counts[0];
    });
    const all = await logsQuery(vl.url, `"service.name":=${lq(serviceName)}`);
    expect(all).toHaveLength(perRequest * 8);
  });
});
