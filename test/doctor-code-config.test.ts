/**
 * The doctor tells the truth about the real configuration: it checks the options an app passes
 * in code (runDoctor({ options }) or `--options MODULE`), names TRACELOOP_* variables with their
 * OTEL_* equivalents, survives a closed stdout (`doctor | head`), and writes nothing into the
 * backends unless asked (--send-sample).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runDoctor } from "../src/setup/doctor.js";
import type { SetupTelemetryOptions } from "../src/setup/config.js";
import { refusedUrl, startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { envWithoutOtel } from "./helpers/env.js";

let receiver: OtlpReceiver | undefined;
let scratch: string | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

const cli = fileURLToPath(new URL("../src/setup/cli.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

/** A Loki-like tenant receiver: 401 on /otlp/v1/logs without X-Scope-OrgID: rca. */
async function tenantReceiver(): Promise<OtlpReceiver> {
  return startOtlpReceiver({
    routes: {
      "/otlp/v1/logs": (r) =>
        r.headers["x-scope-orgid"] === "rca" ? { status: 204 } : { status: 401, body: "no org id" },
    },
  });
}

async function run(options: SetupTelemetryOptions, env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const code = await runDoctor({ env, options, out: (l) => lines.push(l), timeoutMillis: 2000 });
  return { code, lines };
}

/** Runs the CLI; `closeStdout` closes the reading end at once (like `| head -0`). */
async function runCli(args: string[], closeStdout = false) {
  const child = spawn(tsx, [cli, "doctor", ...args], { env: envWithoutOtel() });
  let stdout = "";
  let stderr = "";
  if (closeStdout) child.stdout.destroy();
  else child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  return { code, stdout, stderr };
}

describe("the doctor on an app configured in code", () => {
  it("runDoctor({ options }) checks the app's own options: the tenant header in code is sent, and its absence is a 401", async () => {
    receiver = await tenantReceiver();
    const app: SetupTelemetryOptions = {
      serviceName: "root_cause_analysis",
      traces: { endpoint: receiver.url },
      metrics: false,
      logs: { endpoint: `${receiver.url}/otlp`, headers: { "X-Scope-OrgID": "rca" } },
    };
    const good = await run(app);
    expect(good.code).toBe(0);
    expect(good.lines).toContain("logs     OK  HTTP 204 No Content");
    expect(good.lines).toContain("traces   OK  HTTP 200 OK");

    const bad = await run({ ...app, logs: { endpoint: `${receiver.url}/otlp` } });
    expect(bad.code).toBe(1);
    expect(bad.lines).toContain("logs     FAIL  HTTP 401 Unauthorized");
    // Nothing was written: every request was an empty export request.
    for (const r of receiver.requests) {
      const body = r.json as Record<string, unknown[]>;
      expect(body.resourceSpans ?? body.resourceLogs).toEqual([]);
    }
  });

  it("`doctor --options MODULE` loads the options object the app exports", async () => {
    receiver = await tenantReceiver();
    scratch = mkdtempSync(join(tmpdir(), "doctor-options-"));
    const module = join(scratch, "telemetry-options.mjs");
    writeFileSync(
      module,
      `export const telemetryOptions = { traces: false, metrics: false, logs: { endpoint: ${JSON.stringify(`${receiver.url}/otlp`)}, headers: { "X-Scope-OrgID": "rca" } } };\n`,
    );
    const { code, stdout } = await runCli(["--options", module, "--timeout", "2000"]);
    expect(stdout).toContain("logs     OK  HTTP 204 No Content");
    expect(code).toBe(0);
    expect(receiver.requestsTo("/otlp/v1/logs")[0].headers["x-scope-orgid"]).toBe("rca");
  });

  it("an --options module without an options object is a usage error (exit 2)", async () => {
    scratch = mkdtempSync(join(tmpdir(), "doctor-options-"));
    const module = join(scratch, "empty.mjs");
    writeFileSync(module, "export const other = 1;\n");
    const { code, stderr } = await runCli(["--options", module]);
    expect(code).toBe(2);
    expect(stderr).toContain('exports no options object (a default export or "telemetryOptions")');
  });
});

describe("the doctor", () => {
  it("writes nothing by default: one empty export request per signal", async () => {
    receiver = await startOtlpReceiver();
    const { code, lines } = await run({ endpoint: receiver.url });
    expect(code).toBe(0);
    expect(lines[1]).toBe(
      "checking each endpoint with an empty export request: nothing is stored (--send-sample sends one sample span, metric point and log record instead)",
    );
    const bodies = Object.fromEntries(receiver.requests.map((r) => [r.path, r.body.toString()]));
    expect(bodies["/v1/traces"]).toBe('{"resourceSpans":[]}');
    expect(bodies["/v1/logs"]).toBe('{"resourceLogs":[]}');
    expect(JSON.parse(bodies["/v1/metrics"]).resourceMetrics[0].scopeMetrics).toEqual([]);
  });

  it("names TRACELOOP_* variables and their OTEL_* equivalents", async () => {
    const { lines } = await run(
      {},
      {
        TRACELOOP_BASE_URL: "https://otel.example:4318",
        TRACELOOP_HEADERS: "X-Scope-OrgID=rca,Authorization=Bearer%20secret",
        TRACELOOP_API_KEY: "tl-secret",
        TRACELOOP_TRACE_CONTENT: "false",
      },
    );
    expect(lines.filter((l) => l.startsWith("warning: TRACELOOP_"))).toEqual([
      "warning: TRACELOOP_BASE_URL is set, but langchain-opentelemetry reads only the OpenTelemetry variables: use OTEL_EXPORTER_OTLP_ENDPOINT=https://otel.example:4318.",
      "warning: TRACELOOP_HEADERS is set, but langchain-opentelemetry reads only the OpenTelemetry variables: use OTEL_EXPORTER_OTLP_HEADERS=X-Scope-OrgID=***,Authorization=***.",
      "warning: TRACELOOP_API_KEY is set, but langchain-opentelemetry reads only the OpenTelemetry variables: use OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<key>.",
      "warning: TRACELOOP_TRACE_CONTENT is set, but langchain-opentelemetry reads only the OpenTelemetry variables: use OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false.",
    ]);
    expect(lines.join("\n")).not.toContain("secret");
  });

  it("a closed stdout (doctor | head) ends the output quietly: no EPIPE crash, the exit code is the checks'", async () => {
    const url = await refusedUrl();
    const { code, stderr } = await runCli(["--endpoint", url, "--timeout", "300"], true);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|Error/);
    expect(code).toBe(1);
  });
});
