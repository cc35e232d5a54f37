/**
 * Decodes OTLP protobuf request bodies with the official schema: the protobufjs root generated
 * from opentelemetry-proto that `@opentelemetry/otlp-transformer@0.57.2` shipped (installed as the
 * dev dependency alias `otlp-transformer-legacy`; current versions only encode). Not our code.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const root = require("otlp-transformer-legacy/build/src/generated/root") as any;
const collector = root.opentelemetry.proto.collector;

const toObjectOptions = { longs: String, bytes: String, defaults: false };

function decodeWith(type: any, body: Uint8Array): any {
  return type.toObject(type.decode(body), toObjectOptions);
}

/** `ExportTraceServiceRequest` as a plain object (ids as base64 strings, 64-bit ints as strings). */
export const decodeTraceRequest = (body: Uint8Array) =>
  decodeWith(collector.trace.v1.ExportTraceServiceRequest, body);
/** `ExportMetricsServiceRequest` as a plain object. */
export const decodeMetricsRequest = (body: Uint8Array) =>
  decodeWith(collector.metrics.v1.ExportMetricsServiceRequest, body);
/** `ExportLogsServiceRequest` as a plain object. */
export const decodeLogsRequest = (body: Uint8Array) =>
  decodeWith(collector.logs.v1.ExportLogsServiceRequest, body);

/** A bytes field (base64 from toObject) as lower-case hex, as OTLP JSON writes ids. */
export const base64ToHex = (b64: string) => Buffer.from(b64, "base64").toString("hex");
