/**
 * Issue 12 with `setupTelemetry()` (global attach, its own providers and context manager): the
 * `fetch` of ChatOpenAI (instrumentation-undici on the global tracer provider) is a child of the
 * chat span, with no `callbacks` anywhere; `handlerOptions: { runContext: false }` turns it off.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { ChatOpenAI } from "@langchain/openai";
import { setupTelemetry, type TelemetryHandle } from "langchain-opentelemetry/setup";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";
import { collectingExporter, only, parentId, spanId } from "./helpers/spans.js";

let mock: OpenAIMock;
let telemetry: TelemetryHandle | undefined;
let unregister: (() => void) | undefined;

beforeAll(async () => {
  mock = await startOpenAIMock([{ content: "ok" }]);
});
afterAll(async () => {
  await mock.close();
});
afterEach(async () => {
  unregister?.();
  await telemetry?.shutdown();
  telemetry = undefined;
});

function start(spans: ReadableSpan[], runContext?: boolean): TelemetryHandle {
  const t = setupTelemetry({
    disableBatch: true,
    onWarning: () => {},
    metrics: false,
    logs: false,
    traces: { exporter: collectingExporter(spans) },
    ...(runContext === undefined ? {} : { handlerOptions: { runContext } }),
  });
  // On the global tracer provider, which setupTelemetry registered.
  unregister = registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
  return t;
}

const model = () =>
  new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-test",
    maxRetries: 0,
    configuration: { baseURL: mock.baseURL },
  });

describe("setupTelemetry()", () => {
  it("no callbacks passed: the provider's POST is a child of chat gpt-4o-mini", async () => {
    const spans: ReadableSpan[] = [];
    telemetry = start(spans);
    await model().invoke("hi");
    expect(parentId(only(spans, "POST"))).toBe(spanId(only(spans, "chat gpt-4o-mini")));
  });

  it("handlerOptions: { runContext: false }: the POST is a root beside the chat span", async () => {
    const spans: ReadableSpan[] = [];
    telemetry = start(spans, false);
    await model().invoke("hi");
    expect(parentId(only(spans, "POST"))).toBeUndefined();
    expect(parentId(only(spans, "chat gpt-4o-mini"))).toBeUndefined();
  });
});
