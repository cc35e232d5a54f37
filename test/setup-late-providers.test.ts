/**
 * A handler built before the application's SDK starts (import order: the handler module is
 * imported before `NodeSDK.start()`) records into the providers registered later: the global
 * meter provider is looked up when a run records, like the global logger provider.
 */
import { afterEach, describe, expect, it } from "vitest";
import { metrics } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { pingChain } from "./helpers/langchain-fixtures.js";

afterEach(() => {
  metrics.disable();
  logs.disable();
});

function meterProvider() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const names = async () => {
    await reader.forceFlush();
    return exporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .filter((m) => m.dataPoints.length > 0)
      .map((m) => m.descriptor.name);
  };
  return { provider, names };
}

describe("providers registered after the handler was built", () => {
  it("a late global meter provider gets the GenAI metrics, and a later replacement too", async () => {
    const handler = new OpenTelemetryCallbackHandler();
    // Before any registration: the no-op provider, nothing recorded anywhere.
    await pingChain().invoke({ question: "early" }, { callbacks: [handler] });

    const first = meterProvider();
    metrics.setGlobalMeterProvider(first.provider);
    const logExporter = new InMemoryLogRecordExporter();
    logs.setGlobalLoggerProvider(
      new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] }),
    );
    await pingChain().invoke({ question: "ping" }, { callbacks: [handler] });
    expect(await first.names()).toContain("gen_ai.client.operation.duration");
    expect(await first.names()).toContain("gen_ai.client.token.usage");
    expect(logExporter.getFinishedLogRecords().map((r) => r.eventName)).toContain(
      "gen_ai.client.inference.operation.details",
    );

    metrics.disable();
    const second = meterProvider();
    metrics.setGlobalMeterProvider(second.provider);
    await pingChain().invoke({ question: "again" }, { callbacks: [handler] });
    expect(await second.names()).toContain("gen_ai.client.operation.duration");
    await first.provider.shutdown();
    await second.provider.shutdown();
  });

  it("a meter provider given to the handler is used, whatever the global one", async () => {
    const own = meterProvider();
    const global = meterProvider();
    metrics.setGlobalMeterProvider(global.provider);
    const handler = new OpenTelemetryCallbackHandler({ meterProvider: own.provider });
    await pingChain().invoke({ question: "ping" }, { callbacks: [handler] });
    expect(await own.names()).toContain("gen_ai.client.operation.duration");
    expect(await global.names()).toEqual([]);
  });
});
