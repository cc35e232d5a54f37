/**
 * Model calls (`chat`, `text_completion`): a CLIENT span with the request and response
 * attributes, the inference histograms (duration, tokens, time to first chunk, time per chunk)
 * and a `gen_ai.client.inference.operation.details` record.
 */
import { SpanKind, type Attributes } from "@opentelemetry/api";
import {
  addLatestRequestParams,
  addRequestParams,
  conversationId,
  isRecord,
  providerName,
  requestModel,
  responseOf,
  runNameOf,
  serverOf,
  usageOf,
  fallbackAgentName,
  type Usage,
} from "../../langchain/attributes.js";
import { usesInstrumentedClient } from "../../langchain/client-instrumentation.js";
import { nodeOf, partialOutputOf } from "../../langchain/langgraph.js";
import {
  anthropicFinalOutputTokens,
  customEndpointOfModelInstance,
  isChunkToken,
  isStreamedResult,
  serverOfModelInstance,
  type ServerAddress,
} from "../../langchain/providers.js";
import {
  outputMessages,
  promptMessages,
  hasChunkContent,
  splitInput,
  toolDefinitions,
  withoutFinishReason,
  type OutputMessage,
} from "../../langchain/messages.js";
import {
  addAttributes,
  cancelledInferenceBody,
  detailsAttributes,
  inferenceBody,
  inferenceContent,
  SeverityNumber,
} from "../../signals/logs.js";
import { identifier } from "../../langchain/attributes.js";
import * as S from "../../semconv.js";
import type { CancelReason } from "../cancellation.js";
import type { SemconvMode } from "../semconv-stability.js";
import { agentOf, contextOf, type InferenceState, type ModelRun } from "../runs.js";
import { Recorder, seconds, severityOf, type Rec, type RunStart } from "./recorder.js";

const MAX_CHUNK_INTERVALS = 10_000;

/** What a model call starts with (`handleChatModelStart` / `handleLLMStart`). */
export interface ModelStart {
  /** `chat` or `text_completion`. */
  operation: string;
  /** Chat: the messages; completion: the prompts. */
  chat: boolean;
  llm: unknown;
  input: unknown;
  extraParams: Rec | undefined;
  metadata: Rec | undefined;
  runName: string | undefined;
}

export class ModelRecorder extends Recorder<ModelRun> {
  /** The details record's duration attribute(s), by the conventions emitted. */
  private readonly durationNames: readonly string[] | undefined = inferenceDurationNames(
    this.c.semconv,
  );

  start(at: RunStart, m: ModelStart): void {
    const { operation, metadata } = m;
    const params = isRecord(m.extraParams?.invocation_params)
      ? (m.extraParams.invocation_params as Rec)
      : undefined;
    const model = requestModel(params, metadata);
    const provider = providerName(metadata?.ls_provider);
    const attributes: Attributes = { [S.ATTR_GEN_AI_OPERATION_NAME]: operation };
    const op: InferenceState = { operation, name: model ?? runNameOf(m.llm, m.runName, operation) };
    if (provider) attributes[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider = provider;
    if (model) attributes[S.ATTR_GEN_AI_REQUEST_MODEL] = op.requestModel = model;
    const requestParams: Attributes = {};
    addRequestParams(requestParams, params, metadata);
    if (this.c.semconv.latest) addLatestRequestParams(requestParams, params);
    Object.assign(attributes, requestParams);
    op.requestParams = requestParams;
    const server = serverOf(m.llm, params);
    if (server) {
      attributes[S.ATTR_SERVER_ADDRESS] = op.serverAddress = server.address;
      attributes[S.ATTR_SERVER_PORT] = op.serverPort = server.port;
    }
    const conv = conversationId(metadata);
    if (conv) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId = conv;
    op.metricAttrs = this.metricAttributes(metadata);
    const agent = agentOf(at.parent);
    op.agentName = agent?.op.name ?? fallbackAgentName(metadata);
    if (agent?.totals !== undefined) agent.totals.inferences++;
    this.c.toolDescriptions.remember(at.parent, params?.tools);
    if (this.c.captureContent) this.captureInput(attributes, op, m, params);
    const placed = this.open(at, {
      name: model ? `${operation} ${model}` : operation,
      spanKind: SpanKind.CLIENT,
      attributes,
      node: nodeOf(metadata),
    });
    const run: ModelRun = { ...placed, kind: "model", op };
    this.c.runs.add(at.runId, run);
  }

  private captureInput(
    attributes: Attributes,
    op: InferenceState,
    m: ModelStart,
    params: Rec | undefined,
  ): void {
    if (m.chat) {
      const { system, input: history } = splitInput(m.input);
      op.input = history;
      attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(history);
      if (system.length) {
        op.system = system;
        attributes[S.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = this.content(system);
      }
    } else {
      op.input = promptMessages(m.input);
      attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(op.input);
    }
    const tools = toolDefinitions(params?.tools);
    if (tools.length) {
      op.toolDefinitions = tools;
      attributes[S.ATTR_GEN_AI_TOOL_DEFINITIONS] = this.content(tools);
    }
  }

  /** A streamed token or chunk: the time to the first one, and between the next ones. */
  token(run: ModelRun, token: unknown, fields: unknown): void {
    const op = run.op;
    if (isChunkToken(fields)) op.streamed = true;
    op.tokens = (op.tokens ?? 0) + 1;
    if (op.provider === "anthropic") {
      const final = anthropicFinalOutputTokens(fields);
      if (final !== undefined) op.finalOutputTokens = final;
    }
    // The usage chunk of a stream has no text: it is not an output chunk. A tool-call chunk has
    // an empty token too, but it is output (a tool-call-only stream would have no first chunk).
    if (!(typeof token === "string" && token.length > 0) && !hasChunkContent(fields)) return;
    const now = performance.now();
    if (op.firstChunkAt === undefined) op.firstChunkAt = now;
    else if (op.lastChunkAt !== undefined) {
      const intervals = (op.intervals ??= []);
      if (intervals.length < MAX_CHUNK_INTERVALS) intervals.push(now - op.lastChunkAt);
    }
    op.lastChunkAt = now;
  }

  end(run: ModelRun, output: unknown, extraParams: Rec | undefined): void {
    const { op, span } = run;
    const result = isRecord(output) ? output : {};
    const usage = usageOf(result);
    const response = responseOf(result);
    const cached = extraParams?.cached === true;
    // Gemini streams pass no chunk with their tokens: a result assembled from chunks tells.
    if (!op.streamed && isStreamedResult(result)) op.streamed = true;
    // A cache hit replays the answer as one token: nothing was streamed from a provider.
    if (cached) op.streamed = false;
    if (op.streamed && op.finalOutputTokens !== undefined && usage?.output !== undefined)
      usage.output = op.finalOutputTokens;
    // What the end of the call tells: set on the span, and copied into the details record.
    const ended: Attributes = {};
    if (response.model) ended[S.ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
    if (response.id) ended[S.ATTR_GEN_AI_RESPONSE_ID] = response.id;
    if (response.finishReasons.length)
      ended[S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = response.finishReasons;
    if (!op.provider && response.provider)
      ended[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider = providerName(response.provider);
    addUsage(ended, usage, this.c.semconv);
    const ttfc = this.streamed(run, ended);
    if (cached) ended[S.ATTR_CACHE_HIT] = true;
    const byClient = this.recordedByClient(run, ended);
    span.setAttributes(ended);
    let outputMsgs: unknown;
    if (this.c.captureContent) {
      outputMsgs = outputMessages(result.generations);
      // Latest only: the messages' finish_reason is deprecated there.
      if (!this.c.semconv.v141) outputMsgs = withoutFinishReason(outputMsgs as OutputMessage[]);
      span.setAttribute(S.ATTR_GEN_AI_OUTPUT_MESSAGES, this.content(outputMsgs));
    }
    span.end();
    const durationS = seconds(run.start, performance.now());
    const attrs = this.c.inferenceAttributes.get(op, response.model, undefined);
    // A cache hit made no provider call: its usage is not spent again.
    if (!cached) addToAgent(run, usage);
    const metrics = this.c.metrics;
    if (metrics !== undefined) {
      // The instrumented client recorded this call's duration and tokens: only what it cannot see.
      if (byClient)
        metrics.recordTokensAndFirstChunk({ attributes: attrs, timeToFirstChunkS: ttfc });
      else
        metrics.recordInference({
          attributes: attrs,
          durationS,
          inputTokens: cached ? undefined : usage?.input,
          outputTokens: cached ? undefined : usage?.output,
          timeToFirstChunkS: ttfc,
        });
      if (op.intervals !== undefined && op.streamed)
        metrics.recordChunkIntervals(op.intervals, attrs);
    }
    const latest = this.c.latestMetrics;
    if (latest !== undefined) {
      latest.recordInference({
        attributes: attrs,
        usageAttributes: attrs,
        durationS,
        cached,
        inputTokens: usage?.input,
        outputTokens: usage?.output,
        cacheReadTokens: usage?.cacheRead,
        cacheWriteTokens: usage?.cacheCreation,
        reasoningTokens: usage?.reasoning,
        timeToFirstChunkS: ttfc,
      });
      if (op.intervals !== undefined) latest.recordChunkIntervals(op.intervals, attrs);
    }
    const logs = this.c.logs;
    if (logs === undefined || !logs.wants(SeverityNumber.INFO)) return;
    const body = inferenceBody({
      operation: op.operation,
      model: response.model ?? op.requestModel,
      inputTokens: usage?.input,
      outputTokens: usage?.output,
      durationS,
      finishReasons: response.finishReasons,
    });
    logs.emit({
      eventName: S.EVENT_INFERENCE_DETAILS,
      severity: SeverityNumber.INFO,
      body,
      attributes: addAttributes(this.details(run, attrs, durationS), ended),
      context: contextOf(run),
      content: this.c.captureContent ? inferenceContent(op, outputMsgs) : undefined,
    });
  }

  fail(run: ModelRun, err: unknown): void {
    if (this.cancelledBy(run, err, false)) return;
    // Latest: a finish reason expected but not received is reported as `error`.
    if (this.c.semconv.latest)
      run.span.setAttribute(S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, ["error"]);
    const byClient = this.recordedByClient(run, undefined);
    const { info, passedOn } = this.c.failures.failAndEnd(run, err);
    const op = run.op;
    const durationS = seconds(run.start, performance.now());
    const attrs = this.c.inferenceAttributes.get(op, undefined, info.type);
    if (!byClient) this.c.metrics?.recordInference({ attributes: attrs, durationS });
    // Latest: the token instruments get a 0 for a failed call, without `error.type` on the
    // counters.
    this.c.latestMetrics?.recordInference({
      attributes: attrs,
      usageAttributes: this.c.inferenceAttributes.get(op, undefined, undefined),
      durationS,
    });
    // The details record too (the conventions give it `error.type` for failed calls), so a
    // Loki query over details records sees every call, like the duration histogram.
    const severity = severityOf(run, true);
    const logs = this.c.logs;
    if (logs !== undefined && logs.wants(severity)) {
      logs.emit({
        eventName: S.EVENT_INFERENCE_DETAILS,
        severity,
        body: inferenceBody({
          operation: op.operation,
          model: op.requestModel,
          durationS,
          errorType: info.type,
        }),
        attributes: this.details(run, attrs, durationS),
        context: contextOf(run),
        content: this.c.captureContent ? inferenceContent(op, undefined) : undefined,
      });
    }
    this.c.failures.passUp(run, passedOn ?? this.c.failures.atOrigin(run, err, info, attrs));
  }

  /**
   * Cancelled: what was measured so far (the stream flag, time to first chunk, partial usage),
   * token and first-chunk points, an INFO details record; no duration point.
   */
  cancel(run: ModelRun, reason: CancelReason, err: unknown): void {
    this.c.failures.settle(run);
    const { op, span } = run;
    span.setAttribute(S.ATTR_RUN_CANCELLED, reason);
    const partial = partialOutputOf(err);
    const usage = isRecord(partial)
      ? usageOf({ generations: [[{ message: partial }]] })
      : undefined;
    // No result to tell: more than one token is a stream (a plain Gemini call gives one).
    if (!op.streamed && (op.tokens ?? 0) > 1) op.streamed = true;
    const ended: Attributes = { [S.ATTR_RUN_CANCELLED]: reason };
    if (this.c.semconv.latest) ended[S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = ["error"];
    if (usage?.input !== undefined) ended[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
    if (usage?.output !== undefined) ended[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;
    const ttfc = this.streamed(run, ended);
    const byClient = this.recordedByClient(run, ended);
    span.setAttributes(ended);
    span.end();
    addToAgent(run, usage);
    const durationS = seconds(run.start, performance.now());
    const attrs = this.c.inferenceAttributes.get(op, undefined, undefined);
    this.c.metrics?.recordTokensAndFirstChunk({
      attributes: attrs,
      inputTokens: byClient ? undefined : usage?.input,
      outputTokens: byClient ? undefined : usage?.output,
      timeToFirstChunkS: ttfc,
    });
    // Latest: its inference duration covers a call that ends by cancellation too.
    this.c.latestMetrics?.recordInference({
      attributes: attrs,
      usageAttributes: attrs,
      durationS,
      inputTokens: usage?.input,
      outputTokens: usage?.output,
      timeToFirstChunkS: ttfc,
    });
    const logs = this.c.logs;
    if (logs === undefined || !logs.wants(SeverityNumber.INFO)) return;
    const body = cancelledInferenceBody({
      operation: op.operation,
      model: op.requestModel ?? op.name,
      inputTokens: usage?.input,
      outputTokens: usage?.output,
      durationS,
      reason,
    });
    logs.emit({
      eventName: S.EVENT_INFERENCE_DETAILS,
      severity: SeverityNumber.INFO,
      body,
      attributes: addAttributes(this.details(run, attrs, durationS), ended),
      context: contextOf(run),
    });
  }

  /**
   * The model object running `run` (see the handler's `noteModelInstance`): the server of
   * integrations whose endpoint is only there (Ollama's `baseUrl`, Bedrock's client), unless the
   * callbacks already gave one. An AWS client's custom endpoint is read asynchronously.
   */
  modelInstance(run: ModelRun, model: unknown): void {
    // Kept until the end: is its provider client instrumented itself (recordedByClient)?
    if (typeof model === "object" && model !== null) run.op.model = model;
    if (run.op.serverAddress !== undefined) return;
    const server = serverOfModelInstance(model);
    if (server !== undefined) return setServer(run, server);
    void customEndpointOfModelInstance(model)?.then((s) => {
      if (s !== undefined && run.op.serverAddress === undefined) setServer(run, s);
    });
  }

  /**
   * Whether an instrumented provider client (instrumentation-openai & co.) records this call's
   * duration and token points (option `dedupeClientMetrics`); marks the span (and `ended`, what
   * the details record copies) with `langchain.client_instrumented`.
   */
  private recordedByClient(run: ModelRun, ended: Attributes | undefined): boolean {
    const model = run.op.model;
    run.op.model = undefined;
    if (!this.c.dedupeClientMetrics || model === undefined || !usesInstrumentedClient(model))
      return false;
    if (ended !== undefined) ended[S.ATTR_CLIENT_INSTRUMENTED] = true;
    else run.span.setAttribute(S.ATTR_CLIENT_INSTRUMENTED, true);
    return true;
  }

  /** The stream flag and time to first chunk, into `ended`; returns the time to first chunk. */
  private streamed(run: ModelRun, ended: Attributes): number | undefined {
    const op = run.op;
    const ttfc =
      op.streamed && op.firstChunkAt !== undefined
        ? seconds(run.start, op.firstChunkAt)
        : undefined;
    if (op.streamed) ended[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
    if (ttfc !== undefined) ended[S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc;
    return ttfc;
  }

  private details(run: ModelRun, metricAttributes: Attributes, durationS: number) {
    const op = run.op;
    return detailsAttributes({
      operation: op.operation,
      metricAttributes,
      assoc: run.assoc,
      durationS,
      conversationId: op.conversationId,
      streamed: op.streamed,
      params: op.requestParams,
      durationNames: this.durationNames,
    });
  }
}

/** Server attributes of a run still open (span and, at its end, metric points). */
function setServer(run: ModelRun, server: ServerAddress): void {
  try {
    if (run.ended || !run.span.isRecording()) return;
    run.op.serverAddress = identifier(server.address);
    run.op.serverPort = server.port;
    run.span.setAttributes({
      [S.ATTR_SERVER_ADDRESS]: run.op.serverAddress,
      [S.ATTR_SERVER_PORT]: run.op.serverPort,
    });
  } catch {}
}

/** The details record's duration attribute(s): v1.41.0's default, the latest's, or both. */
function inferenceDurationNames(semconv: SemconvMode): readonly string[] | undefined {
  if (!semconv.latest) return undefined;
  return semconv.v141
    ? [S.METRIC_OPERATION_DURATION, S.METRIC_GEN_AI_CLIENT_INFERENCE_DURATION]
    : [S.METRIC_GEN_AI_CLIENT_INFERENCE_DURATION];
}

/** Token usage reported by a call (cache writes under v1.41.0's name, the latest's, or both). */
function addUsage(into: Attributes, usage: Usage | undefined, semconv: SemconvMode): void {
  if (usage === undefined) return;
  if (usage.input !== undefined) into[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
  if (usage.output !== undefined) into[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;
  if (usage.cacheRead !== undefined)
    into[S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheRead;
  if (usage.cacheCreation !== undefined) {
    if (semconv.v141) into[S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheCreation;
    if (semconv.latest) into[S.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] = usage.cacheCreation;
  }
  if (usage.reasoning !== undefined)
    into[S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning;
}

/** A model call's usage counts for the agent it belongs to, while that agent is open. */
function addToAgent(run: ModelRun, usage: Usage | undefined): void {
  const agent = agentOf(run.parent);
  if (agent !== undefined && !agent.ended) agent.totals?.addUsage(usage);
}
