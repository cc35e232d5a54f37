/**
 * The opt-in for the latest standalone GenAI conventions: how the mode is chosen
 * (`OTEL_SEMCONV_STABILITY_OPT_IN`, the `genAiSemconv` option, once at construction), that the
 * default creates none of the latest instruments, that the latest instruments are what the
 * conventions' metric model (fixtures/semconv-genai-latest/*.yaml) defines, and what each mode
 * records where the conventions differ: cache writes, token counters and histograms for failed
 * and cancelled calls, agent cache totals, request reasoning level and previous response id,
 * unscored retrieved documents.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { diag, type Meter, type MeterProvider } from "@opentelemetry/api";
import { parse } from "yaml";
import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import {
  resolveSemconvMode,
  semconvFromEnv,
  type GenAiSemconv,
} from "../src/handler/semconv-stability.js";
import { AgentTotals } from "../src/handler/agent-totals.js";
import * as S from "../src/semconv.js";
import { telemetry } from "./helpers/agent-kit.js";
import { validate } from "./helpers/genai-schemas.js";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("choosing the conventions", () => {
  it("OTEL_SEMCONV_STABILITY_OPT_IN: gen_ai_latest_experimental is latest, .../dup (ours) dual, anything else v1.41; a comma-separated list, case and spaces ignored", () => {
    expect(semconvFromEnv(undefined)).toBe("v1.41");
    expect(semconvFromEnv("")).toBe("v1.41");
    expect(semconvFromEnv("http")).toBe("v1.41");
    expect(semconvFromEnv("gen_ai_latest")).toBe("v1.41");
    expect(semconvFromEnv("gen_ai_latest_experimental")).toBe("latest");
    expect(semconvFromEnv(" http/dup , GEN_AI_LATEST_EXPERIMENTAL ")).toBe("latest");
    expect(semconvFromEnv("gen_ai_latest_experimental/dup")).toBe("dual");
    // Both listed: /dup wins, as for http and http/dup.
    expect(semconvFromEnv("gen_ai_latest_experimental,gen_ai_latest_experimental/dup")).toBe(
      "dual",
    );
  });

  it("the option wins over the environment; an invalid option is warned about and the environment used", () => {
    vi.stubEnv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental");
    expect(resolveSemconvMode("v1.41")).toMatchObject({ v141: true, latest: false });
    expect(resolveSemconvMode("dual")).toMatchObject({ v141: true, latest: true });
    expect(resolveSemconvMode(undefined)).toMatchObject({ v141: false, latest: true });
    const warn = vi.spyOn(diag, "warn").mockImplementation(() => {});
    expect(resolveSemconvMode("newest")).toMatchObject({ name: "latest" });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"v1.41", "latest" or "dual"'));
  });
});

/** A meter provider recording every instrument created: name -> [kind, unit, buckets]. */
function recordingMeterProvider() {
  const created = new Map<string, { kind: string; unit?: string; buckets?: number[] }>();
  const noop = { record() {}, add() {} };
  const meter = {
    createHistogram(
      name: string,
      o: { unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
    ) {
      created.set(name, {
        kind: "histogram",
        unit: o?.unit,
        buckets: o?.advice?.explicitBucketBoundaries,
      });
      return noop;
    },
    createCounter(name: string, o: { unit?: string }) {
      created.set(name, { kind: "counter", unit: o?.unit });
      return noop;
    },
  } as unknown as Meter;
  const provider = { getMeter: () => meter } as unknown as MeterProvider;
  return { provider, created };
}

const V141_INFERENCE = [
  "gen_ai.client.token.usage",
  "gen_ai.client.operation.duration",
  "gen_ai.client.operation.time_to_first_chunk",
  "gen_ai.client.operation.time_per_output_chunk",
];
const BOTH = ["gen_ai.execute_tool.duration", "gen_ai.invoke_agent.duration"];
const LATEST = [
  "gen_ai.client.inference.duration",
  "gen_ai.client.inference.time_to_first_chunk",
  "gen_ai.client.inference.time_per_output_chunk",
  "gen_ai.client.inference.usage.input_tokens",
  "gen_ai.client.inference.usage.output_tokens",
  "gen_ai.client.inference.usage.cache_read.input_tokens",
  "gen_ai.client.inference.usage.cache_write.input_tokens",
  "gen_ai.client.inference.usage.reasoning.output_tokens",
  "gen_ai.client.inference.operation.input_tokens",
  "gen_ai.client.inference.operation.output_tokens",
  "gen_ai.invoke_workflow.duration",
  "gen_ai.invoke_agent.inference_calls",
  "gen_ai.invoke_agent.tool_calls",
];

describe("instruments", () => {
  const created = (genAiSemconv?: GenAiSemconv) => {
    const r = recordingMeterProvider();
    new OpenTelemetryCallbackHandler({ meterProvider: r.provider, genAiSemconv, logs: false });
    return r.created;
  };

  it("the default creates v1.41.0's and none of the latest; latest creates no v1.41.0 inference instrument; dual both", () => {
    expect([...created().keys()].sort()).toEqual([...V141_INFERENCE, ...BOTH].sort());
    expect([...created("latest").keys()].sort()).toEqual([...BOTH, ...LATEST].sort());
    expect([...created("dual").keys()].sort()).toEqual(
      [...V141_INFERENCE, ...BOTH, ...LATEST].sort(),
    );
  });

  it("the mode is read from the environment once, when the handler is made", () => {
    vi.stubEnv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental/dup");
    const r = recordingMeterProvider();
    const handler = new OpenTelemetryCallbackHandler({ meterProvider: r.provider, logs: false });
    vi.stubEnv("OTEL_SEMCONV_STABILITY_OPT_IN", "");
    expect([...r.created.keys()]).toEqual(expect.arrayContaining([...V141_INFERENCE, ...LATEST]));
    expect(handler).toBeDefined();
  });

  it("every latest instrument is the conventions' (metrics.yaml, token-metrics.yaml): instrument and unit; advised buckets where they give them", () => {
    const model = ["metrics.yaml", "token-metrics.yaml"].flatMap(
      (f) =>
        parse(
          readFileSync(new URL(`./fixtures/semconv-genai-latest/${f}`, import.meta.url), "utf8"),
        ).metrics as { name: string; instrument: string; unit: string }[],
    );
    const byName = new Map(model.map((m) => [m.name, m]));
    const ours = created("latest");
    for (const name of [...LATEST, ...BOTH]) {
      const spec = byName.get(name);
      expect(spec, `${name} in the conventions' model`).toBeDefined();
      expect([name, ours.get(name)!.kind, ours.get(name)!.unit]).toEqual([
        name,
        spec!.instrument,
        spec!.unit,
      ]);
    }
    // client-inference.md and gen-ai-token-metrics.md give these boundaries.
    const seconds = [
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
    const tokens = [
      1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
    ];
    expect(ours.get("gen_ai.client.inference.duration")!.buckets).toEqual(seconds);
    expect(ours.get("gen_ai.client.inference.time_to_first_chunk")!.buckets).toEqual(seconds);
    expect(ours.get("gen_ai.client.inference.operation.input_tokens")!.buckets).toEqual(tokens);
    expect(ours.get("gen_ai.client.inference.operation.output_tokens")!.buckets).toEqual(tokens);
  });
});

const MODEL = {
  id: ["langchain", "chat_models", "anthropic", "ChatAnthropic"],
  lc: 1,
  type: "not_implemented",
};

/** A chat call driven through the callbacks, with Anthropic-style usage: cache reads and writes, reasoning. */
function chatCall(handler: OpenTelemetryCallbackHandler, runId: string, end: "ok" | "error") {
  handler.handleChatModelStart(
    MODEL as never,
    [[]],
    runId,
    undefined,
    {
      invocation_params: {
        model: "claude-x",
        reasoning_effort: "high",
        previous_response_id: "resp_123",
      },
    },
    undefined,
    { ls_provider: "anthropic" },
  );
  if (end === "error") {
    handler.handleLLMError(new TypeError("boom"), runId);
    return;
  }
  handler.handleLLMEnd(
    {
      generations: [
        [
          {
            text: "hi",
            generationInfo: { finish_reason: "stop" },
            message: {
              content: "hi",
              response_metadata: { model_name: "claude-x-1" },
              usage_metadata: {
                input_tokens: 100,
                output_tokens: 20,
                total_tokens: 120,
                input_token_details: { cache_read: 30, cache_creation: 10 },
                output_token_details: { reasoning: 5 },
              },
            },
          },
        ],
      ],
    },
    runId,
  );
}

describe.each([
  { mode: "v1.41" as const, v141: true, latest: false },
  { mode: "latest" as const, v141: false, latest: true },
  { mode: "dual" as const, v141: true, latest: true },
])("genAiSemconv: $mode", ({ mode, v141, latest }) => {
  it("cache writes on the span: cache_creation (v1.41.0), cache_write (latest); reasoning level and previous response id only in the latest", async () => {
    const t = telemetry({ genAiSemconv: mode });
    chatCall(t.handler, "r1", "ok");
    const a = t.spans()[0]!.attributes;
    expect(a["gen_ai.usage.cache_read.input_tokens"]).toBe(30);
    expect(a["gen_ai.usage.reasoning.output_tokens"]).toBe(5);
    expect(a["gen_ai.usage.cache_creation.input_tokens"]).toBe(v141 ? 10 : undefined);
    expect(a["gen_ai.usage.cache_write.input_tokens"]).toBe(latest ? 10 : undefined);
    expect(a["gen_ai.request.reasoning.level"]).toBe(latest ? "high" : undefined);
    expect(a["gen_ai.request.previous_response.id"]).toBe(latest ? "resp_123" : undefined);
    const [record] = t.records("gen_ai.client.inference.operation.details");
    expect(record!.attributes["gen_ai.usage.cache_write.input_tokens"]).toBe(
      latest ? 10 : undefined,
    );
    expect(record!.attributes["gen_ai.client.operation.duration"] !== undefined).toBe(v141);
    expect(record!.attributes["gen_ai.client.inference.duration"] !== undefined).toBe(latest);
    await t.shutdown();
  });

  it("token counters (modality unknown), per-operation histograms and the inference duration of a call, and of a failed one (0 tokens; error.type on histograms only)", async () => {
    const t = telemetry({ genAiSemconv: mode });
    chatCall(t.handler, "ok", "ok");
    chatCall(t.handler, "failed", "error");
    const m = await t.metrics();
    const base = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.request.model": "claude-x",
    };
    const ok = { ...base, "gen_ai.response.model": "claude-x-1" };
    const failed = { ...base, "error.type": "TypeError" };
    const sums = (name: string) => m[name]?.points.map((p) => [p.attributes, p.count, p.sum]) ?? [];
    const modality = (a: object) => ({ ...a, "gen_ai.token.modality": "unknown" });
    if (!latest) {
      expect(Object.keys(m).filter((n) => n.startsWith("gen_ai.client.inference."))).toEqual([]);
    } else {
      expect(m["gen_ai.client.inference.usage.input_tokens"]!.type).toBe("SUM");
      expect(sums("gen_ai.client.inference.usage.input_tokens")).toEqual([
        [modality(ok), 1, 100],
        [modality(base), 1, 0],
      ]);
      expect(sums("gen_ai.client.inference.usage.cache_read.input_tokens")).toEqual([
        [modality(ok), 1, 30],
        [modality(base), 1, 0],
      ]);
      expect(sums("gen_ai.client.inference.usage.cache_write.input_tokens")).toEqual([
        [modality(ok), 1, 10],
        [modality(base), 1, 0],
      ]);
      expect(sums("gen_ai.client.inference.usage.reasoning.output_tokens")).toEqual([
        [modality(ok), 1, 5],
        [modality(base), 1, 0],
      ]);
      expect(sums("gen_ai.client.inference.operation.output_tokens")).toEqual([
        [ok, 1, 20],
        [failed, 1, 0],
      ]);
      expect(
        m["gen_ai.client.inference.duration"]!.points.map((p) => [p.attributes, p.count]),
      ).toEqual([
        [ok, 1],
        [failed, 1],
      ]);
    }
    // A failed call's finish reason, expected but not received: `error` in the latest conventions.
    const [okSpan, failedSpan] = t.spans();
    expect(okSpan!.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    expect(failedSpan!.attributes["gen_ai.response.finish_reasons"]).toEqual(
      latest ? ["error"] : undefined,
    );
    expect(m["gen_ai.client.operation.duration"]?.points.length).toBe(v141 ? 2 : undefined);
    expect(m["gen_ai.client.token.usage"] !== undefined).toBe(v141);
    await t.shutdown();
  });

  it("unscored retrieved documents: our langchain.retrieval.documents under v1.41.0 (its schema requires a score), the conventions' attribute under the latest only", async () => {
    const t = telemetry({ genAiSemconv: mode, captureContent: true });
    t.handler.handleRetrieverStart(
      { id: ["retrievers", "Memory"], lc: 1, type: "not_implemented" } as never,
      "q",
      "ret",
    );
    t.handler.handleRetrieverEnd(
      [{ pageContent: "doc one", metadata: { id: "d1" } }] as never,
      "ret",
    );
    const a = t.spans()[0]!.attributes;
    if (v141) {
      expect(a["langchain.retrieval.documents"]).toBeDefined();
      expect(a["gen_ai.retrieval.documents"]).toBeUndefined();
    } else {
      expect(a["langchain.retrieval.documents"]).toBeUndefined();
      validate("gen_ai.retrieval.documents", a["gen_ai.retrieval.documents"], "latest");
      expect(JSON.parse(a["gen_ai.retrieval.documents"] as string)).toEqual([
        { id: "d1", content: "doc one" },
      ]);
    }
    await t.shutdown();
  });

  it("an agent's cache totals are v1.41.0's only (the latest conventions removed them from invoke_agent)", () => {
    const totals = new AgentTotals();
    totals.addUsage({ input: 10, output: 2, cacheRead: 4, cacheCreation: 1 });
    const into = {};
    totals.write(into, resolveSemconvMode(mode));
    expect(into).toEqual({
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 2,
      ...(v141
        ? {
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.cache_creation.input_tokens": 1,
          }
        : {}),
      [S.ATTR_AGENT_INFERENCE_COUNT]: 0,
      [S.ATTR_AGENT_TOOL_CALL_COUNT]: 0,
    });
  });
});
