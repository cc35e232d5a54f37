/**
 * Flushing at process end (issue 5), with real child processes (`node --import tsx`) pointed at
 * a local collector. The child runs a chain five times (20 spans) with setupTelemetry()'s
 * defaults (batch processors, 5 s schedule) and then ends one way or another. What the tests
 * show, and /work/notes/readme-fault.md documents:
 *
 * - a script that simply ends is flushed (the `beforeExit` hook): spans, log records, metrics arrive;
 * - `process.exit()` skips `beforeExit`: what was still queued is lost;
 * - a serverless-style `await telemetry.forceFlush()` before exiting delivers everything;
 * - SIGTERM with no handler of the app's own kills the process at once (Node's default): lost;
 * - SIGTERM with the app's handler calling `await telemetry.shutdown()`: everything arrives.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startFaultyCollector, type FaultyCollector } from "./helpers/faulty-collector.js";

const CHILD = fileURLToPath(new URL("./helpers/fault-exit-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INVOKES = 5;
const SPANS = INVOKES * 4;

let collector: FaultyCollector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child in `mode`; with `sigtermAfterReady`, sends SIGTERM once it printed READY. Bounded: killed after 30 s. */
function runChild(mode: string, url: string, sigtermAfterReady = false): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, mode], {
      cwd: ROOT,
      env: {
        ...process.env,
        COLLECTOR_URL: url,
        OTEL_EXPORTER_OTLP_ENDPOINT: "",
        NODE_OPTIONS: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (sigtermAfterReady && stdout.includes("READY\n")) {
        sigtermAfterReady = false;
        child.kill("SIGTERM");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr });
    });
  });
}

const tracesArrived = (c: FaultyCollector) => c.acceptedSpanKeys().size;
const logsArrived = (c: FaultyCollector) =>
  c.requests
    .filter((r) => r.path === "/v1/logs" && r.answer === "ok")
    .reduce((n, r) => n + r.logRecords, 0);
const metricsArrived = (c: FaultyCollector) =>
  c.requests
    .filter((r) => r.path === "/v1/metrics" && r.answer === "ok")
    .flatMap((r) => r.metricNames);

describe("a process that ends", () => {
  it("normally (the script returns): everything queued is flushed before exit", async () => {
    collector = await startFaultyCollector();
    const r = await runChild("end", collector.url);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tracesArrived(collector)).toBe(SPANS);
    expect(logsArrived(collector)).toBe(INVOKES); // one inference details record per model call
    expect(metricsArrived(collector)).toContain("gen_ai.client.operation.duration");
  });

  it("with process.exit() and no flush: what was still queued is lost (documented)", async () => {
    collector = await startFaultyCollector();
    const r = await runChild("exit", collector.url);
    expect(r.code).toBe(0);
    expect(tracesArrived(collector)).toBe(0);
  });

  it("serverless style, awaiting telemetry.forceFlush() before exiting: everything arrives", async () => {
    collector = await startFaultyCollector();
    const r = await runChild("serverless", collector.url);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tracesArrived(collector)).toBe(SPANS);
    expect(logsArrived(collector)).toBe(INVOKES);
    expect(metricsArrived(collector)).toContain("gen_ai.client.operation.duration");
  });

  it("on SIGTERM without a handler of the app's own: killed at once, the queued spans are lost (documented)", async () => {
    collector = await startFaultyCollector();
    const r = await runChild("sigterm", collector.url, true);
    expect(r.signal).toBe("SIGTERM");
    expect(tracesArrived(collector)).toBe(0);
  });

  it("on SIGTERM with the app's handler awaiting telemetry.shutdown(): everything arrives", async () => {
    collector = await startFaultyCollector();
    const r = await runChild("sigterm-handler", collector.url, true);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tracesArrived(collector)).toBe(SPANS);
    expect(logsArrived(collector)).toBe(INVOKES);
  });
});
