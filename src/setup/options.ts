/**
 * The options of `setupTelemetry()` and the configuration they resolve to (types only; the
 * resolution is in `config.ts`).
 */
import type { OpenTelemetryCallbackHandlerOptions } from "../handler/options.js";

/** One of the three OpenTelemetry signals. */
export type Signal = "traces" | "metrics" | "logs";

/** The OTLP/HTTP encodings supported. */
export type OtlpProtocol = "http/json" | "http/protobuf";

/** The payload compressions supported. */
export type OtlpCompression = "gzip" | "none";

/** Options for one signal (`traces`, `metrics` or `logs`) in {@link SetupTelemetryOptions}. */
export interface SignalOptions<TExporter = unknown> {
  /**
   * Base URL of an OTLP/HTTP receiver; `/v1/traces`, `/v1/metrics` or `/v1/logs` is appended,
   * keeping any base path (`http://prometheus:9090/api/v1/otlp` becomes
   * `http://prometheus:9090/api/v1/otlp/v1/metrics`). Like `OTEL_EXPORTER_OTLP_ENDPOINT`.
   * Mutually exclusive with {@link SignalOptions.url}.
   */
  endpoint?: string;
  /**
   * Complete URL used as-is, nothing appended (Thanos Receive: `http://thanos-receive:19291/api/v1/otlp`).
   * Like `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`. Mutually exclusive with {@link SignalOptions.endpoint}.
   */
  url?: string;
  /**
   * HTTP headers sent with this signal's exports only (e.g. `{ "X-Scope-OrgID": "tenant" }`).
   * When set, they replace the top-level `headers` and every `OTEL_EXPORTER_OTLP_*HEADERS`
   * variable for this signal.
   */
  headers?: Record<string, string>;
  /** Encoding: `"http/json"` (default) or `"http/protobuf"`. `grpc` is not supported. */
  protocol?: OtlpProtocol;
  /** Export request timeout in milliseconds (an integer > 0), retries included. Default: 10000. */
  timeoutMillis?: number;
  /** Payload compression: `"none"` (default) or `"gzip"`. */
  compression?: OtlpCompression;
  /**
   * A ready exporter instance to use instead of the OTLP/HTTP one (`SpanExporter`,
   * `PushMetricExporter` or `LogRecordExporter`). The URL/header options above are then ignored.
   */
  exporter?: TExporter;
}

/**
 * Options of `setupTelemetry()`. Every field is optional; everything can also come from the
 * standard `OTEL_*` environment variables, and an explicit option always wins over the environment.
 */
export interface SetupTelemetryOptions {
  /** `service.name` of the resource. Default: `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, then `unknown_service:node`. */
  serviceName?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES` (these win). */
  resourceAttributes?: Record<string, string>;
  /** Base URL for every signal that sets neither its own `endpoint` nor `url`. `/v1/<signal>` is appended. */
  endpoint?: string;
  /** Headers for every signal that does not set its own `headers`. */
  headers?: Record<string, string>;
  /** Encoding for every signal that does not set its own. Default: `"http/json"`. */
  protocol?: OtlpProtocol;
  /** Export timeout in milliseconds (an integer > 0) for every signal that does not set its own. Default: 10000. */
  timeoutMillis?: number;
  /** Compression for every signal that does not set its own. Default: `"none"`. */
  compression?: OtlpCompression;
  /** Traces: options, or `false` to send no traces. */
  traces?: SignalOptions | false;
  /** Metrics: options, or `false` to send no metrics. */
  metrics?: SignalOptions | false;
  /** Logs: options, or `false` to send no log records. */
  logs?: SignalOptions | false;
  /**
   * Use simple (export-immediately) processors instead of batching, for scripts and short jobs.
   * Metrics are still collected periodically. Default: `false`.
   */
  disableBatch?: boolean;
  /**
   * Attach the handler to every LangChain run in the process through LangChain's configure hook
   * (see `registerGlobalHandler`). Must run before servers are created. Default: `true`.
   */
  global?: boolean;
  /**
   * Record prompts, completions, tool arguments/results and chain inputs/outputs. Default:
   * `false`, or `true` when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.
   */
  captureContent?: boolean;
  /**
   * Further options of the `OpenTelemetryCallbackHandler` that setupTelemetry creates (content
   * length, run timeout, metadata keys on metrics, ...). The providers are always setupTelemetry's own.
   */
  handlerOptions?: Omit<
    OpenTelemetryCallbackHandlerOptions,
    "tracerProvider" | "meterProvider" | "loggerProvider"
  >;
  /** Interval between metric exports, in milliseconds (an integer > 0). Default: `OTEL_METRIC_EXPORT_INTERVAL`, then 60000. */
  metricExportIntervalMillis?: number;
  /**
   * Bound of each batch queue (spans, log records) before records are dropped (drops are counted
   * and warned about once). An integer > 0. Default: 2048.
   */
  maxQueueSize?: number;
  /**
   * Upper bound of `shutdown()`, in milliseconds (an integer > 0): it returns by then whatever the
   * endpoints do, and warns what could not be delivered. Default: 5000.
   */
  shutdownTimeoutMillis?: number;
  /**
   * Right after setup, send one empty OTLP export request (valid, stores nothing) to each
   * configured endpoint and warn, per signal, about a 404, 401/403, refused connection, TLS or
   * DNS problem. Never blocks or throws. Default: `true`, unless
   * `LANGCHAIN_OPENTELEMETRY_STARTUP_CHECK=false`.
   */
  startupCheck?: boolean;
  /** Flush and shut down on the process's `beforeExit` (normal end of the event loop). Default: `true`. */
  flushOnExit?: boolean;
  /**
   * Where warnings go (export failures, dropped records, a second call with other options, an
   * already-registered SDK). Default: `console.warn` with a `[langchain-opentelemetry]` prefix.
   */
  onWarning?: (message: string) => void;
}

/** Everything decided for one signal. */
export interface ResolvedSignalConfig {
  signal: Signal;
  /** `false` when turned off (option `false`, `OTEL_<SIGNAL>_EXPORTER=none`, `OTEL_SDK_DISABLED=true`). */
  enabled: boolean;
  /** `console` = the embedded default (no endpoint anywhere); `custom` = exporter instance given. */
  mode: "otlp" | "console" | "custom";
  /** Final URL (endpoint + `/v1/<signal>`, or url as-is). Set when `mode === "otlp"`. */
  url?: string;
  /** Only this signal's headers. */
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  timeoutMillis: number;
  compression: OtlpCompression;
  /** The instance when `mode === "custom"`. */
  exporter?: unknown;
}

/** Everything decided by {@link resolveTelemetryConfig}. */
export interface ResolvedTelemetryConfig {
  serviceName: string;
  /** Resource attributes from `OTEL_RESOURCE_ATTRIBUTES` and options, `service.name` included. */
  resourceAttributes: Record<string, string>;
  disableBatch: boolean;
  traces: ResolvedSignalConfig;
  metrics: ResolvedSignalConfig;
  logs: ResolvedSignalConfig;
  /** Interval of the periodic metric reader, in milliseconds. */
  metricExportIntervalMillis: number;
  /** Bound of `shutdown()`, in milliseconds. */
  shutdownTimeoutMillis: number;
  /** Whether the startup endpoint check runs. */
  startupCheck: boolean;
  /**
   * What setup reports once, at startup: invalid environment values (ignored, as the
   * OpenTelemetry specification prescribes), environment variables shadowed by options in code,
   * endpoints whose path will be doubled. Redacted.
   */
  warnings: readonly string[];
  /** The invalid environment values among `warnings` (the doctor exits 2 for them). */
  invalidEnvironment: readonly string[];
}
