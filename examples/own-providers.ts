/**
 * Way in #3: your app already has its own OpenTelemetry SDK. Keep it, and register the handler
 * globally: it uses the global tracer, meter and logger providers, and LangChain spans nest under
 * your app's active spans.
 *
 * The SDK setup below is an example of "your own": OTLP exporters when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set (they read the standard environment variables themselves),
 * else the SDK's console exporters.
 *
 * Run: `npx tsx examples/own-providers.ts`
 */
import { metrics, trace } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  LoggerProvider,
} from "@opentelemetry/sdk-logs";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
} from "@opentelemetry/sdk-trace-node";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { OpenTelemetryCallbackHandler, registerGlobalHandler } from "langchain-opentelemetry";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";
import { travelTools } from "./support/travel-tools.js";

// --- Your app's OpenTelemetry SDK (already there in a real app) ---
const otlp = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
const resource = resourceFromAttributes({ "service.name": "own-providers-example" });
const tracerProvider = new NodeTracerProvider({
  resource,
  spanProcessors: [
    new BatchSpanProcessor(otlp ? new OTLPTraceExporter() : new ConsoleSpanExporter()),
  ],
});
tracerProvider.register(); // global tracer provider, context manager and propagators
const meterProvider = new MeterProvider({
  resource,
  readers: [
    new PeriodicExportingMetricReader({
      exporter: otlp ? new OTLPMetricExporter() : new ConsoleMetricExporter(),
    }),
  ],
});
metrics.setGlobalMeterProvider(meterProvider);
const loggerProvider = new LoggerProvider({
  resource,
  processors: [
    new BatchLogRecordProcessor({
      exporter: otlp ? new OTLPLogExporter() : new ConsoleLogRecordExporter(),
    }),
  ],
});
logs.setGlobalLoggerProvider(loggerProvider);

// --- LangChain telemetry: one handler, registered for every run, on the providers above ---
const handler = new OpenTelemetryCallbackHandler();
const unregister = registerGlobalHandler(handler);

const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network
try {
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "local",
    configuration: { baseURL: openai.baseURL },
  });
  const agent = createAgent({ model, tools: travelTools, name: "support_agent" });

  // An app span of yours: the agent's spans become its children.
  const tracer = trace.getTracer("my-app");
  await tracer.startActiveSpan("handle_ticket", async (span) => {
    try {
      const result = await agent.invoke({
        messages: [{ role: "user", content: "A customer asks about Oslo." }],
      });
      console.log(`agent: ${String(result.messages.at(-1)?.content)}`);
    } finally {
      span.end();
    }
  });
} finally {
  // Your app's shutdown: detach the handler, end its open runs, then flush and stop the SDK.
  unregister();
  await handler.shutdown();
  await Promise.all([
    tracerProvider.shutdown(),
    meterProvider.shutdown(),
    loggerProvider.shutdown(),
  ]);
  await openai.close();
}
