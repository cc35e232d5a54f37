/**
 * `langchain-opentelemetry/setup`: the bundled OpenTelemetry SDK. {@link setupTelemetry} sends
 * traces, metrics and logs over OTLP in one call; {@link runDoctor} checks the endpoint;
 * {@link createConsoleExporters} print telemetry when no endpoint is configured. The only entry
 * that loads SDK code: an app with its own SDK imports the root entry alone.
 *
 * @packageDocumentation
 */
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
export { createConsoleExporters } from "./console-exporters.js";
export type { ConsoleExporters, ConsoleLineWriter } from "./console-exporters.js";
export { runDoctor } from "./doctor.js";
export type { DoctorOptions, SignalCheck } from "./doctor.js";
