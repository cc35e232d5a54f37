/**
 * langchain-opentelemetry: OpenTelemetry traces, metrics and logs for LangChain.js.
 * @packageDocumentation
 */
export { OpenTelemetryCallbackHandler, HANDLER_NAME } from "./handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./options.js";
export { getAssociationAttributes } from "./association.js";
export { setupTelemetry } from "./setup.js";
export type { TelemetryHandle } from "./setup.js";
export { TelemetryConfigError } from "./config.js";
export type { SetupTelemetryOptions, SignalOptions } from "./config.js";
export { registerGlobalHandler } from "./global.js";
