/**
 * Every metric point's attributes, built here and nowhere else: model calls (operation, provider,
 * models, server, error), tools and agents (development branch of the conventions), and the
 * run-metadata keys a user opted in. All of low cardinality; opted-in metadata comes first and
 * never overrides a conventions attribute.
 */
import type { Attributes } from "@opentelemetry/api";
import * as S from "../semconv.js";
import { cutString } from "../util/content.js";

/** Distinct (operation, provider, models, server, error) combinations kept; cleared when full. */
const INFERENCE_ATTRIBUTE_CACHE_SIZE = 512;

/** What a model call's metric attributes are built from (the call's state at its start). */
export interface InferenceMetricSource {
  operation: string;
  provider?: string;
  requestModel?: string;
  serverAddress?: string;
  serverPort?: number;
  /** Opted-in run metadata (see {@link metadataMetricAttributes}). */
  metricAttrs?: Attributes;
}

/** What a tool's or an agent's metric attributes are built from. */
export interface OperationMetricSource {
  operation: string;
  /** The tool's or the agent's name. */
  name: string;
  /** Tools: the agent that called it. */
  agentName?: string;
  metricAttrs?: Attributes;
}

/** The values of the opted-in `keys` of a run's metadata (strings cut at 256 characters). */
export function metadataMetricAttributes(
  metadata: Record<string, unknown> | undefined,
  keys: readonly string[],
): Attributes | undefined {
  if (!metadata || keys.length === 0) return undefined;
  let out: Attributes | undefined;
  for (const key of keys) {
    const v = metadata[key];
    // Cut: an opted-in key is meant to be low-cardinality, but a long value must not bloat
    // every point.
    if (typeof v === "string") (out ??= {})[key] = cutString(v, 256);
    else if (typeof v === "number" || typeof v === "boolean") (out ??= {})[key] = v;
  }
  return out;
}

/**
 * Attributes of a model call's metric points. The same few combinations recur on every call:
 * one shared, frozen object per combination spares an allocation per point, and lets the
 * token-type variants be cached too (calls with opted-in metadata are built each time).
 */
export class InferenceMetricAttributes {
  private readonly cache = new Map<string, Attributes>();

  get(
    op: InferenceMetricSource,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): Attributes {
    if (op.metricAttrs !== undefined)
      return inferenceMetricAttributes(op, responseModel, errorType);
    const key =
      `${op.operation}\u0000${op.provider ?? ""}\u0000${op.requestModel ?? ""}` +
      `\u0000${responseModel ?? ""}\u0000${op.serverAddress ?? ""}\u0000${op.serverPort ?? ""}` +
      `\u0000${errorType ?? ""}`;
    let a = this.cache.get(key);
    if (a === undefined) {
      a = Object.freeze(inferenceMetricAttributes(op, responseModel, errorType));
      if (this.cache.size >= INFERENCE_ATTRIBUTE_CACHE_SIZE) this.cache.clear();
      this.cache.set(key, a);
    }
    return a;
  }
}

function inferenceMetricAttributes(
  op: InferenceMetricSource,
  responseModel: string | undefined,
  errorType: string | undefined,
): Attributes {
  const a: Attributes = { ...op.metricAttrs, [S.ATTR_GEN_AI_OPERATION_NAME]: op.operation };
  if (op.provider) a[S.ATTR_GEN_AI_PROVIDER_NAME] = op.provider;
  if (op.requestModel) a[S.ATTR_GEN_AI_REQUEST_MODEL] = op.requestModel;
  if (responseModel) a[S.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
  if (op.serverAddress) {
    a[S.ATTR_SERVER_ADDRESS] = op.serverAddress;
    a[S.ATTR_SERVER_PORT] = op.serverPort;
  }
  if (errorType) a[S.ATTR_ERROR_TYPE] = errorType;
  return a;
}

/**
 * Attributes of a tool's `gen_ai.execute_tool.duration` point (tool type `function`) or, for any
 * other operation, of an agent's `gen_ai.invoke_agent.duration` point.
 */
export function operationMetricAttributes(
  op: OperationMetricSource,
  errorType: string | undefined,
): Attributes {
  return op.operation === S.OP_EXECUTE_TOOL
    ? toolMetricAttributes({
        toolName: op.name,
        toolType: "function",
        agentName: op.agentName,
        errorType,
        extra: op.metricAttrs,
      })
    : agentMetricAttributes(op.name, errorType, op.metricAttrs);
}

/** Attributes of one `gen_ai.execute_tool.duration` point (development branch). */
export function toolMetricAttributes(o: {
  toolName: string;
  toolType?: string;
  agentName?: string;
  errorType?: string;
  /** Opted-in run metadata: first, never overriding a conventions attribute. */
  extra?: Attributes;
}): Attributes {
  const a: Attributes = { ...o.extra, [S.ATTR_GEN_AI_TOOL_NAME]: o.toolName };
  if (o.toolType) a[S.ATTR_GEN_AI_TOOL_TYPE] = o.toolType;
  if (o.agentName) a[S.ATTR_GEN_AI_AGENT_NAME] = o.agentName;
  if (o.errorType) a[S.ATTR_ERROR_TYPE] = o.errorType;
  return a;
}

/**
 * Attributes of one `gen_ai.invoke_agent.duration` point (development branch); `extra` as above.
 */
export function agentMetricAttributes(
  agentName: string,
  errorType: string | undefined,
  extra?: Attributes,
): Attributes {
  const a: Attributes = { ...extra, [S.ATTR_GEN_AI_AGENT_NAME]: agentName };
  if (errorType) a[S.ATTR_ERROR_TYPE] = errorType;
  return a;
}
