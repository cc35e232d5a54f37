/**
 * Content capture off means off (issue 5): a full agent run (createAgent with a tool that calls a
 * retriever; once with FakeToolCallingModel, once with ChatOpenAI against the local OpenAI mock)
 * goes through setupTelemetry() into in-memory span, metric and log record exporters, and every
 * exported item is scanned for distinctive marker strings planted in the system prompt, the user
 * prompt, the tool arguments, the tool result, the retriever query, the retrieved documents and
 * the completion. With capture off none appears; with capture on they all do (so the scan does
 * see content when there is some). The model's API key never appears, capture on or off.
 */
import { SpanStatusCode } from "@opentelemetry/api";
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { AggregationTemporality, InMemoryMetricExporter } from "@opentelemetry/sdk-metrics";
import { InMemoryLogRecordExporter } from "@opentelemetry/sdk-logs";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { createAgent, FakeToolCallingModel } from "langchain";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";

const MARK = {
  system: "SYSPROMPT_M4RK_7f3a",
  prompt: "USERPROMPT_M4RK_19c2",
  toolArg: "TOOLARG_M4RK_5be1",
  toolResult: "TOOLRESULT_M4RK_a0d4",
  query: "RETRIEVERQUERY_M4RK_3e77",
  document: "RETRIEVEDDOC_M4RK_c951",
  completion: "COMPLETION_M4RK_82fb",
} as const;
const API_KEY = "sk-test-APIKEY_M4RK_d41d8cd98f00";

class MarkerRetriever extends BaseRetriever {
  override lc_namespace = ["test", "retrievers"];
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return [
      new Document({ pageContent: `${MARK.document} for ${query}`, metadata: { source: "kb-1" } }),
    ];
  }
}

const retriever = new MarkerRetriever();
const lookup = tool(
  async ({ topic }: { topic: string }, config) => {
    const docs = await retriever.invoke(`${MARK.query} ${topic}`, config);
    return `${MARK.toolResult}: ${docs.length} document(s)`;
  },
  {
    name: "lookup",
    description: "Looks a topic up in the knowledge base",
    schema: z.object({ topic: z.string() }),
  },
);

let telemetry: TelemetryHandle | undefined;
let mock: OpenAIMock | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await mock?.close();
  mock = undefined;
});

/** Everything a run exported, as one JSON text per item (cycles and BigInt made safe). */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[seen]";
      seen.add(v);
    }
    return v;
  });
}

async function runAgents(captureContent: boolean) {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const logs = new InMemoryLogRecordExporter();
  telemetry = setupTelemetry({
    serviceName: "content-scan",
    captureContent,
    disableBatch: true,
    traces: { exporter: spans },
    metrics: { exporter: metrics },
    logs: { exporter: logs },
    onWarning: () => {},
  });

  // Agent 1: LangChain's fake tool-calling model (its answer echoes the conversation).
  const fake = new FakeToolCallingModel({
    toolCalls: [[{ name: "lookup", args: { topic: MARK.toolArg }, id: "call_1" }], []],
  });
  const fakeAgent = createAgent({
    model: fake,
    tools: [lookup],
    systemPrompt: MARK.system,
    name: "fake_agent",
  });
  await fakeAgent.invoke(
    { messages: [{ role: "user", content: `${MARK.prompt} (fake)` }] },
    { configurable: { thread_id: "t-fake" } },
  );

  // Agent 2: ChatOpenAI with an API key, against the local mock.
  mock = await startOpenAIMock([
    // Distinct response ids: LangGraph's message reducer merges messages with the same id.
    {
      id: "chatcmpl-1",
      toolCalls: [
        { id: "call_9", name: "lookup", arguments: JSON.stringify({ topic: MARK.toolArg }) },
      ],
      usage: { prompt_tokens: 40, completion_tokens: 9 },
    },
    {
      id: "chatcmpl-2",
      content: `${MARK.completion}: done`,
      usage: { prompt_tokens: 60, completion_tokens: 7 },
    },
  ]);
  const openai = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: API_KEY,
    configuration: { baseURL: mock.baseURL },
    maxRetries: 0,
  });
  const openaiAgent = createAgent({
    model: openai,
    tools: [lookup],
    systemPrompt: MARK.system,
    name: "openai_agent",
  });
  const result = await openaiAgent.invoke({
    messages: [{ role: "user", content: `${MARK.prompt} (openai)` }],
  });
  expect(String(result.messages.at(-1)?.content)).toContain(MARK.completion);
  // The key really was in use: the mock saw it.
  expect(mock.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);

  await telemetry.forceFlush();
  const finishedSpans = spans.getFinishedSpans();
  const items = {
    spans: finishedSpans.map((s) =>
      safeJson({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
        links: s.links,
        resource: s.resource.attributes,
        scope: s.instrumentationScope,
      }),
    ),
    metrics: metrics
      .getMetrics()
      .map((rm) => safeJson({ resource: rm.resource.attributes, scopeMetrics: rm.scopeMetrics })),
    logs: logs.getFinishedLogRecords().map((r) =>
      safeJson({
        eventName: r.eventName,
        body: r.body,
        attributes: r.attributes,
        severityText: r.severityText,
        resource: r.resource.attributes,
        scope: r.instrumentationScope,
      }),
    ),
  };
  return { items, spanNames: finishedSpans.map((s) => s.name) };
}

function found(items: Record<string, string[]>, needle: string): string[] {
  const where: string[] = [];
  for (const [kind, list] of Object.entries(items))
    list.forEach((text, i) => text.includes(needle) && where.push(`${kind}[${i}]`));
  return where;
}

describe("content capture off", () => {
  it("no prompt, completion, tool argument/result, query or document string in any span, metric point or log record; no API key", async () => {
    const { items, spanNames } = await runAgents(false);
    // The run was recorded in full: agents, model calls, tools, retrievals, metric points, log records.
    expect(spanNames).toEqual(
      expect.arrayContaining([
        "invoke_agent fake_agent",
        "invoke_agent openai_agent",
        "chat gpt-4o-mini",
        "execute_tool lookup",
        "retrieval MarkerRetriever",
      ]),
    );
    expect(items.metrics.length).toBeGreaterThan(0);
    expect(items.metrics.join("\n")).toContain("gen_ai.client.operation.duration");
    expect(items.logs.length).toBeGreaterThan(0);
    console.log(
      `[fault-content] scanned ${items.spans.length} spans, ${items.metrics.length} metric exports, ${items.logs.length} log records`,
    );
    for (const [what, marker] of Object.entries(MARK))
      expect(found(items, marker), `${what} marker`).toEqual([]);
    expect(found(items, API_KEY)).toEqual([]);
    expect(found(items, "APIKEY_M4RK")).toEqual([]);
  });
});

describe("content capture on", () => {
  it("every marker is found (the scan sees content), and still no API key anywhere", async () => {
    const { items } = await runAgents(true);
    for (const [what, marker] of Object.entries(MARK))
      expect(found(items, marker).length, `${what} marker`).toBeGreaterThan(0);
    expect(found(items, API_KEY)).toEqual([]);
    expect(found(items, "APIKEY_M4RK")).toEqual([]);
  });
});

describe("a model call failing with 401", () => {
  it.each([false, true])(
    "records the failure without the API key (capture %s)",
    async (captureContent) => {
      const spans = new InMemorySpanExporter();
      const logs = new InMemoryLogRecordExporter();
      telemetry = setupTelemetry({
        captureContent,
        disableBatch: true,
        traces: { exporter: spans },
        metrics: false,
        logs: { exporter: logs },
        onWarning: () => {},
      });
      mock = await startOpenAIMock([{ status: 401, content: "Incorrect API key provided" }]);
      const openai = new ChatOpenAI({
        model: "gpt-4o-mini",
        apiKey: API_KEY,
        configuration: { baseURL: mock.baseURL },
        maxRetries: 0,
      });
      await expect(openai.invoke(`${MARK.prompt} (401)`)).rejects.toThrow(/401/);
      await telemetry.forceFlush();
      const failed = spans.getFinishedSpans().find((s) => s.name === "chat gpt-4o-mini");
      // The OpenAI SDK's class for a 401 (LangChain rethrows it as is): the class name, per the conventions.
      expect(failed?.attributes["error.type"]).toBe("AuthenticationError");
      expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
      const text = [
        ...spans.getFinishedSpans().map((s) =>
          safeJson({
            name: s.name,
            attributes: s.attributes,
            events: s.events,
            status: s.status,
          }),
        ),
        ...logs
          .getFinishedLogRecords()
          .map((r) => safeJson({ body: r.body, attributes: r.attributes })),
      ].join("\n");
      expect(text).toContain("Incorrect API key provided");
      expect(text).not.toContain("APIKEY_M4RK");
    },
  );
});
