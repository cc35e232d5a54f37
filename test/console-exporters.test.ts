import { describe, expect, it } from "vitest";
import { context, trace, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  BatchSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { createConsoleExporters } from "../src/setup/console-exporters.js";

const T0 = 1_700_000_000_000; // epoch millis: span times are explicit so durations are exact

function setup(batch = false) {
  const lines: string[] = [];
  const exporters = createConsoleExporters((line) => lines.push(line));
  const processor = batch
    ? new BatchSpanProcessor(exporters.spanExporter)
    : new SimpleSpanProcessor(exporters.spanExporter);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { lines, exporters, provider, tracer: provider.getTracer("test") };
}

/** Starts a span as a child of `parent` (or a root) at T0 + startMs. */
function start(
  tracer: Tracer,
  name: string,
  startMs: number,
  parent?: ReturnType<Tracer["startSpan"]>,
) {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  return tracer.startSpan(name, { startTime: T0 + startMs }, ctx);
}

/** Builds: workflow (0-1500ms) > prompt (1-3ms), chat (5-905ms, tokens), tool (910-1400ms, error). */
function buildTrace(tracer: Tracer) {
  const root = start(tracer, "invoke_workflow my_chain", 0);
  const prompt = start(tracer, "ChatPromptTemplate", 1, root);
  prompt.end(T0 + 3);
  const chat = start(tracer, "chat gpt-4o", 5, root);
  chat.setAttributes({
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 412,
    "gen_ai.usage.output_tokens": 96,
    "gen_ai.response.finish_reasons": ["stop"],
  });
  chat.end(T0 + 905);
  const tool = start(tracer, "execute_tool search", 910, root);
  const nested = start(tracer, "retrieval docs", 911, tool);
  nested.end(T0 + 911.4);
  tool.setAttribute("error.type", "TypeError");
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
  tool.end(T0 + 1400);
  root.end(T0 + 1500);
  return root.spanContext().traceId;
}

describe("console span exporter", () => {
  it("prints a finished trace as an indented tree once its root ends", async () => {
    const { lines, tracer, provider } = setup();
    const traceId = buildTrace(tracer);
    expect(lines).toEqual([
      `trace ${traceId}`,
      "└─ invoke_workflow my_chain  1.50 s",
      "   ├─ ChatPromptTemplate  2.0 ms",
      "   ├─ chat gpt-4o  900 ms  model=gpt-4o -> gpt-4o-2024-08-06  tokens=412 in / 96 out  finish=stop",
      "   └─ execute_tool search  490 ms  ERROR TypeError boom",
      "      └─ retrieval docs  0.40 ms",
    ]);
    await provider.shutdown();
    expect(lines).toHaveLength(6);
  });

  it("prints nothing while the root is still open, although children were exported", () => {
    const { lines, tracer } = setup();
    const root = start(tracer, "invoke_agent helper", 0);
    start(tracer, "chat m", 10, root).end(T0 + 20);
    expect(lines).toEqual([]);
    root.end(T0 + 30);
    expect(lines).toEqual([
      `trace ${root.spanContext().traceId}`,
      "└─ invoke_agent helper  30 ms",
      "   └─ chat m  10 ms",
    ]);
  });

  it("prints the same tree when the spans arrive in one batch", async () => {
    const { lines, tracer, provider } = setup(true);
    const root = start(tracer, "invoke_agent helper", 0);
    const child = start(tracer, "chat m", 10, root);
    child.setAttribute("gen_ai.request.model", "m");
    child.end(T0 + 20);
    root.end(T0 + 30);
    await provider.forceFlush();
    expect(lines).toEqual([
      `trace ${root.spanContext().traceId}`,
      "└─ invoke_agent helper  30 ms",
      "   └─ chat m  10 ms  model=m",
    ]);
  });

  it("keeps traces apart and flushes a trace whose root never ended on shutdown", async () => {
    const { lines, tracer, provider } = setup();
    const open = start(tracer, "invoke_workflow open", 0);
    const orphan = start(tracer, "chat leftover", 1, open);
    orphan.end(T0 + 2);
    const other = start(tracer, "invoke_workflow other", 0);
    other.end(T0 + 5);
    expect(lines).toEqual([
      `trace ${other.spanContext().traceId}`,
      "└─ invoke_workflow other  5.0 ms",
    ]);
    await provider.shutdown();
    expect(lines.slice(2)).toEqual([
      `trace ${open.spanContext().traceId}`,
      "└─ chat leftover  1.0 ms",
    ]);
  });

  it("treats a span with a remote parent as the local root", () => {
    const { lines, tracer } = setup();
    const remote = trace.setSpanContext(context.active(), {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
      isRemote: true,
    });
    const server = tracer.startSpan("POST /ask", { startTime: T0 }, remote);
    server.end(T0 + 12);
    expect(lines).toEqual(["trace 0af7651916cd43dd8448eb211c80319c", "└─ POST /ask  12 ms"]);
  });
});

describe("console metric exporter", () => {
  it("summarises histograms and counters per attribute set, then prints only new data", async () => {
    const lines: string[] = [];
    const { metricExporter } = createConsoleExporters((line) => lines.push(line));
    const reader = new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const meter = meterProvider.getMeter("langchain-opentelemetry");
    const tokens = meter.createHistogram("gen_ai.client.token.usage", { unit: "{token}" });
    const duration = meter.createHistogram("gen_ai.client.operation.duration", { unit: "s" });
    const requests = meter.createCounter("requests");
    const attrs = { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o" };
    tokens.record(412, { ...attrs, "gen_ai.token.type": "input" });
    tokens.record(100, { ...attrs, "gen_ai.token.type": "input" });
    tokens.record(96, { ...attrs, "gen_ai.token.type": "output" });
    duration.record(0.9, attrs);
    duration.record(1.25, attrs);
    requests.add(3);
    await meterProvider.forceFlush();
    expect(lines).toEqual([
      "metrics",
      "  gen_ai.client.token.usage [{token}] gen_ai.operation.name=chat gen_ai.request.model=gpt-4o gen_ai.token.type=input  count=2 sum=512 min=100 max=412",
      "  gen_ai.client.token.usage [{token}] gen_ai.operation.name=chat gen_ai.request.model=gpt-4o gen_ai.token.type=output  count=1 sum=96 min=96 max=96",
      "  gen_ai.client.operation.duration [s] gen_ai.operation.name=chat gen_ai.request.model=gpt-4o  count=2 sum=2.15 min=0.9 max=1.25",
      "  requests  value=3",
    ]);
    lines.length = 0;
    await meterProvider.forceFlush();
    expect(lines).toEqual([]);
    duration.record(2, attrs);
    await meterProvider.shutdown();
    expect(lines).toEqual([
      "metrics",
      "  gen_ai.client.operation.duration [s] gen_ai.operation.name=chat gen_ai.request.model=gpt-4o  count=1 sum=2 min=2 max=2",
    ]);
  });
});

describe("console log exporter", () => {
  it("prints one line per record with severity, event name, body and short trace id", async () => {
    const lines: string[] = [];
    const { logExporter } = createConsoleExporters((line) => lines.push(line));
    const loggerProvider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    const logger = loggerProvider.getLogger("langchain-opentelemetry");
    const spanCtx = trace.setSpanContext(context.active(), {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: 1,
    });
    logger.emit({
      eventName: "gen_ai.client.operation.exception",
      severityNumber: SeverityNumber.WARN,
      body: "chat gpt-4o failed: rate limited",
      context: spanCtx,
    });
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: "info",
      body: { answer: 42 },
    });
    logger.emit({ eventName: "gen_ai.client.inference.operation.details", attributes: { a: 1 } });
    await loggerProvider.forceFlush();
    expect(lines).toEqual([
      'log WARN gen_ai.client.operation.exception  "chat gpt-4o failed: rate limited"  trace=4bf92f35',
      'log INFO  {"answer":42}',
      "log - gen_ai.client.inference.operation.details",
    ]);
  });
});

describe("default output", () => {
  it("writes to stderr, not stdout", async () => {
    const written: { stream: string; text: string }[] = [];
    const origErr = process.stderr.write.bind(process.stderr);
    const origOut = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((text: string) => (
      written.push({ stream: "stderr", text }),
      true
    )) as typeof process.stderr.write;
    process.stdout.write = ((text: string) => (
      written.push({ stream: "stdout", text }),
      true
    )) as typeof process.stdout.write;
    try {
      const { logExporter } = createConsoleExporters();
      const loggerProvider = new LoggerProvider({
        processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
      });
      loggerProvider.getLogger("x").emit({ severityNumber: SeverityNumber.ERROR, body: "hello" });
      await loggerProvider.forceFlush();
    } finally {
      process.stderr.write = origErr;
      process.stdout.write = origOut;
    }
    expect(written).toEqual([{ stream: "stderr", text: 'log ERROR  "hello"\n' }]);
  });
});
