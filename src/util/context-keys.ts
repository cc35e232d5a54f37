/**
 * The package's OpenTelemetry context keys, shared by the handler and the annotations (kept
 * here, below both, so neither layer imports the other).
 */
import { createContextKey, type Attributes, type Context } from "@opentelemetry/api";
import { PACKAGE_NAME } from "./package.js";

/**
 * Context key holding the id of the LangChain run whose span annotated code (`traceTask` & co.)
 * made the parent of its own span. A run that LangChain starts inside that code, with that run
 * as its parent, nests under the active (annotated) span instead of jumping back to the run's.
 */
export const LANGCHAIN_RUN_KEY = createContextKey(`${PACKAGE_NAME}.langchain-run-id`);

/**
 * Association properties travel in the OpenTelemetry context under this key, as ready-made span
 * attributes, so that reading them on the hot path is one map lookup.
 */
export const ASSOCIATION_KEY = createContextKey(`${PACKAGE_NAME}.association-properties`);

/** The association attributes in force in `ctx`, or `undefined` when none were set. */
export function getAssociationAttributes(ctx: Context): Attributes | undefined {
  return ctx.getValue(ASSOCIATION_KEY) as Attributes | undefined;
}
