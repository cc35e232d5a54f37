/**
 * LangChain's context modules (`@langchain/core/context` for global attach,
 * `@langchain/core/singletons` for the annotations), loaded on first use so that importing the
 * package stays cheap, and nothing is loaded per callback (a module is kept once loaded).
 *
 * They must be the app's own instances: LangChain keeps its configure hooks under a
 * module-private key, which a second copy of the module would not see. This is the ES module
 * build (the CommonJS build uses langchain-context.cjs.ts, which `require`s them). Node's
 * `require` of an ES module file gives the very module an `import` gives when Node loads modules
 * itself; under a loader that copies modules instead (tsx, some test runners) or on a Node.js
 * without `require` of ES modules, both modules are imported here, at import time.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

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

const RUN_SCOPE_SPECIFIERS = [
  "@langchain/core/language_models/chat_models",
  "@langchain/core/language_models/llms",
  "@langchain/core/tools",
  "@langchain/core/retrievers",
  "@langchain/core/callbacks/manager",
] as const;

/** `specifier`'s ES module file, `require`d; `undefined` when that is not possible. */
function requireEsm<T>(specifier: string): T | undefined {
  try {
    const resolved = import.meta.resolve(specifier);
    return createRequire(import.meta.url)(
      resolved.startsWith("file:") ? fileURLToPath(resolved) : resolved,
    ) as T;
  } catch {
    return undefined;
  }
}

const shared =
  requireEsm<{ BaseCallbackHandler?: unknown }>("@langchain/core/callbacks/base")
    ?.BaseCallbackHandler === BaseCallbackHandler;

let contextModule: ContextModule | undefined;
let singletonsModule: SingletonsModule | undefined;
let runScopeModules: RunScopeModules | undefined;
if (!shared) {
  let rest: unknown[];
  [contextModule, singletonsModule, ...rest] = await Promise.all([
    import("@langchain/core/context"),
    import("@langchain/core/singletons"),
    import("@langchain/core/language_models/chat_models"),
    import("@langchain/core/language_models/llms"),
    import("@langchain/core/tools"),
    import("@langchain/core/retrievers"),
    import("@langchain/core/callbacks/manager"),
  ]);
  runScopeModules = runScopeFrom(singletonsModule, (i) => rest[i]);
}

function runScopeFrom(singletons: SingletonsModule, at: (i: number) => unknown): RunScopeModules {
  return {
    singletons,
    chatModels: at(0) as RunScopeModules["chatModels"],
    llms: at(1) as RunScopeModules["llms"],
    tools: at(2) as RunScopeModules["tools"],
    retrievers: at(3) as RunScopeModules["retrievers"],
    manager: at(4) as RunScopeModules["manager"],
  };
}

/** The modules the run-context wrappers need, loaded when the first handler is created. */
export function langChainRunScopeModules(): RunScopeModules {
  return (runScopeModules ??= runScopeFrom(langChainSingletons(), (i) =>
    requireEsm(RUN_SCOPE_SPECIFIERS[i]),
  ));
}

export function langChainContext(): ContextModule {
  return (contextModule ??= requireEsm<ContextModule>("@langchain/core/context")!);
}

export function langChainSingletons(): SingletonsModule {
  return (singletonsModule ??= requireEsm<SingletonsModule>("@langchain/core/singletons")!);
}
