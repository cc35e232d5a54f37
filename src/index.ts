/**
 * langchain-opentelemetry: OpenTelemetry traces, metrics and logs for LangChain.js.
 *
 * - {@link OpenTelemetryCallbackHandler}: LangChain runs as GenAI spans, metrics and log records.
 * - {@link registerGlobalHandler}: attach a handler to every LangChain run in the process.
 * - {@link traceWorkflow} & co., {@link withAssociationProperties}: annotate your own code.
 *
 * The bundled OpenTelemetry SDK (`setupTelemetry()`, the doctor, the console exporters) is the
 * separate entry `langchain-opentelemetry/setup`: this one loads no SDK code.
 *
 * @packageDocumentation
 */
export { OpenTelemetryCallbackHandler, HANDLER_NAME } from "./handler/handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./handler/options.js";
export type { GenAiSemconv } from "./handler/semconv-stability.js";

export { registerGlobalHandler } from "./handler/global.js";
export { redactUrl } from "./util/redact.js";
export { setWarningSink } from "./util/warnings.js";

export {
  ASSOCIATION_ATTRIBUTE_PREFIX,
  AssociationLogRecordProcessor,
  AssociationSpanProcessor,
  getAssociationAttributes,
  getAssociationProperties,
  setAssociationProperties,
  withAssociationProperties,
} from "./annotate/association.js";
export type {
  AssociationProperties,
  AssociationValue,
  AttributeTarget,
} from "./annotate/association.js";
export {
  contextForLangChainRun,
  traceAgent,
  traceTask,
  traceTool,
  traceWorkflow,
} from "./annotate/annotate.js";
export type {
  AnnotationKind,
  AnyFunction,
  RunConfigLike,
  RunSpanLookup,
  TracedMethodDecorator,
  TraceOptions,
} from "./annotate/annotate.js";
