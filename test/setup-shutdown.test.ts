/**
 * Bounded shutdown: shutdown() returns within shutdownTimeoutMillis (default 5000 ms) whatever
 * the endpoints do, and says what could not be delivered. The bounds asserted have a generous
 * margin for a loaded machine; before the bound, the case took 8.6 s.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { refusedUrl, startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";

let receiver: OtlpReceiver | undefined;
let telemetry: TelemetryHandle | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver?.close();
  receiver = undefined;
});

async function timedShutdown(): Promise<number> {
  const t0 = performance.now();
  await telemetry!.shutdown();
  return performance.now() - t0;
}

describe("shutdown()", () => {
  it("with traces configured and nothing listening for metrics and logs: returns within the default 5 s and names what was lost", async () => {
    receiver = await startOtlpReceiver();
    const nothing = await refusedUrl();
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      traces: { endpoint: receiver.url },
      metrics: { endpoint: nothing },
      logs: { endpoint: nothing },
      startupCheck: false,
      onWarning: (m) => warnings.push(m),
    });
    for (let i = 0; i < 3; i++) await pingChain().invoke({ question: "ping" });
    const ms = await timedShutdown();
    expect(ms).toBeLessThan(5000 + 1500);
    expect(ms).toBeGreaterThan(4000); // the refused exports retry for their 10 s timeout
    const report = warnings.at(-1)!;
    expect(report).toMatch(
      /^shutdown\(\) returned after its bound of 5000 ms \(shutdownTimeoutMillis\) without waiting for the exporters any longer\. Not delivered since setup: metrics: 1 metric collections still being exported; logs: \d+ log records still being exported\.$/,
    );
    expect(report).not.toContain("traces");
    // Traces were delivered.
    expect(receiver.requestsTo("/v1/traces").length).toBeGreaterThan(0);
  });

  it("returns within shutdownTimeoutMillis when set", async () => {
    receiver = await startOtlpReceiver({ defaultRoute: { delayMs: 20_000 } });
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      endpoint: receiver.url,
      shutdownTimeoutMillis: 1000,
      startupCheck: false,
      onWarning: (m) => warnings.push(m),
    });
    await pingChain().invoke({ question: "ping" });
    const ms = await timedShutdown();
    expect(ms).toBeLessThan(1000 + 1500);
    expect(warnings.at(-1)).toMatch(
      /^shutdown\(\) returned after its bound of 1000 ms .* Not delivered since setup: traces: \d+ spans still being exported; metrics: 1 metric collections still being exported; logs: \d+ log records still being exported\.$/,
    );
  });

  it("with healthy endpoints: quick, and no report", async () => {
    receiver = await startOtlpReceiver();
    const warnings: string[] = [];
    telemetry = setupTelemetry({ endpoint: receiver.url, onWarning: (m) => warnings.push(m) });
    await pingChain().invoke({ question: "ping" });
    expect(await timedShutdown()).toBeLessThan(2000);
    expect(warnings).toEqual([]);
    expect(receiver.requestsTo("/v1/logs").length).toBeGreaterThan(0);
  });
});
