/**
 * Nothing lost silently: a receiver answering 200 with `partialSuccess` (rejected spans, data
 * points, log records) is warned per signal with the count and the receiver's message, through
 * onWarning (no diag logger), and the rejections are counted in the shutdown report.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";

let receiver: OtlpReceiver | undefined;
let telemetry: TelemetryHandle | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver?.close();
  receiver = undefined;
});

const partial = (field: string, count: number, message: string) => ({
  status: 200,
  body: JSON.stringify({ partialSuccess: { [field]: count, errorMessage: message } }),
});

describe("partial success", () => {
  it("is warned once per signal with the count, and counted at shutdown", async () => {
    receiver = await startOtlpReceiver({
      routes: {
        "/v1/traces": partial("rejectedSpans", 2, "span too old"),
        "/v1/metrics": partial("rejectedDataPoints", "3" as never, "out of order sample"),
        "/v1/logs": partial("rejectedLogRecords", 1, "line too long"),
      },
    });
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      endpoint: receiver.url,
      global: false,
      startupCheck: false,
      onWarning: (m) => warnings.push(m),
    });
    for (let i = 0; i < 2; i++)
      await pingChain().invoke({ question: "ping" }, { callbacks: [telemetry.handler] });
    await telemetry.forceFlush();
    await pingChain().invoke({ question: "ping" }, { callbacks: [telemetry.handler] });
    await telemetry.forceFlush();
    expect(warnings).toEqual(
      [
        `traces export to ${receiver.url}/v1/traces partly failed: the receiver accepted the request but rejected 2 spans ("span too old"). ` +
          "They are lost (a partial success is not retried); check the receiver's limits and logs. Further rejections are counted, not repeated.",
        `metrics export to ${receiver.url}/v1/metrics partly failed: the receiver accepted the request but rejected 3 data points ("out of order sample"). ` +
          "They are lost (a partial success is not retried); check the receiver's limits and logs. Further rejections are counted, not repeated.",
        `logs export to ${receiver.url}/v1/logs partly failed: the receiver accepted the request but rejected 1 log records ("line too long"). ` +
          "They are lost (a partial success is not retried); check the receiver's limits and logs. Further rejections are counted, not repeated.",
      ].sort((a, b) => warnings.indexOf(a) - warnings.indexOf(b)),
    );
    const requests = (path: string) => receiver!.requestsTo(path).length;
    const [traces, metrics] = [requests("/v1/traces"), requests("/v1/metrics")];
    expect(traces).toBe(2);
    await telemetry.shutdown();
    const logs = requests("/v1/logs");
    const metricsAfter = requests("/v1/metrics");
    expect(metricsAfter).toBeGreaterThan(metrics);
    expect(warnings.at(-1)).toBe(
      `Not delivered since setup: traces: ${2 * traces} spans rejected by the receiver; ` +
        `metrics: ${3 * metricsAfter} data points rejected by the receiver; logs: ${logs} log records rejected by the receiver.`,
    );
  });

  it("a 200 without partialSuccess (or an empty one) is not warned", async () => {
    receiver = await startOtlpReceiver({
      routes: { "/v1/logs": { status: 200, body: '{"partialSuccess":{}}' } },
    });
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      endpoint: receiver.url,
      global: false,
      onWarning: (m) => warnings.push(m),
    });
    await pingChain().invoke({ question: "ping" }, { callbacks: [telemetry.handler] });
    await telemetry.shutdown();
    expect([...warnings].sort()).toEqual([]);
  });
});
