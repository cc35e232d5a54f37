/**
 * GenAI log records, built and emitted here and nowhere else (bodies and attributes):
 * `gen_ai.client.inference.operation.details` for every model call, a details record for tool,
 * agent and retrieval operations, and `gen_ai.client.operation.exception` for failures. Records
 * carry the run's span in their context, so trace and span ids are set and a log line in Loki links
 * to its trace in Tempo.
 */
import * as api from "@opentelemetry/api";
import type { Attributes } from "@opentelemetry/api";
import type { AnyValueMap, Logger, LoggerProvider } from "@opentelemetry/api-logs";
import type { SeverityNumber as ApiSeverityNumber } from "@opentelemetry/api-logs";
import { lazyModule } from "../util/load.js";
import { cutString } from "../util/content.js";
import { ASSOCIATION_KEY, getAssociationAttributes } from "../util/context-keys.js";
import { DropCounter, fitAttributes, recordBudget, type RecordBudget } from "./log-budget.js";
import * as S from "../semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../util/package.js";

/** Longest body (the log line). */
const MAX_BODY_CHARS = 1024;

/**
 * `@opentelemetry/api-logs`, loaded when the first handler without its own logger provider looks
 * up the global one: importing the package does not load it.
 */
const apiLogsModule =
  lazyModule<typeof import("@opentelemetry/api-logs")>("@opentelemetry/api-logs");

/** The severities the package emits: `SeverityNumber` of api-logs (the log data model's values). */
export const SeverityNumber = {
  INFO: 9,
  WARN: 13,
  ERROR: 17,
} as const satisfies Record<string, ApiSeverityNumber>;
export type SeverityNumber = ApiSeverityNumber;

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: "INFO",
  [SeverityNumber.WARN]: "WARN",
  [SeverityNumber.ERROR]: "ERROR",
};

type LoggerProviderLike = { getLogger(name: string, version?: string): Logger };

/**
 * The global logger provider. OpenTelemetry JS 2.x registers providers in
 * `@opentelemetry/api-logs`, 3.x in `@opentelemetry/api` >= 1.10: two separate globals. The
 * first registered one wins; with neither registered, api-logs' no-op proxy.
 */
export function globalLoggerProvider(): LoggerProviderLike | undefined {
  const apiLogs = apiLogsModule().logs;
  const provider: LoggerProviderLike | undefined = apiLogs.getLoggerProvider();
  const unregistered =
    provider === (apiLogs as unknown as { _proxyLoggerProvider?: unknown })._proxyLoggerProvider;
  if (!unregistered) return provider;
  const apiLogsGlobal = (
    api as unknown as { logs?: { getLoggerProvider?: () => LoggerProviderLike | undefined } }
  ).logs;
  return apiLogsGlobal?.getLoggerProvider?.() ?? provider;
}

/**
 * The logger of the global provider, looked up per record so a provider registered after the
 * handler was built is still used.
 */
class GlobalLoggerSource {
  private provider: unknown;
  private logger: Logger | undefined;

  get(): Logger | undefined {
    const provider = globalLoggerProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      this.logger = provider?.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    }
    return this.logger;
  }
}

/** One record to emit. */
export interface GenAiRecord {
  eventName: string;
  severity: SeverityNumber;
  /** The log line. */
  body: string;
  attributes: AnyValueMap;
  /** The context of the run the record is about. */
  context: api.Context;
  /** Captured content, structured; bounded by {@link GenAiLogs.emit}. */
  content?: Record<string, unknown>;
}

/** Options of {@link GenAiLogs}. */
export interface GenAiLogsOptions {
  /** The logger provider; `undefined` = the global one, looked up per record. */
  provider: LoggerProvider | undefined;
  /** Records below it are not built or emitted. */
  minSeverity: SeverityNumber;
  /** Longest captured content value, in characters, before the record budget applies. */
  maxContentLength: number;
  /** The resource attributes of the provider, counted in the record budget (see log-budget.ts). */
  resourceAttributes?: Attributes;
  /** Where the warning about attributes dropped to fit goes. */
  warn: (message: string) => void;
}

export class GenAiLogs {
  private readonly logger: Logger | undefined;
  private readonly global: GlobalLoggerSource | undefined;
  private readonly minSeverity: SeverityNumber;
  private readonly maxContentLength: number;
  private readonly budget: RecordBudget;
  private readonly drops: DropCounter;

  constructor(options: GenAiLogsOptions) {
    if (options.provider) this.logger = options.provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    else this.global = new GlobalLoggerSource();
    this.minSeverity = options.minSeverity;
    this.maxContentLength = options.maxContentLength;
    this.budget = recordBudget(options.resourceAttributes);
    this.drops = new DropCounter(options.warn, this.budget);
  }

  /** Whether records of this severity are emitted at all (callers skip building them otherwise). */
  wants(severity: SeverityNumber): boolean {
    return severity >= this.minSeverity;
  }

  /**
   * Emits one record in its `context` (whose active span gives the record its trace and span
   * ids). `content` holds captured content (structured, not yet bounded); it is fitted with the
   * other attributes, association properties included, into the record budget (see
   * `fitAttributes`); what is dropped to fit is counted and warned about.
   */
  emit(record: GenAiRecord): void {
    if (record.severity < this.minSeverity) return;
    try {
      const logger = this.logger ?? this.global!.get();
      if (!logger) return;
      let { attributes, context } = record;
      // The association properties in force join the budget here; the association processor
      // then finds none in the context to add unbudgeted (the record's own values win).
      const association = getAssociationAttributes(context);
      if (association !== undefined) {
        attributes = { ...(association as AnyValueMap), ...attributes };
        context = context.deleteValue(ASSOCIATION_KEY);
      }
      const fitted = fitAttributes(attributes, record.content, this.maxContentLength, this.budget);
      this.drops.record(record.eventName, fitted.dropped);
      logger.emit({
        eventName: record.eventName,
        severityNumber: record.severity,
        severityText: SEVERITY_TEXT[record.severity],
        body: cutString(record.body, MAX_BODY_CHARS),
        attributes: fitted.attributes,
        context,
      });
    } catch (e) {
      api.diag.debug(`${PACKAGE_NAME}: a log record was not emitted: ${String(e)}`);
    }
  }

  /** One line with the totals when more than one record lost attributes (at shutdown). */
  summarize(): void {
    this.drops.summarize();
  }
}

/** A model call's outcome, for the line of its details record. */
export interface InferenceLine {
  operation: string;
  model: string | undefined;
  inputTokens?: number;
  outputTokens?: number;
  durationS: number;
  finishReasons?: readonly string[];
  errorType?: string;
}

/** `chat gpt-4o-mini: 412 in / 96 out tokens, 1.23 s, stop` - the line Loki shows. */
export function inferenceBody(l: InferenceLine): string {
  let body = l.model ? `${l.operation} ${l.model}: ` : `${l.operation}: `;
  if (l.inputTokens !== undefined || l.outputTokens !== undefined)
    body += `${l.inputTokens ?? "?"} in / ${l.outputTokens ?? "?"} out tokens, `;
  body += `${l.durationS.toFixed(2)} s`;
  if (l.errorType) body += `, failed: ${l.errorType}`;
  else if (l.finishReasons && l.finishReasons.length) body += `, ${l.finishReasons.join(", ")}`;
  return body;
}

/** `chat gpt-4o-mini: 12 in / 3 out tokens, 0.40 s, cancelled: aborted` (a cancelled call). */
export function cancelledInferenceBody(l: InferenceLine & { reason: string }): string {
  const tokens =
    l.inputTokens !== undefined || l.outputTokens !== undefined
      ? `${l.inputTokens ?? 0} in / ${l.outputTokens ?? 0} out tokens, `
      : "";
  return `${l.operation} ${l.model}: ${tokens}${l.durationS.toFixed(2)} s, cancelled: ${l.reason}`;
}

/** A tool, agent or retrieval operation's outcome, for the line of its details record. */
export interface OperationLine {
  operation: string;
  name: string;
  durationS: number;
  /** An agent's totals (`300 in / 30 out tokens, 2 model calls`). */
  summary?: string;
  errorType?: string;
  cancelled?: string;
  /** Roots: the node where the run was interrupted. */
  interruptNode?: string;
  /** Ended by `interrupt()`. */
  interrupted?: boolean;
  /** Retrievals: how many documents came back. */
  documentCount?: number;
}

/**
 * The body of a tool, agent or retrieval details record:
 * `invoke_agent support: 3.20 s, 2 model calls, failed: TimeoutError`,
 * `retrieval docs: 0.05 s, 3 documents`.
 */
export function operationBody(l: OperationLine): string {
  let line = `${l.operation} ${l.name}: ${l.durationS.toFixed(2)} s`;
  if (l.summary) line += `, ${l.summary}`;
  if (l.errorType) line += `, failed: ${l.errorType}`;
  else if (l.cancelled) line += `, cancelled: ${l.cancelled}`;
  else if (l.interruptNode !== undefined) line += `, interrupted at ${l.interruptNode}`;
  else if (l.interrupted) line += ", interrupted";
  if (l.documentCount !== undefined)
    line += `, ${l.documentCount} document${l.documentCount === 1 ? "" : "s"}`;
  return line;
}

/** What an operation's details record says besides its line. */
export interface DetailsSource {
  operation: string;
  /** The attributes of the operation's metric points. */
  metricAttributes: Attributes;
  /** Association attributes in force for the run. */
  assoc: Attributes | undefined;
  durationS: number;
  conversationId?: string;
  streamed?: boolean;
  /** Model calls: the request parameters (temperature, max tokens, ...). */
  params?: Attributes;
  /**
   * The attribute name(s) of the duration: default the v1.41.0 duration metric's name; model
   * calls under the latest conventions use `gen_ai.client.inference.duration` (both in dual mode).
   */
  durationNames?: readonly string[];
}

/**
 * Attributes of an operation's details record: the request parameters (model calls), those
 * of its metric points, association properties, conversation id, streaming flag and duration
 * (in seconds, under the duration metric's name: the conventions have no attribute for it).
 */
export function detailsAttributes(d: DetailsSource): AnyValueMap {
  // Plain assignments, not spreads: spreading three objects is measurably slower per record.
  const logAttrs: AnyValueMap = {};
  const params = d.params;
  if (params !== undefined) for (const key in params) logAttrs[key] = params[key];
  logAttrs[S.ATTR_GEN_AI_OPERATION_NAME] = d.operation;
  const metricAttrs = d.metricAttributes;
  for (const key in metricAttrs) logAttrs[key] = metricAttrs[key];
  const assoc = d.assoc;
  if (assoc !== undefined) for (const key in assoc) logAttrs[key] = assoc[key];
  if (d.durationNames === undefined) logAttrs[S.METRIC_OPERATION_DURATION] = d.durationS;
  else for (const name of d.durationNames) logAttrs[name] = d.durationS;
  if (d.conversationId) logAttrs[S.ATTR_GEN_AI_CONVERSATION_ID] = d.conversationId;
  if (d.streamed) logAttrs[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return logAttrs;
}

/** Copies `from` into a record's attributes (what a span got at the end of its call). */
export function addAttributes(into: AnyValueMap, from: Attributes | undefined): AnyValueMap {
  if (from !== undefined) for (const key in from) into[key] = from[key];
  return into;
}

/** Captured content of a model call's details record, structured (bounded by `emit`). */
export function inferenceContent(
  request: { system?: unknown; toolDefinitions?: unknown; input?: unknown },
  output: unknown,
): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (request.system !== undefined) content[S.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = request.system;
  if (request.toolDefinitions !== undefined)
    content[S.ATTR_GEN_AI_TOOL_DEFINITIONS] = request.toolDefinitions;
  if (request.input !== undefined) content[S.ATTR_GEN_AI_INPUT_MESSAGES] = request.input;
  if (output !== undefined) content[S.ATTR_GEN_AI_OUTPUT_MESSAGES] = output;
  return content;
}

/** Captured content of a tool's (arguments, result) or an agent's (input) details record. */
export function operationContent(
  isTool: boolean,
  input: unknown,
  result: unknown,
): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (isTool) {
    if (input !== undefined) content[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = input;
    if (result !== undefined) content[S.ATTR_GEN_AI_TOOL_CALL_RESULT] = result;
  } else if (input !== undefined) content[S.ATTR_GEN_AI_INPUT_MESSAGES] = input;
  return content;
}

/** Attributes of a retrieval's details record, like a tool's: no content, the document count. */
export function retrievalAttributes(r: {
  source: string;
  conversationId?: string;
  agentName?: string;
  documentCount?: number;
  errorType?: string;
  assoc: Attributes | undefined;
  durationS: number;
}): AnyValueMap {
  const attrs: AnyValueMap = {
    [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_RETRIEVAL,
    [S.ATTR_GEN_AI_DATA_SOURCE_ID]: r.source,
  };
  if (r.conversationId) attrs[S.ATTR_GEN_AI_CONVERSATION_ID] = r.conversationId;
  if (r.agentName) attrs[S.ATTR_GEN_AI_AGENT_NAME] = r.agentName;
  if (r.documentCount !== undefined) attrs[S.ATTR_RETRIEVAL_DOCUMENT_COUNT] = r.documentCount;
  if (r.errorType) attrs[S.ATTR_ERROR_TYPE] = r.errorType;
  addAttributes(attrs, r.assoc);
  attrs[S.METRIC_OPERATION_DURATION] = r.durationS;
  return attrs;
}

/** What a `gen_ai.client.operation.exception` record is built from. */
export interface ExceptionSource {
  /** The failed operation (`undefined` for a workflow or a plain chain). */
  operation?: string;
  /** The operation's name (a tool's name for `execute_tool`). */
  name?: string;
  /** What the record is named after when there is no operation: the span's name. */
  spanName?: string;
  /** The failed operation's metric attributes (or a retrieval's data source). */
  attributes: Attributes | undefined;
  assoc: Attributes | undefined;
  conversationId?: string;
  /** The run tree's conversation id, when the run has none of its own. */
  treeConversationId?: string;
  agentName?: string;
  error: { type: string; message: string; stack?: string };
}

/**
 * The `gen_ai.client.operation.exception` record of a failure where it originated: the failed
 * operation's attributes, conversation id, agent name, error and exception attributes.
 */
export function exceptionRecord(x: ExceptionSource): { body: string; attributes: AnyValueMap } {
  const base: AnyValueMap = { ...(x.attributes ?? {}), ...(x.assoc as AnyValueMap | undefined) };
  if (x.operation !== undefined) {
    base[S.ATTR_GEN_AI_OPERATION_NAME] = x.operation;
    if (x.operation === S.OP_EXECUTE_TOOL) base[S.ATTR_GEN_AI_TOOL_NAME] = x.name;
    if (x.conversationId) base[S.ATTR_GEN_AI_CONVERSATION_ID] = x.conversationId;
  }
  if (x.agentName) base[S.ATTR_GEN_AI_AGENT_NAME] = x.agentName;
  if (base[S.ATTR_GEN_AI_CONVERSATION_ID] === undefined && x.treeConversationId)
    base[S.ATTR_GEN_AI_CONVERSATION_ID] = x.treeConversationId;
  base[S.ATTR_ERROR_TYPE] = x.error.type;
  const label =
    x.operation !== undefined ? `${x.operation} ${x.name}` : x.spanName ? x.spanName : "run";
  return {
    body: `${label} failed: ${x.error.type}: ${cutString(x.error.message, 512)}`,
    attributes: exceptionAttributes(base, {
      type: x.error.type,
      message: cutString(x.error.message, 4096),
      stack: x.error.stack ? cutString(x.error.stack, 8192) : undefined,
    }),
  };
}

/** Attributes of an exception record (gen-ai-exceptions.md). */
export function exceptionAttributes(
  base: AnyValueMap,
  error: { type: string; message: string; stack?: string },
): AnyValueMap {
  const attrs: AnyValueMap = {
    ...base,
    [S.ATTR_EXCEPTION_TYPE]: error.type,
    [S.ATTR_EXCEPTION_MESSAGE]: error.message,
  };
  if (error.stack) attrs[S.ATTR_EXCEPTION_STACKTRACE] = error.stack;
  return attrs;
}
