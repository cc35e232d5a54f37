/**
 * The two reference handlers of the benchmark.
 *
 * - {@link NoopHandler}: implements the same callbacks as the minimal handler with empty bodies.
 *   What it costs is LangChain's own dispatch, paid by every handler.
 * - {@link MinimalSpanHandler}: one bare span per run, parented through a runId map, ended on
 *   end/error. No attributes, no metrics, no logs: the floor for a correct nesting tracer. With
 *   a {@link ConstantEmission} it also emits given constants (the in-situ SDK floor).
 * - {@link BaseTracerSpanHandler}: the same bare spans from LangChain's own `BaseTracer` hooks,
 *   the route most hand-written LangChain tracers take. A reference, not the floor: `BaseTracer`
 *   builds a full `Run` record (inputs, outputs, events, dotted order) for every callback.
 *
 * Both run inline (`awaitHandlers = true`), as ours does, so their cost lands in the invoke.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { BaseTracer, type Run } from "@langchain/core/tracers/base";
import {
  context,
  trace,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

type Serialized = { id?: string[] } | undefined;

export class NoopHandler extends BaseCallbackHandler {
  name = "bench_noop";
  override awaitHandlers = true;
  override copy(): this {
    return this;
  }
  override async handleChainStart(): Promise<void> {}
  override async handleChainEnd(): Promise<void> {}
  override async handleChainError(): Promise<void> {}
  override async handleChatModelStart(): Promise<void> {}
  override async handleLLMStart(): Promise<void> {}
  override async handleLLMEnd(): Promise<void> {}
  override async handleLLMError(): Promise<void> {}
  override async handleToolStart(): Promise<void> {}
  override async handleToolEnd(): Promise<void> {}
  override async handleToolError(): Promise<void> {}
  override async handleRetrieverStart(): Promise<void> {}
  override async handleRetrieverEnd(): Promise<void> {}
  override async handleRetrieverError(): Promise<void> {}
}

/**
 * Constants the minimal handler can emit besides its bare spans (`sdk-floor.ts` fills them from
 * one recorded invoke of ours, to measure the SDK's own price of our data).
 */
export interface ConstantEmission {
  root: SpanOptions;
  chain: SpanOptions;
  model: SpanOptions;
  /** Called at a model run's end, before its span ends. */
  modelEnd(span: Span): void;
}

export class MinimalSpanHandler extends BaseCallbackHandler {
  name: string;
  override awaitHandlers = true;
  private readonly tracer: Tracer;
  private readonly spans = new Map<string, Span>();
  private readonly rootShape: SpanOptions | undefined;
  private readonly chainShape: SpanOptions | undefined;
  private readonly modelShape: SpanOptions | undefined;
  private readonly modelEnd: ((span: Span) => void) | undefined;

  constructor(tracerProvider: TracerProvider, emission?: ConstantEmission) {
    super();
    this.name = emission === undefined ? "bench_minimal" : "bench_minimal_emitting";
    this.tracer = tracerProvider.getTracer(this.name);
    this.rootShape = emission?.root;
    this.chainShape = emission?.chain;
    this.modelShape = emission?.model;
    this.modelEnd = emission?.modelEnd;
  }

  override copy(): this {
    return this;
  }

  private start(
    serialized: Serialized,
    runId: string,
    parentRunId: string | undefined,
    runName: string | undefined,
    options: SpanOptions | undefined,
  ): void {
    const parent = parentRunId === undefined ? undefined : this.spans.get(parentRunId);
    const ctx = parent === undefined ? context.active() : trace.setSpan(context.active(), parent);
    const ids = serialized?.id;
    const name = runName ?? (ids !== undefined && ids.length > 0 ? ids[ids.length - 1] : "run");
    this.spans.set(runId, this.tracer.startSpan(name, options, ctx));
  }

  private end(runId: string): void {
    const span = this.spans.get(runId);
    if (span === undefined) return;
    this.spans.delete(runId);
    span.end();
  }

  override async handleChainStart(
    chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: unknown,
    _runType?: string,
    runName?: string,
  ): Promise<void> {
    this.start(
      chain,
      runId,
      parentRunId,
      runName,
      parentRunId === undefined ? this.rootShape : this.chainShape,
    );
  }
  override async handleChatModelStart(
    llm: Serialized,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: string[],
    _metadata?: unknown,
    runName?: string,
  ): Promise<void> {
    this.start(llm, runId, parentRunId, runName, this.modelShape);
  }
  override async handleLLMStart(
    llm: Serialized,
    _prompts: unknown,
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: string[],
    _metadata?: unknown,
    runName?: string,
  ): Promise<void> {
    this.start(llm, runId, parentRunId, runName, this.modelShape);
  }
  override async handleToolStart(
    tool: Serialized,
    _input: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: unknown,
    runName?: string,
  ): Promise<void> {
    this.start(tool, runId, parentRunId, runName, this.chainShape);
  }
  override async handleRetrieverStart(
    retriever: Serialized,
    _query: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: unknown,
    name?: string,
  ): Promise<void> {
    this.start(retriever, runId, parentRunId, name, this.chainShape);
  }
  override async handleChainEnd(_outputs: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleChainError(_err: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleLLMEnd(_output: unknown, runId: string): Promise<void> {
    const span = this.spans.get(runId);
    if (span === undefined) return;
    this.spans.delete(runId);
    this.modelEnd?.(span);
    span.end();
  }
  override async handleLLMError(_err: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleToolEnd(_output: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleToolError(_err: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleRetrieverEnd(_docs: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
  override async handleRetrieverError(_err: unknown, runId: string): Promise<void> {
    this.end(runId);
  }
}

export class BaseTracerSpanHandler extends BaseTracer {
  name = "bench_basetracer_minimal";
  override awaitHandlers = true;
  private readonly tracer: Tracer;
  private readonly spans = new Map<string, Span>();

  constructor(tracerProvider: TracerProvider) {
    super();
    this.tracer = tracerProvider.getTracer("bench-basetracer-minimal");
  }

  override copy(): this {
    return this;
  }

  protected override async persistRun(): Promise<void> {}

  override onRunCreate(run: Run): void {
    const parent = run.parent_run_id === undefined ? undefined : this.spans.get(run.parent_run_id);
    const ctx = parent === undefined ? context.active() : trace.setSpan(context.active(), parent);
    this.spans.set(run.id, this.tracer.startSpan(run.name, undefined, ctx));
  }

  override onRunUpdate(run: Run): void {
    const span = this.spans.get(run.id);
    if (span === undefined) return;
    this.spans.delete(run.id);
    span.end();
  }
}
