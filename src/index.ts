/**
 * langchain-opentelemetry: OpenTelemetry traces, metrics and logs for LangChain.js.
 * @packageDocumentation
 */
export { OpenTelemetryCallbackHandler, HANDLER_NAME } from "./handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./options.js";
export { getAssociationAttributes } from "./association.js";
