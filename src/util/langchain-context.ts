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
if (!shared) {
  [contextModule, singletonsModule] = await Promise.all([
    import("@langchain/core/context"),
    import("@langchain/core/singletons"),
  ]);
}

export function langChainContext(): ContextModule {
  return (contextModule ??= requireEsm<ContextModule>("@langchain/core/context")!);
}

export function langChainSingletons(): SingletonsModule {
  return (singletonsModule ??= requireEsm<SingletonsModule>("@langchain/core/singletons")!);
}
