/**
 * The recorders of one handler, one per run kind, and the switch on a run's `kind` that picks
 * the recorder of an ended, failed or cancelled run.
 */
import { diag, SpanStatusCode } from "@opentelemetry/api";
import { GenAiLogs, SeverityNumber } from "../../signals/logs.js";
import { GenAiMetrics } from "../../signals/metrics.js";
import { LatestGenAiMetrics } from "../../signals/metrics-latest.js";
import type { SemconvMode } from "../semconv-stability.js";
import * as S from "../../semconv.js";
import { PACKAGE_NAME } from "../../util/package.js";
import type { CancelReason } from "../cancellation.js";
import type { Failures } from "../failures.js";
import type { OpenTelemetryCallbackHandlerOptions } from "../options.js";
import type { Run, SpanRun } from "../runs.js";
import { AgentRecorder } from "./agent.js";
import { ChainRecorder } from "./chain.js";
import { ModelRecorder } from "./model.js";
import type { Rec, RecorderContext } from "./recorder.js";
import { RetrieverRecorder } from "./retriever.js";
import { ToolRecorder } from "./tool.js";

export type { Rec, RecorderContext, RunStart } from "./recorder.js";

export class Recorders {
  readonly chains: ChainRecorder;
  readonly agents: AgentRecorder;
  readonly models: ModelRecorder;
  readonly tools: ToolRecorder;
  readonly retrievers: RetrieverRecorder;

  private readonly failures: Failures;

  constructor(c: RecorderContext) {
    this.failures = c.failures;
    this.chains = new ChainRecorder(c);
    this.agents = new AgentRecorder(c);
    this.models = new ModelRecorder(c);
    this.tools = new ToolRecorder(c);
    this.retrievers = new RetrieverRecorder(c);
  }

  end(run: SpanRun, output: unknown, extra: Rec | undefined): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.end(run, output);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.end(run, output);
      case "model":
        return this.models.end(run, output, extra);
      case "tool":
        return this.tools.end(run, output);
      case "retriever":
        return this.retrievers.end(run, output);
    }
  }

  fail(run: SpanRun, err: unknown): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.fail(run, err);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.fail(run, err);
      case "model":
        return this.models.fail(run, err);
      case "tool":
        return this.tools.fail(run, err);
      case "retriever":
        return this.retrievers.fail(run, err);
    }
  }

  /** Ends a run that never ended (timeout, cap, shutdown): incomplete, status ERROR. */
  expire(run: Run, reason: string): void {
    this.failures.settle(run);
    const span = run.span;
    if (span === undefined) return;
    span.setAttribute(S.ATTR_RUN_INCOMPLETE, reason);
    span.setAttribute(S.ATTR_ERROR_TYPE, "incomplete");
    span.setStatus({ code: SpanStatusCode.ERROR, message: `run did not end (${reason})` });
    span.end();
  }

  cancel(run: SpanRun, reason: CancelReason): void {
    switch (run.kind) {
      case "chain":
      case "node":
        return this.chains.cancel(run, reason);
      case "agent":
      case "workflow":
      case "graph":
        return this.agents.cancel(run, reason);
      case "model":
        return this.models.cancel(run, reason, undefined);
      case "tool":
        return this.tools.cancel(run, reason);
      case "retriever":
        return this.retrievers.cancel(run, reason);
    }
  }
}

/** What a handler's signal sinks are built with, besides its options. */
export interface SinkSettings {
  semconv: SemconvMode;
  maxContentLength: number;
  /** Where dropped record attributes are reported (`onWarning`). */
  warn: (message: string) => void;
}

/**
 * The histograms (the latest conventions' too, only when opted in) and the log-record emitter of
 * a handler, as its options ask (either may be off; a meter provider that throws turns metrics
 * off with a warning).
 */
export function createSignalSinks(
  options: OpenTelemetryCallbackHandlerOptions,
  settings: SinkSettings,
): {
  metrics: GenAiMetrics | undefined;
  latestMetrics: LatestGenAiMetrics | undefined;
  logs: GenAiLogs | undefined;
} {
  let metrics: GenAiMetrics | undefined;
  let latestMetrics: LatestGenAiMetrics | undefined;
  if (options.metrics !== false) {
    try {
      // Without a provider: the global one, looked up when recording (a late NodeSDK.start()).
      metrics = new GenAiMetrics(options.meterProvider, settings.semconv.v141);
      // Only when opted in: the default output creates none of these instruments.
      if (settings.semconv.latest) latestMetrics = new LatestGenAiMetrics(options.meterProvider);
    } catch (e) {
      diag.warn(`${PACKAGE_NAME}: metrics disabled, the meter provider failed: ${String(e)}`);
    }
  }
  const logs =
    options.logs === false
      ? undefined
      : new GenAiLogs({
          provider: options.loggerProvider,
          minSeverity: options.logMinSeverity ?? SeverityNumber.INFO,
          maxContentLength: settings.maxContentLength,
          resourceAttributes: options.logResourceAttributes,
          warn: settings.warn,
        });
  return { metrics, latestMetrics, logs };
}
