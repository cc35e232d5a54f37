import { createContextKey } from "@opentelemetry/api";

/**
 * Context key holding the id of the LangChain run whose span annotated code (`traceTask` & co.)
 * made the parent of its own span. A run that LangChain starts inside that code, with that run
 * as its parent, nests under the active (annotated) span instead of jumping back to the run's.
 */
export const LANGCHAIN_RUN_KEY = createContextKey("langchain-opentelemetry.langchain-run-id");
