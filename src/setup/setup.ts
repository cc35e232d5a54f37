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
 * Shortly after setup, an empty export request per configured endpoint (valid OTLP, stores
 * nothing) finds a wrong path, a missing tenant header or nothing listening within seconds
 * (`startup-check.ts`), instead of at the first export (for metrics, a minute later).
 *
 * `shutdown()` is bounded (`shutdownTimeoutMillis`, default 5 s) whatever the endpoints do, and
 * says what could not be delivered.
 *
 * Exit: pending telemetry is flushed on `beforeExit` (the event loop emptied: a script ending
 * normally). `process.exit()`, an uncaught exception and signals (SIGTERM, SIGINT) skip
 * `beforeExit`; no signal handler is installed (that would change how the app exits), so servers
 * should `await telemetry.shutdown()` in their own SIGTERM handler, and serverless functions
 * should `await telemetry.forceFlush()` before returning.
 */
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { LoggerProvider } from "@opentelemetry/sdk-logs";
import {
  resolveTelemetryConfig,
  type ResolvedTelemetryConfig,
  type SetupTelemetryOptions,
} from "./config.js";
import { consoleWarningSink, safeWarn, type WarningSink } from "./export-diagnostics.js";
import { registerGlobals } from "./globals.js";
import { buildPipeline, type Pipeline } from "./pipeline.js";
import { undeliveredReport } from "./shutdown-report.js";
import { startEndpointCheck } from "./startup-check.js";
// The core through the package's own name (external in the build): one copy of the handler and of
// its context keys, whether an app imports the root, the setup entry, or both.
import {
  OpenTelemetryCallbackHandler,
  registerGlobalHandler,
  setWarningSink,
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
   * globals registered by `setupTelemetry()`. Idempotent; never rejects. Returns within
   * `shutdownTimeoutMillis` (default 5000 ms) whatever the endpoints do, with one warning saying
   * what could not be delivered (failed exports, exports still in flight, records still queued or
   * dropped). A later `setupTelemetry()` call builds a new pipeline.
   */
  shutdown(): Promise<void>;
}

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
 * @throws TelemetryConfigError when an option given in code is invalid (the message names it): a
 * programming error, seen on the first run. Environment values never throw: an invalid one is
 * warned about through `onWarning` and ignored, as the OpenTelemetry specification prescribes.
 * Nothing else throws.
 */
export function setupTelemetry(options: SetupTelemetryOptions = {}): TelemetryHandle {
  if (active) return again(active, options);
  const config = resolveTelemetryConfig(options, process.env);
  const warn = options.onWarning ?? consoleWarningSink;
  // Invalid environment values (ignored), shadowed variables, doubled paths: once, at setup.
  for (const warning of config.warnings) safeWarn(warn, warning);
  const pipeline = buildPipeline(config, options.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE, warn);
  const { tracerProvider, meterProvider, loggerProvider } = pipeline;
  const releaseGlobals = registerGlobals(tracerProvider, meterProvider, loggerProvider, warn);

  const handlerOptions = options.handlerOptions ?? {};
  const handler = new OpenTelemetryCallbackHandler({
    ...handlerOptions,
    tracerProvider,
    meterProvider,
    loggerProvider,
    ...(options.captureContent !== undefined ? { captureContent: options.captureContent } : {}),
    // Every line carries the resource: the log record budget leaves it room.
    logResourceAttributes: pipeline.resource.attributes,
    onWarning: handlerOptions.onWarning ?? warn,
    // A signal that is off costs nothing: the handler does not even build its records.
    metrics: config.metrics.enabled && handlerOptions.metrics !== false,
    logs: config.logs.enabled && handlerOptions.logs !== false,
  });
  const detach = options.global === false ? undefined : registerGlobalHandler(handler);
  // Association properties dropped by withAssociationProperties() are warned through onWarning too.
  const restoreSink = setWarningSink((message) => safeWarn(warn, message));
  const stopCheck = config.startupCheck ? startEndpointCheck(config, pipeline.trackers) : undefined;

  const lifecycle = new Lifecycle(
    config,
    pipeline,
    warn,
    handler,
    () => {
      process.removeListener("beforeExit", onBeforeExit);
      if (active?.handle === handle) active = undefined;
      stopCheck?.();
      restoreSink();
      try {
        detach?.();
      } catch {}
    },
    releaseGlobals,
  );
  const onBeforeExit = (): void => {
    void lifecycle.shutdown();
  };
  const handle: TelemetryHandle = {
    handler,
    tracerProvider,
    meterProvider,
    loggerProvider,
    config,
    forceFlush: () => lifecycle.forceFlush(),
    shutdown: () => lifecycle.shutdown(),
  };
  if (options.flushOnExit !== false) process.on("beforeExit", onBeforeExit);
  active = { handle, options, warn };
  return handle;
}

/** A second call while a pipeline runs: the same handle, with a warning if the options differ. */
function again(current: ActiveSetup, options: SetupTelemetryOptions): TelemetryHandle {
  // onWarning is left out of the comparison: an inline arrow is a new function on every call.
  if (
    !sameOptions({ ...current.options, onWarning: undefined }, { ...options, onWarning: undefined })
  ) {
    safeWarn(
      options.onWarning ?? current.warn,
      "setupTelemetry() was called again with different options; the first call's pipeline stays in force and its handle is returned. Call shutdown() on it first to reconfigure.",
    );
  }
  return current.handle;
}

/** forceFlush and shutdown of one pipeline, each bounded in time. */
class Lifecycle {
  private shutdownPromise: Promise<void> | undefined;
  private readonly providers: ReadonlyArray<{
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
  }>;

  constructor(
    private readonly config: ResolvedTelemetryConfig,
    private readonly pipeline: Pipeline,
    private readonly warn: WarningSink,
    private readonly handler: OpenTelemetryCallbackHandler,
    private readonly detach: () => void,
    private readonly releaseGlobals: () => void,
  ) {
    this.providers = [pipeline.tracerProvider, pipeline.meterProvider, pipeline.loggerProvider];
  }

  async forceFlush(): Promise<void> {
    // An OTLP exporter gives up within its timeout, but a custom exporter that never calls back
    // would hold a flush for the batch processor's own 30 s, and a simple processor's forever.
    const { traces, metrics, logs } = this.config;
    const limit =
      2 * Math.max(traces.timeoutMillis, metrics.timeoutMillis, logs.timeoutMillis) + 1000;
    // Failures were already reported by the trackers; a rejected flush must not reach the app.
    const done = await within(limit, Promise.allSettled(this.providers.map((p) => p.forceFlush())));
    if (!done) {
      safeWarn(
        this.warn,
        `forceFlush() did not finish within ${limit} ms (an exporter did not answer); returning without waiting for it.`,
      );
    }
  }

  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.shutdownOnce());
  }

  private async shutdownOnce(): Promise<void> {
    const bound = this.config.shutdownTimeoutMillis;
    this.detach();
    const work = (async () => {
      try {
        await this.handler.shutdown();
      } catch {}
      await Promise.allSettled(this.providers.map((p) => p.shutdown()));
    })();
    const done = await within(bound, work);
    const { trackers, bounds } = this.pipeline;
    for (const t of trackers) t.summarize();
    for (const b of bounds) b.summarize();
    const report = undeliveredReport(trackers, bounds, done ? undefined : bound);
    if (report) safeWarn(this.warn, report);
    this.releaseGlobals();
  }
}

/** `true` when `work` settled within `millis`; never waits longer (the timer does not hold the process). */
async function within(millis: number, work: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), millis);
    timer.unref?.();
  });
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
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
