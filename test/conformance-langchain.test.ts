/**
 * The LangChain scenarios of the official GenAI conformance suite
 * (open-telemetry/semantic-conventions-conformance, scenarios/gen-ai/python/langchain and
 * scenarios/gen-ai/python/openai/opentelemetry-langchain-openai), reproduced with LangChain.js
 * against a local copy of the suite's mock server (helpers/conformance-mock.ts): the same inputs,
 * the same answers. For each scenario directory, every span, event and metric attribute that the
 * reference run captured (its data.json, copied in fixtures/conformance-langchain) must be on our
 * telemetry of the same type, and each scenario's values are asserted exactly: what follows from
 * the inputs (request parameters, messages, tool definitions) and from the mock's answers (ids,
 * finish reasons, token counts). Content capture is on, as in the reference run
 * (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: SPAN_AND_EVENT`).
 *
 * In the three modes of `genAiSemconv`: the default (v1.41.0), `latest` (the standalone GenAI
 * conventions; the reference's v1.41.0 metric names are translated by the conventions' migration
 * guide) and `dual` (both). Content is validated against the JSON schemas of the conventions each
 * mode emits.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { ChatOpenAI } from "@langchain/openai";
import { ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { tool } from "@langchain/core/tools";
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { createAgent } from "langchain";
import { z } from "zod";
import { telemetry, type CollectedMetric, type Point } from "./helpers/agent-kit.js";
import {
  MOCK_CHAT,
  MOCK_STREAM,
  MOCK_TEXT,
  MOCK_TOOL_CALL,
  startConformanceMock,
  type ConformanceMock,
} from "./helpers/conformance-mock.js";
import { validate, type ContentAttr } from "./helpers/genai-schemas.js";
import type { GenAiSemconv } from "langchain-opentelemetry";

interface Reference {
  spans: Record<string, string[]>;
  events: Record<string, string[]>;
  metrics: Record<string, string[]>;
}
const reference = (file: string): Reference =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/conformance-langchain/${file}`, import.meta.url), "utf8"),
  );

/** The reference's span types, by the `gen_ai.operation.name` of ours. */
const SPAN_TYPE_OPERATIONS: Record<string, string[]> = {
  "gen_ai.inference.client": ["chat"],
  "gen_ai.execute_tool.internal": ["execute_tool"],
  "gen_ai.invoke_workflow.internal": ["invoke_workflow"],
};

const API_KEY = "test_openai_api_key";
const SYSTEM = "You are a helpful assistant.";
const WEATHER_QUESTION = "What's the weather in Seattle today?";
const WEATHER_ANSWER = "70 degrees and sunny in Seattle";

let mock: ConformanceMock;
beforeAll(async () => {
  mock = await startConformanceMock();
});
afterAll(async () => {
  await mock.close();
});

function chatOpenAI(fields: Record<string, unknown>): ChatOpenAI {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: API_KEY,
    configuration: { baseURL: mock.baseURL },
    maxRetries: 0,
    ...fields,
  });
}

/** inference.py / streaming.py: every sampling option the conventions name and OpenAI takes. */
const SAMPLING = {
  maxTokens: 100,
  temperature: 0.5,
  topP: 0.9,
  frequencyPenalty: 0.1,
  presencePenalty: 0.2,
  stop: ["\n\n"],
};
const SAMPLING_ATTRIBUTES = {
  "gen_ai.request.max_tokens": 100,
  "gen_ai.request.temperature": 0.5,
  "gen_ai.request.top_p": 0.9,
  "gen_ai.request.frequency_penalty": 0.1,
  "gen_ai.request.presence_penalty": 0.2,
  "gen_ai.request.stop_sequences": ["\n\n"],
  "gen_ai.request.seed": 42,
};
const PLAIN_INPUT: [string, string][] = [
  ["system", SYSTEM],
  ["human", "Say this is a test"],
];

/** tool_calling.py's tool, as an OpenAI tool definition. */
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_current_weather",
    description: "Get the current weather in a given location",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "The city and state, e.g. Boston, MA" },
      },
      required: ["location"],
    },
  },
};

/** automatic_tool_calling.py's `@tool`: its docstring is the description. */
const getCurrentWeather = tool(
  async ({ location }: { location: string }) => `70 degrees and sunny in ${location}`,
  {
    name: "get_current_weather",
    description: "Get the current weather in a given location.",
    schema: z.object({ location: z.string() }),
  },
);

type Scenario = (handler: BaseCallbackHandler) => Promise<unknown>;

const SCENARIOS: Record<string, Scenario> = {
  // Python passes seed= to the constructor; in LangChain.js it is a call option.
  inference: (cb) => chatOpenAI(SAMPLING).invoke(PLAIN_INPUT, { seed: 42, callbacks: [cb] }),
  streaming: async (cb) => {
    const stream = await chatOpenAI({ ...SAMPLING, streamUsage: true }).stream(PLAIN_INPUT, {
      seed: 42,
      callbacks: [cb],
    });
    for await (const _ of stream);
  },
  tool_calling: async (cb) => {
    const model = chatOpenAI({ maxTokens: 100, temperature: 0.5 }).bindTools([WEATHER_TOOL]);
    const messages: (BaseMessage | [string, string])[] = [
      ["system", SYSTEM],
      ["human", WEATHER_QUESTION],
    ];
    const answer = await model.invoke(messages, { callbacks: [cb] });
    messages.push(answer);
    for (const call of answer.tool_calls ?? [])
      messages.push(
        new ToolMessage({
          content: `70 degrees and sunny in ${call.args.location}`,
          tool_call_id: call.id!,
        }),
      );
    await model.invoke(messages, { callbacks: [cb] });
  },
  automatic_tool_calling: (cb) =>
    createAgent({
      model: chatOpenAI({ temperature: 0.5, maxTokens: 100 }),
      tools: [getCurrentWeather],
      systemPrompt: SYSTEM,
      name: "weather_assistant",
    }).invoke({ messages: [{ role: "user", content: WEATHER_QUESTION }] }, { callbacks: [cb] }),
  invoke_agent: (cb) =>
    createAgent({
      model: chatOpenAI({ temperature: 0.5, maxTokens: 100 }),
      tools: [],
      systemPrompt: SYSTEM,
      name: "weather_assistant",
    }).invoke({ messages: [{ role: "user", content: "Say this is a test" }] }, { callbacks: [cb] }),
  workflow: (cb) =>
    ChatPromptTemplate.fromMessages([
      ["system", SYSTEM],
      ["human", "{question}"],
    ])
      .pipe(chatOpenAI({ temperature: 0.5, maxTokens: 100 }))
      .withConfig({ runName: "conformance_workflow" })
      .invoke({ question: "Say this is a test" }, { callbacks: [cb] }),
};

interface Run {
  spans: ReadableSpan[];
  records: ReadableLogRecord[];
  metrics: Record<string, CollectedMetric>;
}

async function runScenario(name: string, genAiSemconv: GenAiSemconv): Promise<Run> {
  const t = telemetry({ captureContent: true, genAiSemconv });
  await SCENARIOS[name]!(t.handler);
  const run = { spans: t.spans(), records: t.records(), metrics: await t.metrics() };
  await t.shutdown();
  return run;
}

/** The points of `metric` (none when it was not recorded). */
const points = (run: Run, metric: string): Point[] => run.metrics[metric]?.points ?? [];

/** What each mode emits: v1.41.0 names, latest names, or both. */
const MODES: { mode: GenAiSemconv; v141: boolean; latest: boolean }[] = [
  { mode: "v1.41", v141: true, latest: false },
  { mode: "latest", v141: false, latest: true },
  { mode: "dual", v141: true, latest: true },
];
type Mode = (typeof MODES)[number];

/** v1.41.0 metric names of the reference, and what the latest conventions replace them by. */
const LATEST_METRIC: Record<string, { name: string; rename?: Record<string, string> }> = {
  "gen_ai.client.operation.duration": { name: "gen_ai.client.inference.duration" },
  "gen_ai.client.token.usage": {
    name: "gen_ai.client.inference.usage.input_tokens",
    rename: { "gen_ai.token.type": "gen_ai.token.modality" },
  },
};

/** Every latest token instrument of one call with the mock's usage: counters, then histograms. */
function latestTokenPoints(run: Run): unknown[] {
  return [
    "gen_ai.client.inference.usage.input_tokens",
    "gen_ai.client.inference.usage.output_tokens",
    "gen_ai.client.inference.usage.cache_read.input_tokens",
    "gen_ai.client.inference.usage.cache_write.input_tokens",
    "gen_ai.client.inference.usage.reasoning.output_tokens",
    "gen_ai.client.inference.operation.input_tokens",
    "gen_ai.client.inference.operation.output_tokens",
  ].map((m) => [m, points(run, m).map((p) => [p.attributes, p.count, p.sum])]);
}

/** The latest conventions' attributes of a token counter point. */
const withModality = (a: Record<string, unknown>) => ({ ...a, "gen_ai.token.modality": "unknown" });

/** An output message as each mode records it (the latest conventions deprecate finish_reason). */
function outMsg(mode: Mode, m: Record<string, unknown>): Record<string, unknown> {
  if (mode.v141) return m;
  const { finish_reason: _, ...rest } = m;
  return rest;
}

/** Duration attributes of an inference details record: v1.41.0's name, the latest's, or both. */
function inferenceDurationKeys(mode: Mode): string[] {
  const keys: string[] = [];
  if (mode.v141) keys.push("gen_ai.client.operation.duration");
  if (mode.latest) keys.push("gen_ai.client.inference.duration");
  return keys;
}

const op = (s: ReadableSpan | ReadableLogRecord) => s.attributes["gen_ai.operation.name"];
const byOperation = (run: Run, operation: string) => run.spans.filter((s) => op(s) === operation);

function server(): Record<string, unknown> {
  return { "server.address": "127.0.0.1", "server.port": mock.port };
}

/** The request attributes every inference span of these scenarios carries. */
function chatRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.max_tokens": 100,
    "gen_ai.request.temperature": 0.5,
    ...server(),
    ...extra,
  };
}

const json = (v: unknown) => JSON.stringify(v);
const text = (content: string) => ({ type: "text", content });
const SYSTEM_INSTRUCTIONS = json([text(SYSTEM)]);
const user = (content: string) => ({ role: "user", parts: [text(content)] });
const toolCallPart = {
  type: "tool_call",
  id: MOCK_TOOL_CALL.callId,
  name: "get_current_weather",
  arguments: { location: "Seattle" },
};

/** Metric attributes of these scenarios' inference points. */
function inferenceMetricAttributes(): Record<string, unknown> {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini",
    ...server(),
  };
}

/** Every content attribute of a span or record meets the JSON schemas of the conventions emitted. */
function validateContent(mode: Mode, attributes: Record<string, unknown>): void {
  for (const attr of [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
  ] as ContentAttr[]) {
    const v = attributes[attr];
    if (v === undefined) continue;
    const text = typeof v === "string" ? v : JSON.stringify(v);
    if (mode.v141) validate(attr, text, "v1.41.0");
    if (mode.latest) validate(attr, text, "latest");
  }
}

/**
 * Every attribute the reference run captured, per span type, event and metric, is on our
 * telemetry of that type in at least one of the scenarios (data.json is the union over them).
 */
function expectReferenceCovered(
  mode: Mode,
  ref: Reference,
  runs: Run[],
  skipSpanTypes: string[] = [],
): void {
  const union = (items: { attributes: Record<string, unknown> }[]) =>
    new Set(items.flatMap((i) => Object.keys(i.attributes)));
  for (const [type, attrs] of Object.entries(ref.spans)) {
    if (skipSpanTypes.includes(type)) continue;
    const ops = SPAN_TYPE_OPERATIONS[type]!;
    const ours = union(runs.flatMap((r) => r.spans.filter((s) => ops.includes(String(op(s))))));
    expect(
      attrs.filter((a) => !ours.has(a)),
      `${type}: reference attributes we do not set`,
    ).toEqual([]);
  }
  for (const [event, attrs] of Object.entries(ref.events)) {
    const ours = union(runs.flatMap((r) => r.records.filter((x) => x.eventName === event)));
    expect(
      attrs.filter((a) => !ours.has(a)),
      `event ${event}`,
    ).toEqual([]);
  }
  for (const [metric, attrs] of Object.entries(ref.metrics)) {
    const expected: [string, string[]][] = [];
    if (mode.v141) expected.push([metric, attrs]);
    if (mode.latest) {
      const latest = LATEST_METRIC[metric];
      expected.push(
        latest === undefined
          ? [metric, attrs]
          : [latest.name, attrs.map((a) => latest.rename?.[a] ?? a)],
      );
    }
    for (const [name, want] of expected) {
      const ours = union(runs.flatMap((r) => points(r, name)));
      expect(
        want.filter((a) => !ours.has(a)),
        `metric ${name}`,
      ).toEqual([]);
    }
  }
}

describe.each(MODES)("conformance (genAiSemconv: $mode)", (mode) => {
  describe("scenarios/gen-ai/python/openai/opentelemetry-langchain-openai", () => {
    const runs: Record<string, Run> = {};
    beforeAll(async () => {
      for (const name of ["inference", "streaming", "tool_calling"])
        runs[name] = await runScenario(name, mode.mode);
    });

    it("every span, event and metric attribute of the reference data.json is emitted", () => {
      // Its invoke_workflow entry comes from structured_output.py (with_structured_output builds
      // a chain), a scenario outside the four reproduced here.
      expectReferenceCovered(mode, reference("langchain-openai.data.json"), Object.values(runs), [
        "gen_ai.invoke_workflow.internal",
      ]);
    });

    it("inference: one chat span with every sampling option, the answer, usage 25/12; its details record; the inference metrics", () => {
      const run = runs.inference!;
      expect(run.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
      const output = [
        outMsg(mode, { role: "assistant", parts: [text(MOCK_TEXT)], finish_reason: "stop" }),
      ];
      const attributes = {
        ...chatRequest(SAMPLING_ATTRIBUTES),
        "gen_ai.input.messages": json([user("Say this is a test")]),
        "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
        "gen_ai.output.messages": json(output),
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.id": MOCK_CHAT.id,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": MOCK_CHAT.input,
        "gen_ai.usage.output_tokens": MOCK_CHAT.output,
      };
      expect(run.spans[0]!.attributes).toEqual(attributes);
      validateContent(mode, run.spans[0]!.attributes);
      expect(run.records.map((r) => r.eventName)).toEqual([
        "gen_ai.client.inference.operation.details",
      ]);
      const recorded: Record<string, unknown> = { ...run.records[0]!.attributes };
      const durations = inferenceDurationKeys(mode).map((k) => recorded[k]);
      for (const k of inferenceDurationKeys(mode)) delete recorded[k];
      expect(durations.length).toBeGreaterThan(0);
      for (const d of durations) expect(d).toBeGreaterThan(0);
      expect(new Set(durations).size).toBe(1);
      expect(recorded).toEqual({
        ...attributes,
        // Structured on log records, as the conventions require for events.
        "gen_ai.input.messages": [user("Say this is a test")],
        "gen_ai.system_instructions": [text(SYSTEM)],
        "gen_ai.output.messages": output,
      });
      validateContent(mode, run.records[0]!.attributes as Record<string, unknown>);
      const a = inferenceMetricAttributes();
      const v141 = (m: string) => points(run, m).map((p) => [p.attributes, p.count, p.sum]);
      if (mode.v141) {
        expect(v141("gen_ai.client.operation.duration").map(([attrs, n]) => [attrs, n])).toEqual([
          [a, 1],
        ]);
        expect(v141("gen_ai.client.token.usage")).toEqual([
          [{ ...a, "gen_ai.token.type": "input" }, 1, 25],
          [{ ...a, "gen_ai.token.type": "output" }, 1, 12],
        ]);
      } else {
        // Only the latest: none of the v1.41.0 inference instruments.
        expect(run.metrics["gen_ai.client.operation.duration"]).toBeUndefined();
        expect(run.metrics["gen_ai.client.token.usage"]).toBeUndefined();
      }
      if (mode.latest) {
        const d = points(run, "gen_ai.client.inference.duration");
        expect(d.map((p) => [p.attributes, p.count])).toEqual([[a, 1]]);
        expect(d[0]!.sum).toBe(durations[0]);
        expect(latestTokenPoints(run)).toEqual([
          ["gen_ai.client.inference.usage.input_tokens", [[withModality(a), 1, 25]]],
          ["gen_ai.client.inference.usage.output_tokens", [[withModality(a), 1, 12]]],
          ["gen_ai.client.inference.usage.cache_read.input_tokens", [[withModality(a), 1, 0]]],
          ["gen_ai.client.inference.usage.cache_write.input_tokens", [[withModality(a), 1, 0]]],
          ["gen_ai.client.inference.usage.reasoning.output_tokens", [[withModality(a), 1, 0]]],
          ["gen_ai.client.inference.operation.input_tokens", [[a, 1, 25]]],
          ["gen_ai.client.inference.operation.output_tokens", [[a, 1, 12]]],
        ]);
      } else {
        expect(
          Object.keys(run.metrics).filter((m) => m.startsWith("gen_ai.client.inference.")),
        ).toEqual([]);
      }
      expect(points(run, "gen_ai.client.operation.time_to_first_chunk")).toEqual([]);
      expect(points(run, "gen_ai.client.inference.time_to_first_chunk")).toEqual([]);
    });

    it("streaming: the six chunks joined, usage 25/6 from the final chunk, stream flag, time to first chunk; streaming metrics", () => {
      const run = runs.streaming!;
      expect(run.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
      const a = run.spans[0]!.attributes;
      const ttfc = a["gen_ai.response.time_to_first_chunk"] as number;
      expect(ttfc).toBeGreaterThan(0);
      expect(a).toEqual({
        ...chatRequest(SAMPLING_ATTRIBUTES),
        "gen_ai.request.stream": true,
        "gen_ai.input.messages": json([user("Say this is a test")]),
        "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
        "gen_ai.output.messages": json([
          outMsg(mode, {
            role: "assistant",
            parts: [text("This is a mock streamed response.")],
            finish_reason: "stop",
          }),
        ]),
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.id": MOCK_STREAM.id,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.response.time_to_first_chunk": ttfc,
        "gen_ai.usage.input_tokens": MOCK_STREAM.input,
        "gen_ai.usage.output_tokens": MOCK_STREAM.output,
      });
      validateContent(mode, a);
      const attrs = inferenceMetricAttributes();
      // Six content chunks: five intervals after the first.
      const names: [string, string, string][] = [];
      if (mode.v141)
        names.push([
          "gen_ai.client.token.usage",
          "gen_ai.client.operation.time_to_first_chunk",
          "gen_ai.client.operation.time_per_output_chunk",
        ]);
      if (mode.latest)
        names.push([
          "gen_ai.client.inference.usage.output_tokens",
          "gen_ai.client.inference.time_to_first_chunk",
          "gen_ai.client.inference.time_per_output_chunk",
        ]);
      for (const [tokens, first, perChunk] of names) {
        expect(points(run, tokens).map((p) => p.sum)).toEqual(
          mode.v141 && tokens.endsWith("usage") ? [25, 6] : [6],
        );
        expect(points(run, first).map((p) => [p.attributes, p.count, p.sum])).toEqual([
          [attrs, 1, ttfc],
        ]);
        expect(points(run, perChunk).map((p) => p.count)).toEqual([5]);
      }
      if (!mode.v141)
        expect(run.metrics["gen_ai.client.operation.time_to_first_chunk"]).toBeUndefined();
    });

    it("tool_calling: two chat spans, the tool definitions on both, the requested call, the tool result travelling back", () => {
      const run = runs.tool_calling!;
      expect(run.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini", "chat gpt-4o-mini"]);
      const definitions = json([
        {
          type: "function",
          name: "get_current_weather",
          description: WEATHER_TOOL.function.description,
          parameters: WEATHER_TOOL.function.parameters,
        },
      ]);
      const [first, second] = run.spans.map((s) => s.attributes);
      expect(first).toEqual({
        ...chatRequest(),
        "gen_ai.input.messages": json([user(WEATHER_QUESTION)]),
        "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
        "gen_ai.tool.definitions": definitions,
        "gen_ai.output.messages": json([
          outMsg(mode, { role: "assistant", parts: [toolCallPart], finish_reason: "tool_call" }),
        ]),
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.id": MOCK_TOOL_CALL.id,
        "gen_ai.response.finish_reasons": ["tool_calls"],
        "gen_ai.usage.input_tokens": MOCK_TOOL_CALL.input,
        "gen_ai.usage.output_tokens": MOCK_TOOL_CALL.output,
      });
      expect(second).toEqual({
        ...chatRequest(),
        "gen_ai.input.messages": json([
          user(WEATHER_QUESTION),
          { role: "assistant", parts: [toolCallPart] },
          {
            role: "tool",
            parts: [
              { type: "tool_call_response", id: MOCK_TOOL_CALL.callId, response: WEATHER_ANSWER },
            ],
          },
        ]),
        "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
        "gen_ai.tool.definitions": definitions,
        "gen_ai.output.messages": json([
          outMsg(mode, { role: "assistant", parts: [text(MOCK_TEXT)], finish_reason: "stop" }),
        ]),
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.id": MOCK_CHAT.id,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": MOCK_CHAT.input,
        "gen_ai.usage.output_tokens": MOCK_CHAT.output,
      });
      for (const s of run.spans) validateContent(mode, s.attributes);
      // No tool ran: LangChain binds the tool as a schema (no execute_tool span, as in the reference).
      expect(byOperation(run, "execute_tool")).toEqual([]);
      if (mode.v141)
        expect(points(run, "gen_ai.client.token.usage").map((p) => [p.count, p.sum])).toEqual([
          [2, 75],
          [2, 32],
        ]);
      if (mode.latest) {
        expect(points(run, "gen_ai.client.inference.usage.input_tokens").map((p) => p.sum)).toEqual(
          [75],
        );
        expect(
          points(run, "gen_ai.client.inference.usage.output_tokens").map((p) => p.sum),
        ).toEqual([32]);
        expect(
          points(run, "gen_ai.client.inference.operation.input_tokens").map((p) => [
            p.count,
            p.sum,
          ]),
        ).toEqual([[2, 75]]);
      }
    });
  });

  describe("scenarios/gen-ai/python/langchain/opentelemetry-langchain", () => {
    const runs: Record<string, Run> = {};
    beforeAll(async () => {
      for (const name of ["automatic_tool_calling", "invoke_agent", "workflow"])
        runs[name] = await runScenario(name, mode.mode);
    });

    it("every span, event and metric attribute of the reference data.json is emitted", () => {
      expectReferenceCovered(mode, reference("langchain.data.json"), Object.values(runs));
    });

    it("automatic_tool_calling: the agent, two chat spans and the tool run with its description from the requesting call's definitions", () => {
      const run = runs.automatic_tool_calling!;
      expect(run.spans.map((s) => s.name).sort()).toEqual(
        [
          "chat gpt-4o-mini",
          "chat gpt-4o-mini",
          "execute_tool get_current_weather",
          "invoke_agent weather_assistant",
          "model_request",
          "model_request",
          "tools",
        ].sort(),
      );
      const [toolSpan] = byOperation(run, "execute_tool");
      expect(toolSpan!.attributes).toEqual({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_current_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": "Get the current weather in a given location.",
        "gen_ai.tool.call.id": MOCK_TOOL_CALL.callId,
        "gen_ai.tool.call.arguments": json({ location: "Seattle" }),
        "gen_ai.tool.call.result": WEATHER_ANSWER,
      });
      const chats = byOperation(run, "chat").map((s) => s.attributes);
      expect(chats.map((a) => a["gen_ai.response.id"])).toEqual([MOCK_TOOL_CALL.id, MOCK_CHAT.id]);
      for (const a of chats) {
        expect(a).toMatchObject({
          ...chatRequest(),
          "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
        });
        expect(JSON.parse(a["gen_ai.tool.definitions"] as string)).toEqual([
          {
            type: "function",
            name: "get_current_weather",
            description: "Get the current weather in a given location.",
            parameters: expect.objectContaining({
              type: "object",
              properties: { location: { type: "string" } },
              required: ["location"],
            }),
          },
        ]);
        validateContent(mode, a);
      }
      const [agent] = byOperation(run, "invoke_agent");
      expect(agent!.attributes).toMatchObject({
        "gen_ai.agent.name": "weather_assistant",
        "gen_ai.usage.input_tokens": 75,
        "gen_ai.usage.output_tokens": 32,
      });
      expect(
        points(run, "gen_ai.execute_tool.duration").map((p) => [p.attributes, p.count]),
      ).toEqual([
        [
          {
            "gen_ai.tool.name": "get_current_weather",
            "gen_ai.tool.type": "function",
            "gen_ai.agent.name": "weather_assistant",
          },
          1,
        ],
      ]);
      expect(
        points(run, "gen_ai.invoke_agent.duration").map((p) => [p.attributes, p.count]),
      ).toEqual([[{ "gen_ai.agent.name": "weather_assistant" }, 1]]);
      // The agent's own calls per invocation (latest conventions): 2 model calls, 1 tool call.
      const calls = (m: string) => points(run, m).map((p) => [p.attributes, p.count, p.sum]);
      expect(calls("gen_ai.invoke_agent.inference_calls")).toEqual(
        mode.latest ? [[{ "gen_ai.agent.name": "weather_assistant" }, 1, 2]] : [],
      );
      expect(calls("gen_ai.invoke_agent.tool_calls")).toEqual(
        mode.latest ? [[{ "gen_ai.agent.name": "weather_assistant" }, 1, 1]] : [],
      );
    });

    it("invoke_agent: the agent span and its one model call", () => {
      const run = runs.invoke_agent!;
      expect(run.spans.map((s) => s.name).sort()).toEqual(
        ["chat gpt-4o-mini", "invoke_agent weather_assistant", "model_request"].sort(),
      );
      const [agent] = byOperation(run, "invoke_agent");
      expect(agent!.attributes).toEqual({
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "weather_assistant",
        "gen_ai.input.messages": json([user("Say this is a test")]),
        "gen_ai.output.messages": json([
          outMsg(mode, {
            role: "assistant",
            parts: [text(MOCK_TEXT)],
            name: "weather_assistant",
            finish_reason: "stop",
          }),
        ]),
        "gen_ai.usage.input_tokens": 25,
        "gen_ai.usage.output_tokens": 12,
        "langchain.agent.inference_count": 1,
        "langchain.agent.tool_call_count": 0,
      });
      validateContent(mode, agent!.attributes);
    });

    it("workflow: the chain is an invoke_workflow span named by its run name, its model call inside; its duration (latest)", () => {
      const run = runs.workflow!;
      const [workflow] = byOperation(run, "invoke_workflow");
      expect(workflow!.name).toBe("invoke_workflow conformance_workflow");
      expect(workflow!.attributes).toEqual({
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "conformance_workflow",
        // The prompt's one variable as the user's message (as the reference records it), and the
        // chain's input and output as LangChain gave them.
        "gen_ai.input.messages": json([user("Say this is a test")]),
        "langchain.chain.inputs": json({ question: "Say this is a test" }),
        "langchain.chain.outputs": json({ type: "ai", content: MOCK_TEXT }),
      });
      validateContent(mode, workflow!.attributes);
      const [chat] = byOperation(run, "chat");
      expect(chat!.parentSpanContext?.spanId).toBe(workflow!.spanContext().spanId);
      expect(chat!.attributes["gen_ai.input.messages"]).toBe(json([user("Say this is a test")]));
      const duration = points(run, "gen_ai.invoke_workflow.duration");
      expect(duration.map((p) => [p.attributes, p.count])).toEqual(
        mode.latest ? [[{ "gen_ai.workflow.name": "conformance_workflow" }, 1]] : [],
      );
    });
  });
});
