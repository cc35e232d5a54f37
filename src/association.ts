import { createContextKey, type Attributes, type Context } from "@opentelemetry/api";

/**
 * Association properties travel in the OpenTelemetry context under this key, as ready-made span
 * attributes, so that reading them on the hot path is one map lookup.
 */
export const ASSOCIATION_KEY = createContextKey("langchain-opentelemetry.association-properties");

/** The association attributes in force in `ctx`, or `undefined` when none were set. */
export function getAssociationAttributes(ctx: Context): Attributes | undefined {
  return ctx.getValue(ASSOCIATION_KEY) as Attributes | undefined;
}
