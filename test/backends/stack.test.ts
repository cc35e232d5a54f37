/**
 * `npm run stack` as the README tells a user without Docker to use it: start the three backends,
 * paste the printed OTEL_* lines, run `npm run demo`, find the demo's trace, metrics and log
 * records in Jaeger, Prometheus and VictoriaLogs; Ctrl-C stops everything.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envWithoutOtel } from "../helpers/env.js";
import { repoRoot, runExample } from "../helpers/example-runner.js";
import { eventually, jaegerAllTraces, logsQuery, promQuery, treeLines } from "./clients.js";

const DEMO_SERVICE = "langchain-opentelemetry-demo";

describe("npm run stack", () => {
  it("is `tsx scripts/backends.ts stack`", () => {
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8"));
    expect(pkg.scripts.stack).toBe("tsx scripts/backends.ts stack");
  });

  it("prints the OTEL_* variables that send npm run demo to the three backends, and stops on Ctrl-C", async () => {
    const stack = spawn(process.execPath, ["--import", "tsx", "scripts/backends.ts", "stack"], {
      cwd: repoRoot,
      env: envWithoutOtel(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    stack.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => stack.on("close", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        stack.stdout.setEncoding("utf8").on("data", (d: string) => {
          stdout += d;
          if (stdout.includes("export OTEL_METRIC_EXPORT_INTERVAL=")) resolve();
        });
        void exited.then((code) => reject(new Error(`stack exited ${code}: ${stderr}`)));
      });
      const env = Object.fromEntries(
        stdout
          .split("\n")
          .filter((l) => l.startsWith("export "))
          .map((l) => l.slice("export ".length).split(/=(.*)/s).slice(0, 2)),
      ) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual([
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_METRIC_EXPORT_INTERVAL",
      ]);
      expect(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/otlp\/v1\/metrics$/,
      );
      expect(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/insert\/opentelemetry\/v1\/logs$/,
      );
      const jaegerUrl = /# Jaeger UI\/API: +(\S+)/.exec(stdout)![1];
      const promUrl = /# Prometheus: +(\S+)/.exec(stdout)![1];
      const vlUrl = /# VictoriaLogs: +(\S+)/.exec(stdout)![1];

      const demo = await runExample("demo.ts", env);
      expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: "" });
      expect(demo.stdout).toContain("Telemetry: sending over OTLP (http/protobuf)");

      await eventually(async () => {
        const traces = await jaegerAllTraces(jaegerUrl, DEMO_SERVICE);
        expect(traces).toHaveLength(1);
        expect(treeLines(traces[0])).toContain(
          "invoke_agent travel_assistant (internal) > tools (internal) > execute_tool get_weather (internal)",
        );
      });
      const usage = await eventually(async () => {
        const got = await promQuery(
          promUrl,
          `sum by (gen_ai_token_type) (gen_ai_client_token_usage_count{job="${DEMO_SERVICE}"})`,
        );
        expect(got).toHaveLength(2);
        return got;
      });
      expect(usage.map((s) => [s.metric.gen_ai_token_type, s.value]).sort()).toEqual([
        ["input", 2],
        ["output", 2],
      ]);
      await eventually(async () => {
        const records = await logsQuery(
          vlUrl,
          `"service.name":="${DEMO_SERVICE}" event_name:="gen_ai.client.inference.operation.details"`,
        );
        expect(records).toHaveLength(2);
      });
    } finally {
      stack.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });
});
