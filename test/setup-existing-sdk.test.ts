/**
 * An app that registered its own OpenTelemetry SDK before calling setupTelemetry() is never
 * silently broken: its globals stay in place (one warning says so), LangChain telemetry goes
 * through setupTelemetry's own pipeline, and LangChain spans still nest under the app's spans.
 * Its own file: the app's globals must be registered first in a fresh process.
 */
import { context, metrics, ProxyTracerProvider, trace } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, expect, it } from "vitest";
import { setupTelemetry } from "../src/setup/setup.js";
import { startOtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";

const appExporter = new InMemorySpanExporter();
const appTracerProvider = new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(appExporter)],
});
appTracerProvider.register();
const appMeterProvider = new MeterProvider();
metrics.setGlobalMeterProvider(appMeterProvider);

afterAll(async () => {
  await appTracerProvider.shutdown();
});

it("keeps the app's global SDK, warns once, and still exports LangChain telemetry nested under the app's spans", async () => {
  const receiver = await startOtlpReceiver();
  const warnings: string[] = [];
  const telemetry = setupTelemetry({
    disableBatch: true,
    endpoint: receiver.url,
    onWarning: (m) => warnings.push(m),
  });

  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /^an OpenTelemetry SDK is already registered in this process \(global TracerProvider, context manager, propagator, MeterProvider\)\. setupTelemetry\(\) leaves it in place/,
  );
  expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(appTracerProvider);
  expect(metrics.getMeterProvider()).toBe(appMeterProvider);
  // The logs global was free: ours is registered there.
  expect(logs.getLoggerProvider()).toBe(telemetry.loggerProvider);

  const appSpan = trace.getTracer("app").startSpan("GET /ask");
  await context.with(trace.setSpan(context.active(), appSpan), () =>
    pingChain().invoke({ question: "ping" }),
  );
  appSpan.end();
  await telemetry.shutdown();

  const spans = receiver
    .requestsTo("/v1/traces")
    .flatMap((r) =>
      r.json.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)),
    );
  expect(spans.length).toBeGreaterThanOrEqual(2);
  for (const s of spans) expect(s.traceId).toBe(appSpan.spanContext().traceId);
  const ids = new Set(spans.map((s: any) => s.spanId));
  const langchainRoots = spans.filter((s: any) => !ids.has(s.parentSpanId));
  expect(langchainRoots).toHaveLength(1);
  expect(langchainRoots[0].parentSpanId).toBe(appSpan.spanContext().spanId);

  // The app's pipeline got only its own span; its globals survive our shutdown.
  expect(appExporter.getFinishedSpans().map((s) => s.name)).toEqual(["GET /ask"]);
  expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(appTracerProvider);
  expect(metrics.getMeterProvider()).toBe(appMeterProvider);
  // Ours is released from the logs global.
  expect(logs.getLoggerProvider()).not.toBe(telemetry.loggerProvider);
  await receiver.close();
});
