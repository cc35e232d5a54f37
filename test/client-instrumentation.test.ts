/**
 * Issue 12: no double counting with a client-library instrumentation. In a scratch app (the
 * packed package; `@langchain/openai` 1.5.8 with `openai` 6.49.0, the client
 * `@opentelemetry/instrumentation-openai` 0.21 instruments; OpenTelemetry JS 2.x), a ChatOpenAI
 * call against a mock on 127.0.0.1 makes two `chat` spans: ours, and the instrumentation's as its
 * child. The instrumentation records the call's duration and token points; the handler records
 * none for it (its span says `langchain.client_instrumented=true`), unless
 * `dedupeClientMetrics: false`.
 *
 * Needs the npm registry for the scratch app's packages (the npm cache is preferred); CI reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildAndPack, installedVersion, runCommand, type PackedPackage } from "./helpers/pack.js";
import { envWithoutOtel } from "./helpers/env.js";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";

const DEPS = {
  "@langchain/openai": "1.5.8",
  openai: "6.49.0",
  "@opentelemetry/api": "1.9.0",
  "@opentelemetry/context-async-hooks": "2.12.0",
  "@opentelemetry/instrumentation": "0.223.0",
  "@opentelemetry/instrumentation-openai": "0.21.0",
  "@opentelemetry/sdk-metrics": "2.12.0",
  "@opentelemetry/sdk-trace-base": "2.12.0",
};

/** The app: instrumentation-openai registered first (it hooks `require("openai")`), then LangChain. */
const SCRIPT = `const { context } = require("@opentelemetry/api");
const { AsyncLocalStorageContextManager } = require("@opentelemetry/context-async-hooks");
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { MeterProvider, MetricReader } = require("@opentelemetry/sdk-metrics");
const { registerInstrumentations } = require("@opentelemetry/instrumentation");
const { OpenAIInstrumentation } = require("@opentelemetry/instrumentation-openai");
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
class Reader extends MetricReader { async onForceFlush() {} async onShutdown() {} }
const reader = new Reader();
const meterProvider = new MeterProvider({ readers: [reader] });
registerInstrumentations({ tracerProvider, meterProvider, instrumentations: [new OpenAIInstrumentation()] });
const { ChatOpenAI } = require("@langchain/openai");
const { OpenTelemetryCallbackHandler } = require("langchain-opentelemetry");
(async () => {
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider, meterProvider, logs: false,
    dedupeClientMetrics: process.env.DEDUPE !== "false",
  });
  const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "sk-test", maxRetries: 0, configuration: { baseURL: process.env.BASE_URL } });
  await model.invoke("hi", { callbacks: [handler] });
  const spans = exporter.getFinishedSpans();
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name + " [" + s.instrumentationScope.name + "]"]));
  const tree = spans.map((s) => [
    names.get(s.spanContext().spanId),
    s.parentSpanContext ? names.get(s.parentSpanContext.spanId) ?? "?" : null,
    s.attributes["gen_ai.usage.input_tokens"] ?? null,
    s.attributes["langchain.client_instrumented"] ?? null,
  ]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const { resourceMetrics } = await reader.collect();
  const points = {};
  for (const scope of resourceMetrics.scopeMetrics)
    for (const m of scope.metrics)
      for (const p of m.dataPoints) {
        const key = scope.scope.name + " " + m.descriptor.name + (p.attributes["gen_ai.token.type"] ? " " + p.attributes["gen_ai.token.type"] : "");
        points[key] = (points[key] ?? 0) + p.value.count;
        if (m.descriptor.name === "gen_ai.client.token.usage") points[key + " sum"] = (points[key + " sum"] ?? 0) + p.value.sum;
      }
  await handler.shutdown();
  console.log(JSON.stringify({ tree, points }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

let packed: PackedPackage;
let app: string;
let mock: OpenAIMock;

beforeAll(async () => {
  packed = await buildAndPack();
  app = join(packed.root, "app-openai6");
  await mkdir(app);
  const deps = { ...DEPS, "@langchain/core": await installedVersion("@langchain/core") };
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "app", version: "1.0.0", private: true, dependencies: deps }),
  );
  const install = await runCommand(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", packed.tarball],
    app,
  );
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  await writeFile(join(app, "app.cjs"), SCRIPT);
  mock = await startOpenAIMock([
    { content: "hello", usage: { prompt_tokens: 11, completion_tokens: 7 } },
  ]);
}, 180_000);

afterAll(async () => {
  await mock?.close();
  await packed?.cleanup();
});

async function runApp(dedupe: boolean) {
  const result = await runCommand("node", ["app.cjs"], app, {
    ...envWithoutOtel(),
    BASE_URL: mock.baseURL,
    DEDUPE: String(dedupe),
  });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { tree: unknown[]; points: Record<string, number> };
}

const OURS = "chat gpt-4o-mini [langchain-opentelemetry]";
const THEIRS = "chat gpt-4o-mini [@opentelemetry/instrumentation-openai]";

describe("@opentelemetry/instrumentation-openai (openai 6) beside the handler", () => {
  it("its chat span is a child of ours; it records the call's duration and tokens, we record none", async () => {
    const { tree, points } = await runApp(true);
    expect(tree).toEqual([
      [THEIRS, OURS, 11, null],
      [OURS, null, 11, true],
    ]);
    expect(points).toEqual({
      "@opentelemetry/instrumentation-openai gen_ai.client.operation.duration": 1,
      "@opentelemetry/instrumentation-openai gen_ai.client.token.usage input": 1,
      "@opentelemetry/instrumentation-openai gen_ai.client.token.usage input sum": 11,
      "@opentelemetry/instrumentation-openai gen_ai.client.token.usage output": 1,
      "@opentelemetry/instrumentation-openai gen_ai.client.token.usage output sum": 7,
    });
  });

  it("dedupeClientMetrics: false records ours too (each call counted twice)", async () => {
    const { tree, points } = await runApp(false);
    expect(tree).toEqual([
      [THEIRS, OURS, 11, null],
      [OURS, null, 11, null],
    ]);
    expect(points).toMatchObject({
      "langchain-opentelemetry gen_ai.client.operation.duration": 1,
      "langchain-opentelemetry gen_ai.client.token.usage input sum": 11,
      "langchain-opentelemetry gen_ai.client.token.usage output sum": 7,
      "@opentelemetry/instrumentation-openai gen_ai.client.operation.duration": 1,
      "@opentelemetry/instrumentation-openai gen_ai.client.token.usage input sum": 11,
    });
  });
});
