/**
 * Kit for the LangGraph agent tests: a scripted tool-calling chat model (tool calls, token usage,
 * streamed chunks with real delays, failures) that `createAgent` and `createReactAgent` accept,
 * and a handler wired to in-memory spans, log records and metrics.
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  BaseChatModel,
  type BaseChatModelParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import {
  OpenTelemetryCallbackHandler,
  type OpenTelemetryCallbackHandlerOptions,
} from "langchain-opentelemetry";

/** One scripted model turn. */
export interface Turn {
  text?: string;
  toolCalls?: { name: string; args: Record<string, unknown>; id: string }[];
  inputTokens?: number;
  outputTokens?: number;
  /** Streaming: chunks of `text`, each after a real `delayMs` wait. */
  chunks?: string[];
  delayMs?: number;
  error?: Error;
}

/** A chat model answering from a script shared by every `bindTools` copy (so an agent's loop walks the script). */
export class AgentScriptModel extends BaseChatModel {
  private readonly script: { turns: Turn[]; next: number };

  constructor(turns: Turn[] | { turns: Turn[]; next: number }, params: BaseChatModelParams = {}) {
    super(params);
    this.script = Array.isArray(turns) ? { turns, next: 0 } : turns;
  }

  _llmType(): string {
    return "agent-script";
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return { ...super.getLsParams(options), ls_provider: "openai", ls_model_name: "gpt-test" };
  }

  override invocationParams(): Record<string, unknown> {
    return { model: "gpt-test" };
  }

  override bindTools(): this {
    return new AgentScriptModel(this.script) as this;
  }

  private take(): Turn {
    const t = this.script.turns[Math.min(this.script.next, this.script.turns.length - 1)];
    this.script.next++;
    return t;
  }

  private fields(t: Turn) {
    const usage_metadata =
      t.inputTokens !== undefined
        ? {
            input_tokens: t.inputTokens,
            output_tokens: t.outputTokens ?? 0,
            total_tokens: t.inputTokens + (t.outputTokens ?? 0),
          }
        : undefined;
    const tool_calls = t.toolCalls?.map((c) => ({ ...c, type: "tool_call" as const }));
    return {
      usage_metadata,
      tool_calls,
      response_metadata: {
        model_name: "gpt-test-1",
        finish_reason: tool_calls?.length ? "tool_calls" : "stop",
      },
    };
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    const t = this.take();
    if (t.delayMs) await sleep(t.delayMs);
    if (t.error) throw t.error;
    const text = t.text ?? "";
    return {
      generations: [{ text, message: new AIMessage({ content: text, ...this.fields(t) }) }],
    };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const t = this.take();
    for (const text of t.chunks ?? [t.text ?? ""]) {
      if (t.delayMs) await sleep(t.delayMs);
      options.signal?.throwIfAborted();
      const chunk = new ChatGenerationChunk({
        text,
        message: new AIMessageChunk({ content: text }),
      });
      await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, {
        chunk,
      });
      yield chunk;
    }
    if (t.error) throw t.error;
    const f = this.fields(t);
    const last = new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: f.usage_metadata,
        response_metadata: f.response_metadata,
        tool_call_chunks: [],
      }),
    });
    await runManager?.handleLLMNewToken("", undefined, undefined, undefined, undefined, {
      chunk: last,
    });
    yield last;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A metric point, simplified: attributes, count, sum. */
export interface Point {
  attributes: Record<string, unknown>;
  count: number;
  sum: number;
}

/** One collected metric (see `telemetry().metrics()`); a counter's point has count 1 and its value as sum. */
export interface CollectedMetric {
  unit: string;
  /** `HISTOGRAM`, `SUM`, ... */
  type: string;
  points: Point[];
}

/** A handler on in-memory spans, logs and metrics. */
export function telemetry(options: OpenTelemetryCallbackHandlerOptions = {}) {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const handler = new OpenTelemetryCallbackHandler({
    tracerProvider,
    loggerProvider,
    meterProvider,
    ...options,
  });
  return {
    handler,
    spans: (): ReadableSpan[] => spanExporter.getFinishedSpans(),
    records: (eventName?: string): ReadableLogRecord[] => {
      const all = logExporter.getFinishedLogRecords();
      return eventName ? all.filter((r) => r.eventName === eventName) : all;
    },
    /** Points of one histogram (empty when it has none). */
    points: async (metric: string): Promise<Point[]> => {
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics)
          if (m.descriptor.name === metric)
            return (m as HistogramMetricData).dataPoints.map((p) => ({
              attributes: { ...p.attributes },
              count: p.value.count,
              sum: p.value.sum ?? 0,
            }));
      return [];
    },
    /** Every metric collected: its unit, its data point type, and its points (counters: the sum). */
    metrics: async (): Promise<Record<string, CollectedMetric>> => {
      const { resourceMetrics } = await reader.collect();
      const out: Record<string, CollectedMetric> = {};
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics)
          out[m.descriptor.name] = {
            unit: m.descriptor.unit,
            type: DataPointType[m.dataPointType]!,
            points: (m.dataPoints as { attributes: object; value: unknown }[]).map((p) => {
              const v = p.value as number | { count: number; sum?: number };
              return typeof v === "number"
                ? { attributes: { ...p.attributes }, count: 1, sum: v }
                : { attributes: { ...p.attributes }, count: v.count, sum: v.sum ?? 0 };
            }),
          };
      return out;
    },
    reset: () => {
      spanExporter.reset();
      logExporter.reset();
    },
    shutdown: async () => {
      await handler.shutdown();
      await Promise.all([
        tracerProvider.shutdown(),
        loggerProvider.shutdown(),
        meterProvider.shutdown(),
      ]);
    },
  };
}

export const INFERENCE_DETAILS = "gen_ai.client.inference.operation.details";
export const OPERATION_DETAILS = "gen_ai.client.operation.details";
export const EXCEPTION = "gen_ai.client.operation.exception";

/** A record as `event severityText body`, for exact lists; durations (real time) read `N s`. */
export function line(r: ReadableLogRecord): string {
  return `${r.eventName} ${r.severityText} ${String(r.body).replace(/\d+\.\d+ s/g, "N s")}`;
}

/** The span a record was emitted in. */
export function recordSpanId(r: ReadableLogRecord): string | undefined {
  return r.spanContext?.spanId;
}
