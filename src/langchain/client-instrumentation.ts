/**
 * Whether a model's provider client is instrumented by a client-library instrumentation that
 * records the call itself: `@opentelemetry/instrumentation-openai` (openai < 7), OpenLLMetry's
 * and others wrap the `openai` client's `create` methods with shimmer, which marks a wrapper with
 * `__wrapped === true`. Such an instrumentation makes its own `chat` span (a child of ours) and
 * its own `gen_ai.client.*` metric points for the same call.
 */

/** The client's methods a provider call goes through (openai >= 4). */
const CLIENT_METHODS: readonly (readonly string[])[] = [
  ["chat", "completions", "create"],
  ["responses", "create"],
  ["completions", "create"],
];

function isShimmerWrapped(fn: unknown): boolean {
  return typeof fn === "function" && (fn as { __wrapped?: unknown }).__wrapped === true;
}

function clientIsInstrumented(client: unknown): boolean {
  if (typeof client !== "object" || client === null) return false;
  for (const path of CLIENT_METHODS) {
    let v: unknown = client;
    for (const key of path)
      v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    if (isShimmerWrapped(v)) return true;
  }
  return false;
}

/**
 * Whether `model` (a LangChain model instance, e.g. `ChatOpenAI`) calls its provider through an
 * instrumented client: its own `client`, or that of the delegates `ChatOpenAI` uses (`completions`,
 * `responses`). Reads properties only; never throws.
 */
export function usesInstrumentedClient(model: unknown): boolean {
  try {
    if (typeof model !== "object" || model === null) return false;
    const m = model as Record<string, unknown>;
    if (clientIsInstrumented(m.client)) return true;
    for (const delegate of ["completions", "responses"]) {
      const d = m[delegate];
      if (
        typeof d === "object" &&
        d !== null &&
        clientIsInstrumented((d as Record<string, unknown>).client)
      )
        return true;
    }
    return false;
  } catch {
    return false;
  }
}
