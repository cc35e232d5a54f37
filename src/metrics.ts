/**
 * The GenAI client histograms of the semantic conventions v1.41.0 (gen-ai-metrics.md), with the
 * advisory bucket boundaries the conventions give, plus tool and agent durations that the
 * conventions' development branch is adding (documented as ahead of the release).
 */
import type { Attributes, Histogram, MeterProvider } from "@opentelemetry/api";
import * as S from "./semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./version.js";

/** Attributes shared by every point of one model call. */
export interface InferenceMetricInput {
  attributes: Attributes;
  durationS: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Streaming only. */
  timeToFirstChunkS?: number;
}

export class GenAiMetrics {
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly firstChunk: Histogram;
  private readonly perChunk: Histogram;
  private readonly toolDuration: Histogram;
  private readonly agentDuration: Histogram;

  constructor(provider: MeterProvider) {
    const meter = provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    this.tokenUsage = meter.createHistogram(S.METRIC_TOKEN_USAGE, {
      unit: "{token}",
      description: "Number of input and output tokens used.",
      advice: { explicitBucketBoundaries: S.TOKEN_USAGE_BUCKETS },
    });
    const seconds = (name: string, description: string) =>
      meter.createHistogram(name, { unit: "s", description, advice: { explicitBucketBoundaries: S.DURATION_BUCKETS } });
    this.duration = seconds(S.METRIC_OPERATION_DURATION, "GenAI operation duration.");
    this.firstChunk = seconds(S.METRIC_TIME_TO_FIRST_CHUNK, "Time to receive the first chunk of a streaming response.");
    this.perChunk = seconds(S.METRIC_TIME_PER_OUTPUT_CHUNK, "Time between consecutive chunks of a streaming response, after the first.");
    this.toolDuration = seconds(S.METRIC_EXECUTE_TOOL_DURATION, "Duration of a tool execution.");
    this.agentDuration = seconds(S.METRIC_INVOKE_AGENT_DURATION, "Duration of an agent invocation.");
  }

  /** One model call: duration always (failed calls too), tokens only when the provider reported them. */
  recordInference(m: InferenceMetricInput): void {
    const a = m.attributes;
    this.duration.record(m.durationS, a);
    if (m.inputTokens !== undefined) this.tokenUsage.record(m.inputTokens, { ...a, [S.ATTR_GEN_AI_TOKEN_TYPE]: "input" });
    if (m.outputTokens !== undefined) this.tokenUsage.record(m.outputTokens, { ...a, [S.ATTR_GEN_AI_TOKEN_TYPE]: "output" });
    if (m.timeToFirstChunkS !== undefined) this.firstChunk.record(m.timeToFirstChunkS, a);
  }

  /** Streaming only: one point per chunk after the first, the time since the previous chunk. */
  recordChunkIntervals(intervalsMs: readonly number[], attributes: Attributes): void {
    for (const ms of intervalsMs) this.perChunk.record(ms / 1000, attributes);
  }

  recordTool(durationS: number, attributes: Attributes): void {
    this.toolDuration.record(durationS, attributes);
  }

  recordAgent(durationS: number, attributes: Attributes): void {
    this.agentDuration.record(durationS, attributes);
  }
}
