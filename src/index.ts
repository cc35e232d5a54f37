/**
 * langchain-opentelemetry: OpenTelemetry traces, metrics and logs for LangChain.js.
 *
 * - {@link OpenTelemetryCallbackHandler}: LangChain runs as GenAI spans, metrics and log records.
 * - {@link setupTelemetry}: one call that sends traces, metrics and logs over OTLP.
 * - {@link registerGlobalHandler}: attach a handler to every LangChain run in the process.
 * - {@link traceWorkflow} & co., {@link withAssociationProperties}: annotate your own code.
 *
 * @packageDocumentation
 */
export { OpenTelemetryCallbackHandler, HANDLER_NAME } from "./handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./options.js";

export { setupTelemetry } from "./setup.js";
export type { TelemetryHandle } from "./setup.js";
export { resolveTelemetryConfig, TelemetryConfigError } from "./config.js";
export type {
  OtlpCompression,
  OtlpProtocol,
  ResolvedSignalConfig,
  ResolvedTelemetryConfig,
  SetupTelemetryOptions,
  Signal,
  SignalOptions,
} from "./config.js";
export { registerGlobalHandler } from "./global.js";
export { createConsoleExporters } from "./console-exporters.js";
export type { ConsoleExporters, ConsoleLineWriter } from "./console-exporters.js";
export { runDoctor } from "./doctor.js";
export { redactUrl } from "./redact.js";
export type { DoctorOptions, SignalCheck } from "./doctor.js";

export {
  ASSOCIATION_ATTRIBUTE_PREFIX,
  AssociationLogRecordProcessor,
  AssociationSpanProcessor,
  getAssociationAttributes,
  getAssociationProperties,
  setAssociationProperties,
  withAssociationProperties,
} from "./association.js";
export type { AssociationProperties, AssociationValue, AttributeTarget } from "./association.js";
export { contextForLangChainRun, traceAgent, traceTask, traceTool, traceWorkflow } from "./annotate.js";
export type { AnnotationKind, AnyFunction, RunConfigLike, RunSpanLookup, TracedMethodDecorator, TraceOptions } from "./annotate.js";
