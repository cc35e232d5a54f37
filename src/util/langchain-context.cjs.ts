/**
 * The CommonJS build's langchain-context.ts (swapped in by tsup.config.ts): `require` gives the
 * app's own instances of LangChain's context modules, on first use.
 */
type ContextModule = typeof import("@langchain/core/context");
type SingletonsModule = typeof import("@langchain/core/singletons");

/**
 * What the run-context wrappers (handler/run-scope/) wrap, from the app's own `@langchain/core`.
 */
export interface RunScopeModules {
  singletons: SingletonsModule;
  chatModels: typeof import("@langchain/core/language_models/chat_models");
  llms: typeof import("@langchain/core/language_models/llms");
  tools: typeof import("@langchain/core/tools");
  retrievers: typeof import("@langchain/core/retrievers");
  manager: typeof import("@langchain/core/callbacks/manager");
}

let runScopeModules: RunScopeModules | undefined;

/** The modules the run-context wrappers need, loaded when the first handler is created. */
export function langChainRunScopeModules(): RunScopeModules {
  /* eslint-disable @typescript-eslint/no-require-imports -- the CommonJS build */
  return (runScopeModules ??= {
    singletons: langChainSingletons(),
    chatModels: require("@langchain/core/language_models/chat_models"),
    llms: require("@langchain/core/language_models/llms"),
    tools: require("@langchain/core/tools"),
    retrievers: require("@langchain/core/retrievers"),
    manager: require("@langchain/core/callbacks/manager"),
  } as RunScopeModules);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

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
