/**
 * Synchronous loading on first use, for packages whose state is global (`@opentelemetry/api-logs`
 * keeps its providers on `globalThis`), so any copy of them is as good as the app's: importing
 * the root entry does not load them, and nothing is loaded per callback (the module is kept).
 * LangChain's context modules need the app's own instance: see langchain-context.ts.
 */
import { createRequire } from "node:module";

export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load<T>(specifier));
}

function load<T>(specifier: string): T {
  const url = (import.meta as { url?: unknown }).url;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build
  if (typeof url !== "string") return require(specifier) as T;
  return createRequire(url)(specifier) as T;
}
