/**
 * The GenAI client histograms of the semantic conventions v1.41.0 (gen-ai-metrics.md), with the
 * advisory bucket boundaries the conventions give, plus tool and agent durations that the
 * conventions' development branch has added since (`gen_ai.execute_tool.duration`,
 * `gen_ai.invoke_agent.duration`; documented in the README as ahead of the released
 * conventions). Every attribute here is of low cardinality: operation, provider, model, server,
 * tool or agent name, error type, and only the run-metadata keys a user opted in; they are
 * built in metric-attributes.ts.
 */
import { metrics as metricsApi } from "@opentelemetry/api";
import type { Attributes, Histogram, MeterProvider } from "@opentelemetry/api";
import * as S from "../semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";

/**
 * Buckets of `gen_ai.invoke_agent.duration` (development branch): an agent run is many model
 * calls, so they start at 0.1 s and double up to 409.6 s.
 */
export const AGENT_DURATION_BUCKETS = [
  0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6,
];

/** Attributes shared by every point of one model call. */
export interface InferenceMetricInput {
  attributes: Attributes;
  durationS: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Streaming only. */
  timeToFirstChunkS?: number;
}

/** The v1.41.0 inference histograms (not created when only the latest conventions are emitted). */
interface InferenceHistograms {
  tokenUsage: Histogram;
  duration: Histogram;
  firstChunk: Histogram;
  perChunk: Histogram;
}

/**
 * The histograms of one meter provider. `v141Inference: false` (the latest conventions only,
 * semconv-stability.ts): the v1.41.0 inference histograms are not created; the tool and agent
 * durations, one name in both, are.
 */
class Instruments {
  readonly inference: InferenceHistograms | undefined;
  readonly toolDuration: Histogram;
  readonly agentDuration: Histogram;

  constructor(provider: MeterProvider, v141Inference: boolean) {
    const meter = provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const seconds = (name: string, description: string) =>
      meter.createHistogram(name, {
        unit: "s",
        description,
        advice: { explicitBucketBoundaries: S.DURATION_BUCKETS },
      });
    if (v141Inference)
      this.inference = {
        tokenUsage: meter.createHistogram(S.METRIC_TOKEN_USAGE, {
          unit: "{token}",
          description: "Number of input and output tokens used.",
          advice: { explicitBucketBoundaries: S.TOKEN_USAGE_BUCKETS },
        }),
        duration: seconds(S.METRIC_OPERATION_DURATION, "GenAI operation duration."),
        firstChunk: seconds(
          S.METRIC_TIME_TO_FIRST_CHUNK,
          "Time to receive the first chunk of a streaming response.",
        ),
        perChunk: seconds(
          S.METRIC_TIME_PER_OUTPUT_CHUNK,
          "Time between consecutive chunks of a streaming response, after the first.",
        ),
      };
    this.toolDuration = seconds(S.METRIC_EXECUTE_TOOL_DURATION, "Duration of a tool execution.");
    this.agentDuration = meter.createHistogram(S.METRIC_INVOKE_AGENT_DURATION, {
      unit: "s",
      description: "Duration of an agent invocation.",
      advice: { explicitBucketBoundaries: AGENT_DURATION_BUCKETS },
    });
  }
}

/**
 * Instruments of the handler's meter provider; without one, of the global provider, looked up
 * when a run records (once per finished run, not per token): a handler built before the app's
 * `NodeSDK.start()` (import order) still records into the provider registered later, like log
 * records do. The instruments are rebuilt only when the global provider changed.
 */
export class ProviderBound<T> {
  private provider: MeterProvider | undefined;
  private instruments: T | undefined;

  constructor(
    private readonly fixed: MeterProvider | undefined,
    private readonly build: (provider: MeterProvider) => T,
  ) {
    if (fixed) this.instruments = build(fixed);
  }

  /** The current instruments; undefined when the provider failed to create them. */
  current(): T | undefined {
    if (this.fixed) return this.instruments;
    const provider = metricsApi.getMeterProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      try {
        this.instruments = this.build(provider);
      } catch {
        this.instruments = undefined;
      }
    }
    return this.instruments;
  }
}

/** The v1.41.0 histograms (and the tool and agent durations of both), on {@link ProviderBound}. */
export class GenAiMetrics {
  private readonly instruments: ProviderBound<Instruments>;
  private readonly tokenAttributeCache = new WeakMap<
    Attributes,
    readonly [Attributes, Attributes]
  >();

  /**
   * @param provider the meter provider; `undefined` = the global one, looked up per record.
   * @param v141Inference `false` when only the latest conventions are emitted (no v1.41.0
   *   inference histograms).
   */
  constructor(provider: MeterProvider | undefined, v141Inference = true) {
    this.instruments = new ProviderBound(provider, (p) => new Instruments(p, v141Inference));
  }

  /**
   * One model call: duration always (failed calls too), tokens only when the provider reported
   * them.
   */
  recordInference(m: InferenceMetricInput): void {
    const i = this.instruments.current()?.inference;
    if (i === undefined) return;
    i.duration.record(m.durationS, m.attributes);
    this.recordTokens(i, m);
  }

  /**
   * A cancelled call: no duration (it did not complete), but the tokens it reported and its time to
   * first chunk.
   */
  recordTokensAndFirstChunk(m: Omit<InferenceMetricInput, "durationS">): void {
    const i = this.instruments.current()?.inference;
    if (i !== undefined) this.recordTokens(i, m);
  }

  private recordTokens(i: InferenceHistograms, m: Omit<InferenceMetricInput, "durationS">): void {
    const a = m.attributes;
    if (m.inputTokens !== undefined || m.outputTokens !== undefined) {
      const [input, output] = this.tokenAttributes(a);
      if (m.inputTokens !== undefined) i.tokenUsage.record(m.inputTokens, input);
      if (m.outputTokens !== undefined) i.tokenUsage.record(m.outputTokens, output);
    }
    if (m.timeToFirstChunkS !== undefined) i.firstChunk.record(m.timeToFirstChunkS, a);
  }

  /** `attributes` plus `gen_ai.token.type`, built once per (shared, frozen) attributes object. */
  private tokenAttributes(attributes: Attributes): readonly [Attributes, Attributes] {
    let pair = this.tokenAttributeCache.get(attributes);
    if (pair === undefined) {
      pair = [
        { ...attributes, [S.ATTR_GEN_AI_TOKEN_TYPE]: "input" },
        { ...attributes, [S.ATTR_GEN_AI_TOKEN_TYPE]: "output" },
      ];
      if (Object.isFrozen(attributes)) this.tokenAttributeCache.set(attributes, pair);
    }
    return pair;
  }

  /** Streaming only: one point per chunk after the first, the time since the previous chunk. */
  recordChunkIntervals(intervalsMs: readonly number[], attributes: Attributes): void {
    const i = this.instruments.current()?.inference;
    if (i !== undefined) for (const ms of intervalsMs) i.perChunk.record(ms / 1000, attributes);
  }

  /** One tool execution (attributes from metric-attributes.ts). */
  recordTool(durationS: number, attributes: Attributes): void {
    this.instruments.current()?.toolDuration.record(durationS, attributes);
  }

  /** One agent invocation (attributes from metric-attributes.ts). */
  recordAgent(durationS: number, attributes: Attributes): void {
    this.instruments.current()?.agentDuration.record(durationS, attributes);
  }
}
