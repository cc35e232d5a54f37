/**
 * GenAI log records: `gen_ai.client.inference.operation.details` for every model call, a
 * details record for tool and agent operations, and `gen_ai.client.operation.exception` for
 * failures. Records carry the run's span in their context, so trace and span ids are set and a
 * log line in Loki links to its trace in Tempo.
 */
import * as api from "@opentelemetry/api";
import type { AnyValueMap, Logger, LoggerProvider } from "@opentelemetry/api-logs";
import { logs as apiLogs, SeverityNumber } from "@opentelemetry/api-logs";
import * as S from "./semconv.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./version.js";

/** Event name of the details record of a tool or agent operation (not in the released conventions). */
export const EVENT_OPERATION_DETAILS = "gen_ai.client.operation.details";

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: "INFO",
  [SeverityNumber.WARN]: "WARN",
  [SeverityNumber.ERROR]: "ERROR",
};

/**
 * The logger of the global provider. OpenTelemetry JS 2.x registers providers in
 * `@opentelemetry/api-logs`, 3.x in `@opentelemetry/api` >= 1.10: two separate globals. The
 * first registered one wins; looked up per record so a provider registered after the handler
 * was built is still used.
 */
class GlobalLoggerSource {
  private provider: unknown;
  private logger: Logger | undefined;

  get(): Logger | undefined {
    let provider: { getLogger(name: string, version?: string): Logger } | undefined = apiLogs.getLoggerProvider();
    const unregistered = provider === (apiLogs as unknown as { _proxyLoggerProvider?: unknown })._proxyLoggerProvider;
    if (unregistered) {
      const apiLogsGlobal = (api as unknown as { logs?: { getLoggerProvider?: () => typeof provider } }).logs;
      provider = apiLogsGlobal?.getLoggerProvider?.() ?? provider;
    }
    if (provider !== this.provider) {
      this.provider = provider;
      this.logger = provider?.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    }
    return this.logger;
  }
}

export class GenAiLogs {
  private readonly logger: Logger | undefined;
  private readonly global: GlobalLoggerSource | undefined;

  constructor(
    provider: LoggerProvider | undefined,
    private readonly minSeverity: SeverityNumber,
  ) {
    if (provider) this.logger = provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    else this.global = new GlobalLoggerSource();
  }

  /** Whether records of this severity are emitted at all (callers skip building them otherwise). */
  wants(severity: SeverityNumber): boolean {
    return severity >= this.minSeverity;
  }

  emit(eventName: string, severity: SeverityNumber, body: string, attributes: AnyValueMap, ctx: api.Context): void {
    if (severity < this.minSeverity) return;
    const logger = this.logger ?? this.global!.get();
    if (!logger) return;
    logger.emit({ eventName, severityNumber: severity, severityText: SEVERITY_TEXT[severity], body, attributes, context: ctx });
  }
}

/** `chat gpt-4o-mini: 412 in / 96 out tokens, 1.23 s, stop` - the line Loki shows. */
export function inferenceBody(
  operation: string,
  model: string | undefined,
  input: number | undefined,
  output: number | undefined,
  durationS: number,
  finishReasons: readonly string[] | undefined,
  errorType: string | undefined,
): string {
  let body = model ? `${operation} ${model}: ` : `${operation}: `;
  if (input !== undefined || output !== undefined) body += `${input ?? "?"} in / ${output ?? "?"} out tokens, `;
  body += `${durationS.toFixed(2)} s`;
  if (errorType) body += `, failed: ${errorType}`;
  else if (finishReasons && finishReasons.length) body += `, ${finishReasons.join(", ")}`;
  return body;
}

/** `execute_tool get_weather: 0.05 s` / `invoke_agent support: 3.20 s, failed: TimeoutError`. */
export function operationBody(operation: string, name: string, durationS: number, errorType: string | undefined): string {
  return `${operation} ${name}: ${durationS.toFixed(2)} s${errorType ? `, failed: ${errorType}` : ""}`;
}

/** Attributes of an exception record (gen-ai-exceptions.md). */
export function exceptionAttributes(base: AnyValueMap, error: { type: string; message: string; stack?: string }): AnyValueMap {
  const attrs: AnyValueMap = { ...base, [S.ATTR_EXCEPTION_TYPE]: error.type, [S.ATTR_EXCEPTION_MESSAGE]: error.message };
  if (error.stack) attrs[S.ATTR_EXCEPTION_STACKTRACE] = error.stack;
  return attrs;
}

export { SeverityNumber };
