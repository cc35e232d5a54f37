/**
 * `setupTelemetry()`: one call at startup that sends traces, metrics and logs over OTLP, each to
 * its own endpoint with its own headers, and attaches the LangChain handler to every run.
 *
 * What it builds:
 * - a `NodeTracerProvider` (registered as the global one, with the AsyncLocalStorage context
 *   manager and the W3C trace-context + baggage propagators);
 * - a `MeterProvider` with a `PeriodicExportingMetricReader` (CUMULATIVE temporality: Prometheus
 *   and Thanos reject delta);
 * - a `LoggerProvider`, registered in `@opentelemetry/api-logs` and, when the installed
 *   `@opentelemetry/api` has its own `logs` global (1.10+), there too;
 * - an `OpenTelemetryCallbackHandler` bound to these three providers, attached globally.
 *
 * An app that registered its own SDK first is never silently broken: each global that is already
 * taken (tracer provider, meter provider, logger provider, context manager, propagator) is left as
 * it is, with one warning; LangChain telemetry still flows through setupTelemetry's own providers
 * (the handler is bound to them, not to the globals) and its spans still nest under the app's
 * active spans, because the context API is shared.
 *
 * Exit: pending telemetry is flushed on `beforeExit` (the event loop emptied: a script ending
 * normally). `process.exit()`, an uncaught exception and signals (SIGTERM, SIGINT) skip
 * `beforeExit`; no signal handler is installed (that would change how the app exits), so servers
 * should `await telemetry.shutdown()` in their own SIGTERM handler, and serverless functions
 * should `await telemetry.forceFlush()` before returning.
 */
import * as otelApi from "@opentelemetry/api";
import { context, metrics, propagation, ProxyTracerProvider, trace } from "@opentelemetry/api";
import { logs as apiLogs } from "@opentelemetry/api-logs";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { defaultResource, resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import { NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { LoggerProvider, type LogRecordProcessor } from "@opentelemetry/sdk-logs";
import {
  resolveTelemetryConfig,
  type ResolvedSignalConfig,
  type ResolvedTelemetryConfig,
  type SetupTelemetryOptions,
} from "./config.js";
import { createConsoleExporters, type ConsoleExporters } from "./console-exporters.js";
import {
  createLogRecordProcessor,
  createMetricReader,
  createOtlpLogExporter,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
  createSpanProcessor,
} from "./exporters.js";
import {
  boundLogRecordProcessor,
  type AnyExporter,
  boundSpanProcessor,
  consoleWarningSink,
  ExportFailureTracker,
  QueueBound,
  safeWarn,
  withExportDiagnostics,
  type WarningSink,
} from "./export-diagnostics.js";
// The core through the package's own name (external in the build): one copy of the handler and of
// its context keys, whether an app imports the root, the setup entry, or both.
import {
  AssociationLogRecordProcessor,
  AssociationSpanProcessor,
  OpenTelemetryCallbackHandler,
  registerGlobalHandler,
} from "langchain-opentelemetry";

/** What `setupTelemetry()` returns. */
export interface TelemetryHandle {
  /** The LangChain callback handler bound to the providers below (already attached globally unless `global: false`). */
  readonly handler: OpenTelemetryCallbackHandler;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  /** The configuration in force (real URLs and headers, modes per signal); prints redacted (`console.log`, `JSON.stringify`). */
  readonly config: ResolvedTelemetryConfig;
  /**
   * Exports everything pending now. Never rejects: failures are reported as warnings. Returns
   * within twice the longest export timeout plus 1 s, even when an exporter never answers.
   */
  forceFlush(): Promise<void>;
  /**
   * Ends open runs, flushes, shuts the providers down, detaches the handler and releases the
   * globals registered by `setupTelemetry()`. Idempotent; never rejects; returns within twice the
   * longest export timeout plus 1 s, even when an exporter never answers. A later
   * `setupTelemetry()` call builds a new pipeline.
   */
  shutdown(): Promise<void>;
}

const DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS = 60_000;
const DEFAULT_MAX_QUEUE_SIZE = 2048;

interface ActiveSetup {
  handle: TelemetryHandle;
  options: SetupTelemetryOptions;
  warn: WarningSink;
}

let active: ActiveSetup | undefined;

/**
 * Sets up traces, metrics and logs over OTLP for LangChain (see the module description), or
 * prints them to the console when no endpoint is configured anywhere.
 *
 * Called again while the first pipeline is running: returns the same handle (no second
 * pipeline), with a warning if the options differ.
 *
 * @throws TelemetryConfigError when an option or environment variable is invalid (the message
 * names it). Nothing else throws.
 */
export function setupTelemetry(options: SetupTelemetryOptions = {}): TelemetryHandle {
  if (active) {
    // onWarning is left out of the comparison: an inline arrow is a new function on every call.
    if (
      !sameOptions(
        { ...active.options, onWarning: undefined },
        { ...options, onWarning: undefined },
      )
    ) {
      safeWarn(
        options.onWarning ?? active.warn,
        "setupTelemetry() was called again with different options; the first call's pipeline stays in force and its handle is returned. Call shutdown() on it first to reconfigure.",
      );
    }
    return active.handle;
  }

  const config = resolveTelemetryConfig(options, process.env);
  const warn = options.onWarning ?? consoleWarningSink;
  const maxQueueSize = options.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE;
  const resource: Resource = defaultResource().merge(
    resourceFromAttributes(config.resourceAttributes),
  );

  let consoleExporters: ConsoleExporters | undefined;
  const getConsole = (): ConsoleExporters => (consoleExporters ??= createConsoleExporters());
  const trackers: ExportFailureTracker[] = [];
  const bounds: QueueBound[] = [];
  const processorSettings = { disableBatch: config.disableBatch, maxQueueSize };

  /**
   * The signal's exporter (the instance given, the console one or OTLP), wrapped so its failures
   * are reported and, for a bounded queue, what it takes leaves the queue's accounting.
   */
  const diagnosedExporter = <T extends AnyExporter<never>>(
    cfg: ResolvedSignalConfig,
    fromConsole: (c: ConsoleExporters) => T,
    createOtlp: (cfg: ResolvedSignalConfig) => T,
    bound?: QueueBound,
  ): T => {
    const raw =
      cfg.mode === "custom"
        ? (cfg.exporter as T)
        : cfg.mode === "console"
          ? fromConsole(getConsole())
          : createOtlp(cfg);
    const tracker = new ExportFailureTracker({
      signal: cfg.signal,
      url: cfg.mode === "otlp" ? cfg.url : undefined,
      timeoutMillis: cfg.timeoutMillis,
      warn,
      secrets: Object.values(cfg.headers),
    });
    trackers.push(tracker);
    return withExportDiagnostics(raw, tracker, bound && ((n) => bound.handedOver(n)));
  };
  /** A bound in front of a batch queue (none for simple processors, which keep no queue). */
  const newBound = (cfg: ResolvedSignalConfig): QueueBound | undefined => {
    if (config.disableBatch) return undefined;
    const b = new QueueBound(cfg.signal, maxQueueSize, warn);
    bounds.push(b);
    return b;
  };

  // Traces
  // First: association properties (withAssociationProperties) reach every span started in
  // their scope, other instrumentations' spans included, before any exporter sees them.
  const spanProcessors: SpanProcessor[] = [new AssociationSpanProcessor()];
  if (config.traces.enabled) {
    const bound = newBound(config.traces);
    const exporter = diagnosedExporter(
      config.traces,
      (c) => c.spanExporter,
      createOtlpSpanExporter,
      bound,
    );
    const processor = createSpanProcessor(exporter, processorSettings);
    spanProcessors.push(bound ? boundSpanProcessor(processor, bound) : processor);
  }
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });

  // Metrics
  const readers = [];
  if (config.metrics.enabled) {
    const exporter = diagnosedExporter(
      config.metrics,
      (c) => c.metricExporter,
      createOtlpMetricExporter,
    );
    readers.push(
      createMetricReader(exporter, metricExportInterval(options), config.metrics.timeoutMillis),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  // Logs
  // First, for the same reason (a record is read-only once the processors after it saw it).
  const logProcessors: LogRecordProcessor[] = [new AssociationLogRecordProcessor()];
  if (config.logs.enabled) {
    const bound = newBound(config.logs);
    const exporter = diagnosedExporter(
      config.logs,
      (c) => c.logExporter,
      createOtlpLogExporter,
      bound,
    );
    const processor = createLogRecordProcessor(exporter, processorSettings);
    logProcessors.push(bound ? boundLogRecordProcessor(processor, bound) : processor);
  }
  const loggerProvider = new LoggerProvider({ resource, processors: logProcessors });

  const releaseGlobals = registerGlobals(tracerProvider, meterProvider, loggerProvider, warn);

  const handlerOptions = options.handlerOptions ?? {};
  const handler = new OpenTelemetryCallbackHandler({
    ...handlerOptions,
    tracerProvider,
    meterProvider,
    loggerProvider,
    ...(options.captureContent !== undefined ? { captureContent: options.captureContent } : {}),
    // A signal that is off costs nothing: the handler does not even build its records.
    metrics: config.metrics.enabled && handlerOptions.metrics !== false,
    logs: config.logs.enabled && handlerOptions.logs !== false,
  });
  const detach = options.global === false ? undefined : registerGlobalHandler(handler);

  const providers = [tracerProvider, meterProvider, loggerProvider];
  // An OTLP exporter gives up within its timeout, but a custom exporter that never calls back
  // would hold a flush for the batch processor's own 30 s, and a simple processor's forever.
  const waitLimitMillis =
    2 *
      Math.max(
        config.traces.timeoutMillis,
        config.metrics.timeoutMillis,
        config.logs.timeoutMillis,
      ) +
    1000;
  const settledWithin = async (what: string, work: Promise<unknown>): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), waitLimitMillis);
      timer.unref?.();
    });
    const timedOut = await Promise.race([work.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) {
      safeWarn(
        warn,
        `${what} did not finish within ${waitLimitMillis} ms (an exporter did not answer); returning without waiting for it.`,
      );
    }
  };
  const forceFlush = async (): Promise<void> => {
    // Failures were already reported by the trackers; a rejected flush must not reach the app.
    await settledWithin("forceFlush()", Promise.allSettled(providers.map((p) => p.forceFlush())));
  };

  let shutdownPromise: Promise<void> | undefined;
  const onBeforeExit = (): void => {
    void shutdown();
  };
  const shutdown = (): Promise<void> =>
    (shutdownPromise ??= (async () => {
      process.removeListener("beforeExit", onBeforeExit);
      if (active?.handle === handle) active = undefined;
      try {
        detach?.();
      } catch {}
      try {
        await handler.shutdown();
      } catch {}
      await settledWithin("shutdown()", Promise.allSettled(providers.map((p) => p.shutdown())));
      for (const t of trackers) t.summarize();
      for (const b of bounds) b.summarize();
      releaseGlobals();
    })());

  const handle: TelemetryHandle = {
    handler,
    tracerProvider,
    meterProvider,
    loggerProvider,
    config,
    forceFlush,
    shutdown,
  };
  if (options.flushOnExit !== false) process.on("beforeExit", onBeforeExit);
  active = { handle, options, warn };
  return handle;
}

function metricExportInterval(options: SetupTelemetryOptions): number {
  if (options.metricExportIntervalMillis !== undefined) return options.metricExportIntervalMillis;
  const fromEnv = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS;
}

/** The `logs` global of `@opentelemetry/api` >= 1.10 (3.x line), when the installed version has one. */
interface ApiLogsGlobal {
  setGlobalLoggerProvider(provider: unknown): unknown;
  getLoggerProvider(): unknown;
  disable(): void;
}

function apiLogsGlobal(): ApiLogsGlobal | undefined {
  const candidate = (otelApi as unknown as { logs?: ApiLogsGlobal }).logs;
  return candidate && typeof candidate.setGlobalLoggerProvider === "function"
    ? candidate
    : undefined;
}

/**
 * Registers each global that is still free; warns once, listing the ones the app already had.
 * Returns the function releasing exactly what was registered here.
 */
function registerGlobals(
  tracerProvider: NodeTracerProvider,
  meterProvider: MeterProvider,
  loggerProvider: LoggerProvider,
  warn: WarningSink,
): () => void {
  const kept: string[] = [];
  const release: Array<() => void> = [];

  // Checked before registering: a duplicate registration would also print a diag error.
  const noopTracerProvider = new ProxyTracerProvider().getDelegate();
  const currentTracer = trace.getTracerProvider();
  const tracerTaken =
    currentTracer instanceof ProxyTracerProvider
      ? currentTracer.getDelegate() !== noopTracerProvider
      : true;
  if (!tracerTaken && trace.setGlobalTracerProvider(tracerProvider)) {
    release.push(() => {
      if ((trace.getTracerProvider() as ProxyTracerProvider).getDelegate?.() === tracerProvider)
        trace.disable();
    });
  } else kept.push("TracerProvider");

  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  if (context.setGlobalContextManager(contextManager)) {
    release.push(() => {
      context.disable();
    });
  } else {
    contextManager.disable();
    kept.push("context manager");
  }

  if (
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    )
  ) {
    release.push(() => propagation.disable());
  } else kept.push("propagator");

  if (metrics.setGlobalMeterProvider(meterProvider)) {
    release.push(() => {
      if (metrics.getMeterProvider() === meterProvider) metrics.disable();
    });
  } else kept.push("MeterProvider");

  if (apiLogs.setGlobalLoggerProvider(loggerProvider) === loggerProvider) {
    release.push(() => {
      if (apiLogs.getLoggerProvider() === loggerProvider) apiLogs.disable();
    });
  } else kept.push("LoggerProvider (@opentelemetry/api-logs)");

  const apiLogsV110 = apiLogsGlobal();
  if (apiLogsV110) {
    // api 1.10 answers `true` on success (api-logs answers with the provider).
    const registered = apiLogsV110.setGlobalLoggerProvider(loggerProvider);
    if (registered === true || registered === loggerProvider) {
      release.push(() => {
        if (apiLogsV110.getLoggerProvider() === loggerProvider) apiLogsV110.disable();
      });
    } else kept.push("LoggerProvider (@opentelemetry/api logs)");
  }

  if (kept.length > 0) {
    safeWarn(
      warn,
      `an OpenTelemetry SDK is already registered in this process (global ${kept.join(", ")}). setupTelemetry() leaves it in place: ` +
        "LangChain telemetry goes through setupTelemetry's own providers and exporters (the handler is bound to them) and its spans " +
        "still nest under your app's active spans; your other instrumentation keeps using your SDK. To send LangChain telemetry " +
        "through your SDK instead, do not call setupTelemetry(): use registerGlobalHandler(new OpenTelemetryCallbackHandler()).",
    );
  }

  return () => {
    for (const r of release) {
      try {
        r();
      } catch {}
    }
  };
}

/** Deep equality of option objects; functions and class instances (exporters) by identity. */
function sameOptions(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameOptions(a[k], b[k]));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
