import type { Attributes, MeterProvider, TracerProvider } from "@opentelemetry/api";
import type { LoggerProvider, SeverityNumber } from "@opentelemetry/api-logs";
import type { GenAiSemconv } from "./semconv-stability.js";

/** Default of `maxContentLength`, for the handler and the annotations alike. */
export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;

/**
 * Default of `captureContent`: whether `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is
 * `true` (case and surrounding spaces ignored). `false` where the environment cannot be read.
 */
export function captureContentFromEnv(): boolean {
  try {
    return (
      process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() ===
      "true"
    );
  } catch {
    return false;
  }
}

/** Options of {@link OpenTelemetryCallbackHandler}. Every field is optional. */
export interface OpenTelemetryCallbackHandlerOptions {
  /** Tracer provider for the spans. Default: the global one (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Meter provider for the GenAI histograms. Default: the global one. */
  meterProvider?: MeterProvider;
  /**
   * Logger provider for the GenAI log records. Default: the global one, looked up at emit time in
   * `@opentelemetry/api-logs` (OpenTelemetry JS 2.x) and then in `@opentelemetry/api` >= 1.10
   * (3.x).
   */
  loggerProvider?: LoggerProvider;
  /**
   * Record prompts, completions, tool arguments/results, retrieved documents and chain
   * inputs/outputs. Default: `false`, or `true` when the environment variable
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is `true`.
   */
  captureContent?: boolean;
  /**
   * Maximum length, in characters, of one captured content value (a JSON string attribute or a
   * log record's structured content). Longer content is truncated and stays valid JSON.
   * Default: 16384.
   */
  maxContentLength?: number;
  /**
   * A run that has not ended after this many milliseconds is ended with status ERROR and
   * `error.type = "incomplete"` (a consumer broke out of `.stream()`, an abort, a crash).
   * Default: 600000 (10 minutes). `0` disables the timer (the cap below still applies).
   */
  runTimeoutMs?: number;
  /**
   * Hard cap on runs open at once; past it the oldest open run is ended as incomplete. Default:
   * 10000.
   */
  maxOpenRuns?: number;
  /**
   * Record LangGraph internals tagged `langsmith:hidden` (`__start__`, routing lambdas). Default:
   * `false`.
   */
  showHiddenRuns?: boolean;
  /**
   * While a run executes, its span is OpenTelemetry's active context: spans made inside it (the
   * provider's HTTP/fetch call under `chat ...`, your own spans and instrumented calls in a tool,
   * retriever, lambda or LangGraph node) are its children. Done by wrapping a few LangChain methods
   * once per `@langchain/core` copy (undone when the last handler shuts down). `false`: nothing is
   * wrapped, and such spans are children of the span active when the LangChain call started.
   * Default: `true`.
   */
  runContext?: boolean;
  /**
   * When a model's provider client is instrumented itself (`@opentelemetry/instrumentation-openai`
   * with `openai` < 7, or any instrumentation that wraps the `openai` client's `create`), that
   * instrumentation records the call's `gen_ai.client.operation.duration` and
   * `gen_ai.client.token.usage` points: the handler then records none for that call (its span gets
   * `langchain.client_instrumented=true`; time to first chunk and per-chunk points stay ours), so
   * dashboards count each call once. `false`: record them anyway. Needs `runContext` (the wrapper
   * sees the model instance). Default: `true`.
   */
  dedupeClientMetrics?: boolean;
  /** Record the GenAI histograms. Default: `true`. */
  metrics?: boolean;
  /** Emit GenAI log records. Default: `true`. */
  logs?: boolean;
  /** Minimum severity of the log records emitted. Default: `SeverityNumber.INFO`. */
  logMinSeverity?: SeverityNumber;
  /**
   * Which GenAI semantic conventions to emit: `"v1.41"` (the conventions v1.41.0), `"latest"` (the
   * latest standalone GenAI conventions instead: new metric names, token counters, workflow and
   * agent call metrics, `cache_write`), or `"dual"` (both, for migrating dashboards). Default:
   * from `OTEL_SEMCONV_STABILITY_OPT_IN`: `gen_ai_latest_experimental` gives `"latest"`,
   * `gen_ai_latest_experimental/dup` (ours) gives `"dual"`; otherwise `"v1.41"`.
   */
  genAiSemconv?: GenAiSemconv;
  /**
   * Run-metadata keys copied onto metrics as attributes (metrics carry no user metadata unless a
   * key is listed here, to keep cardinality bounded). Default: none.
   */
  metricMetadataKeys?: readonly string[];
  /**
   * The resource attributes of the logger provider, counted in each log record's budget: Loki
   * stores them as structured metadata of every line (at most 128 entries and 64 KiB per line), so
   * a record leaves them room. `setupTelemetry()` passes its resource's. Default: none counted.
   */
  logResourceAttributes?: Attributes;
  /**
   * Where the handler's warnings go (attributes dropped to fit a log record into its budget:
   * the first time, then a count at `shutdown()`). Default: `console.warn` with a
   * `[langchain-opentelemetry]` prefix; `setupTelemetry()` passes its own `onWarning`.
   */
  onWarning?: (message: string) => void;
}

/** The handler's options with their defaults applied (numbers floored and clamped). */
export interface ResolvedOptions {
  captureContent: boolean;
  maxContentLength: number;
  runTimeoutMs: number;
  maxOpenRuns: number;
  showHiddenRuns: boolean;
  metricMetadataKeys: readonly string[];
}

export function resolveOptions(options: OpenTelemetryCallbackHandlerOptions): ResolvedOptions {
  return {
    captureContent: options.captureContent ?? captureContentFromEnv(),
    maxContentLength: Math.max(64, finiteOr(options.maxContentLength, DEFAULT_MAX_CONTENT_LENGTH)),
    runTimeoutMs: Math.max(0, finiteOr(options.runTimeoutMs, 600_000)),
    maxOpenRuns: Math.max(1, finiteOr(options.maxOpenRuns, 10_000)),
    showHiddenRuns: options.showHiddenRuns ?? false,
    metricMetadataKeys: options.metricMetadataKeys ?? [],
  };
}

/**
 * A numeric option: finite numbers floored, anything else (NaN, Infinity, a string) the
 * default, so the cap always holds.
 */
function finiteOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : fallback;
}
