/**
 * The embedded console default (no endpoint anywhere), and flushing at process end: on
 * `beforeExit` without any shutdown() call, and the recommended SIGTERM handler pattern.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setupTelemetry } from "../src/setup/setup.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";
import { clearOtelEnv, envWithoutOtel, snapshotEnv } from "./helpers/env.js";

const restoreEnv = snapshotEnv();
afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});

describe("embedded console default", () => {
  it("prints the trace tree, metrics and log records to stderr when no endpoint is configured anywhere", async () => {
    clearOtelEnv();
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const warnings: string[] = [];
    const telemetry = setupTelemetry({ onWarning: (m) => warnings.push(m) });
    expect([
      telemetry.config.traces.mode,
      telemetry.config.metrics.mode,
      telemetry.config.logs.mode,
    ]).toEqual(["console", "console", "console"]);
    await pingChain().invoke({ question: "ping" });
    await telemetry.shutdown();
    vi.restoreAllMocks();

    const out = lines.join("");
    expect(out).toMatch(/trace [0-9a-f]{32}/);
    expect(out).toMatch(/└─ invoke_workflow RunnableSequence/);
    expect(out).toMatch(/chat .*tokens=10 in \/ 5 out/);
    expect(out).toContain("gen_ai.client.token.usage");
    expect(out).toContain("gen_ai.client.operation.duration");
    expect(out).toContain("gen_ai.client.inference.operation.details");
    expect(warnings).toEqual([]);
  });
});

const fixture = fileURLToPath(new URL("./fixtures/exit-flush.ts", import.meta.url));

function runFixture(
  env: NodeJS.ProcessEnv,
  onStdout?: (text: string, kill: () => void) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdout.on("data", (d) => onStdout?.(String(d), () => child.kill("SIGTERM")));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe("flushing at process end", () => {
  let receiver: OtlpReceiver;
  afterEach(async () => {
    await receiver?.close();
  });

  it("flushes batched telemetry on beforeExit when the script ends without shutdown()", async () => {
    receiver = await startOtlpReceiver();
    const { code, stderr } = await runFixture({ ...envWithoutOtel(), RECEIVER_URL: receiver.url });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(receiver.requestsTo("/v1/traces").length).toBeGreaterThan(0);
    expect(receiver.requestsTo("/v1/metrics").length).toBeGreaterThan(0);
    expect(receiver.requestsTo("/v1/logs").length).toBeGreaterThan(0);
  });

  it("flushes on SIGTERM when the app calls shutdown() in its own handler", async () => {
    receiver = await startOtlpReceiver();
    const { code, stderr } = await runFixture(
      { ...envWithoutOtel(), RECEIVER_URL: receiver.url, SIGTERM_MODE: "1" },
      (text, kill) => {
        if (text.includes("ready")) kill();
      },
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(receiver.requestsTo("/v1/traces").length).toBeGreaterThan(0);
    expect(receiver.requestsTo("/v1/logs").length).toBeGreaterThan(0);
  });
});
