/**
 * The metric instruments the latest standalone GenAI conventions define where v1.41.0 had others
 * (metrics.yaml and token-metrics.yaml of open-telemetry/semantic-conventions-genai, copied in
 * test/fixtures/semconv-genai-latest): the inference duration and streaming histograms under
 * `gen_ai.client.inference.*`, the five token counters by `gen_ai.token.modality` and the two
 * per-operation token histograms (which replace `gen_ai.client.token.usage`), the workflow
 * duration, and an agent's model and tool calls per invocation. Created only when the latest
 * conventions are opted in (semconv-stability.ts): the default output has none of them and pays
 * nothing for them. The tool and agent durations have one name in both and stay in metrics.ts.
 */
import {
  ValueType,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
} from "@opentelemetry/api";
import * as S from "../semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";
import { AGENT_DURATION_BUCKETS, ProviderBound } from "./metrics.js";

/**
 * Buckets of the per-invocation call counts (the conventions give none): one call to a few
 * hundred, doubling.
 */
const CALL_COUNT_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What one model call reported, for the latest instruments. */
export interface LatestInferenceInput {
  /**
   * Operation, provider, models, server, and `error.type` when it failed (metric-attributes.ts).
   */
  attributes: Attributes;
  /** The same without `error.type`: the token counters have no error attribute. */
  usageAttributes: Attributes;
  /**
   * Cancelled calls too: the latest duration covers a call that "ends with an error or
   * cancellation".
   */
  durationS: number;
  /** A LangChain cache hit: no provider call, no tokens spent, no token points. */
  cached?: boolean;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Streaming only. */
  timeToFirstChunkS?: number;
}

/** The latest conventions' instruments of one meter provider. */
class LatestInstruments {
  readonly duration: Histogram;
  readonly firstChunk: Histogram;
  readonly perChunk: Histogram;
  readonly inputTokens: Counter;
  readonly outputTokens: Counter;
  readonly cacheReadTokens: Counter;
  readonly cacheWriteTokens: Counter;
  readonly reasoningTokens: Counter;
  readonly operationInputTokens: Histogram;
  readonly operationOutputTokens: Histogram;
  readonly workflowDuration: Histogram;
  readonly agentInferenceCalls: Histogram;
  readonly agentToolCalls: Histogram;

  constructor(provider: MeterProvider) {
    const meter = provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const seconds = (name: string, description: string, buckets = S.DURATION_BUCKETS) =>
      meter.createHistogram(name, {
        unit: "s",
        description,
        advice: { explicitBucketBoundaries: buckets },
      });
    const tokens = (name: string, description: string) =>
      meter.createCounter(name, { unit: "{token}", description, valueType: ValueType.INT });
    const tokenHistogram = (name: string, description: string) =>
      meter.createHistogram(name, {
        unit: "{token}",
        description,
        valueType: ValueType.INT,
        advice: { explicitBucketBoundaries: S.TOKEN_USAGE_BUCKETS },
      });
    const calls = (name: string, unit: string, description: string) =>
      meter.createHistogram(name, {
        unit,
        description,
        valueType: ValueType.INT,
        advice: { explicitBucketBoundaries: CALL_COUNT_BUCKETS },
      });
    this.duration = seconds(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_DURATION,
      "GenAI client inference operation duration.",
    );
    this.firstChunk = seconds(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
      "Time to receive the first chunk of a streaming response.",
    );
    this.perChunk = seconds(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
      "Time between consecutive chunks of a streaming response, after the first.",
    );
    this.inputTokens = tokens(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
      "The number of input (prompt) tokens used, including cached tokens.",
    );
    this.outputTokens = tokens(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
      "The number of output (completion) tokens used, including reasoning tokens.",
    );
    this.cacheReadTokens = tokens(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
      "The number of input tokens served from a provider-managed cache.",
    );
    this.cacheWriteTokens = tokens(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
      "The number of input tokens written to a provider-managed cache.",
    );
    this.reasoningTokens = tokens(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS,
      "The number of output tokens used for reasoning.",
    );
    this.operationInputTokens = tokenHistogram(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
      "The number of input (prompt) tokens used per inference operation.",
    );
    this.operationOutputTokens = tokenHistogram(
      S.METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
      "The number of output (completion) tokens used per inference operation.",
    );
    this.workflowDuration = seconds(
      S.METRIC_GEN_AI_INVOKE_WORKFLOW_DURATION,
      "Duration of a GenAI workflow.",
      AGENT_DURATION_BUCKETS,
    );
    this.agentInferenceCalls = calls(
      S.METRIC_GEN_AI_INVOKE_AGENT_INFERENCE_CALLS,
      "{inference_call}",
      "The number of inference (model) calls an agent made during one invocation.",
    );
    this.agentToolCalls = calls(
      S.METRIC_GEN_AI_INVOKE_AGENT_TOOL_CALLS,
      "{tool_call}",
      "The number of tool calls an agent made during one invocation.",
    );
  }
}

/**
 * The latest conventions' instruments, of the handler's meter provider or the global one
 * (metrics.ts).
 */
export class LatestGenAiMetrics {
  private readonly instruments: ProviderBound<LatestInstruments>;
  private readonly modalityCache = new WeakMap<Attributes, Attributes>();

  /** @param provider the meter provider; `undefined` = the global one, looked up per record. */
  constructor(provider: MeterProvider | undefined) {
    this.instruments = new ProviderBound(provider, (p) => new LatestInstruments(p));
  }

  /**
   * One model call, failed and cancelled ones too: its duration, and every token instrument with
   * what the provider reported or `0` (the conventions ask for a point per operation; without
   * usage the counters' modality is `unknown`, which is also what LangChain's usage metadata,
   * not broken down by modality, gives).
   */
  recordInference(m: LatestInferenceInput): void {
    const i = this.instruments.current();
    if (i === undefined) return;
    i.duration.record(m.durationS, m.attributes);
    if (!m.cached) this.recordTokens(i, m);
    if (m.timeToFirstChunkS !== undefined) i.firstChunk.record(m.timeToFirstChunkS, m.attributes);
  }

  /** The token instruments of one call. */
  private recordTokens(i: LatestInstruments, m: LatestInferenceInput): void {
    const u = this.withModality(m.usageAttributes);
    i.inputTokens.add(m.inputTokens ?? 0, u);
    i.outputTokens.add(m.outputTokens ?? 0, u);
    i.cacheReadTokens.add(m.cacheReadTokens ?? 0, u);
    i.cacheWriteTokens.add(m.cacheWriteTokens ?? 0, u);
    i.reasoningTokens.add(m.reasoningTokens ?? 0, u);
    i.operationInputTokens.record(m.inputTokens ?? 0, m.attributes);
    i.operationOutputTokens.record(m.outputTokens ?? 0, m.attributes);
  }

  /** `attributes` plus `gen_ai.token.modality = unknown`, built once per shared, frozen object. */
  private withModality(attributes: Attributes): Attributes {
    let a = this.modalityCache.get(attributes);
    if (a === undefined) {
      a = {
        ...attributes,
        [S.ATTR_GEN_AI_TOKEN_MODALITY]: S.GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN,
      };
      if (Object.isFrozen(attributes)) this.modalityCache.set(attributes, a);
    }
    return a;
  }

  /** Streaming only: one point per chunk after the first, the time since the previous chunk. */
  recordChunkIntervals(intervalsMs: readonly number[], attributes: Attributes): void {
    const i = this.instruments.current();
    if (i !== undefined) for (const ms of intervalsMs) i.perChunk.record(ms / 1000, attributes);
  }

  /** One workflow run (`gen_ai.workflow.name`, `error.type` when it failed). */
  recordWorkflow(durationS: number, attributes: Attributes): void {
    this.instruments.current()?.workflowDuration.record(durationS, attributes);
  }

  /** One agent invocation: the model and tool calls it made itself (`gen_ai.agent.name`). */
  recordAgentCalls(inferences: number, tools: number, attributes: Attributes): void {
    const i = this.instruments.current();
    if (i === undefined) return;
    i.agentInferenceCalls.record(inferences, attributes);
    i.agentToolCalls.record(tools, attributes);
  }
}
