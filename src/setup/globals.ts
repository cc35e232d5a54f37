/**
 * The OpenTelemetry globals `setupTelemetry()` registers, each only while it is still free: an
 * app that registered its own SDK first keeps it (one warning lists what was kept).
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
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { LoggerProvider } from "@opentelemetry/sdk-logs";
import { safeWarn, type WarningSink } from "./export-diagnostics.js";

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
export function registerGlobals(
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
