/**
 * The CommonJS build's langchain-context.ts (swapped in by tsup.config.ts): `require` gives the
 * app's own instances of LangChain's context modules, on first use.
 */
type ContextModule = typeof import("@langchain/core/context");
type SingletonsModule = typeof import("@langchain/core/singletons");

let contextModule: ContextModule | undefined;
let singletonsModule: SingletonsModule | undefined;

export function langChainContext(): ContextModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build
  return (contextModule ??= require("@langchain/core/context") as ContextModule);
}

export function langChainSingletons(): SingletonsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build
  return (singletonsModule ??= require("@langchain/core/singletons") as SingletonsModule);
}
