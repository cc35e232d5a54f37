/**
 * Installs the run-scope wrappers (langchain-core.ts) on the copies of `@langchain/core` this
 * package can reach, when the first handler that wants them is created, and restores LangChain's
 * methods when the last one shuts down. Feature-detected: entry points that are missing or have
 * another shape are left alone, with one diagnostic per copy, and runs there simply do not nest.
 */
import { diag } from "@opentelemetry/api";
import { langChainRunScopeModules } from "../../util/langchain-context.js";
import { PACKAGE_NAME } from "../../util/package.js";
import { wrapCore, type CopyStatus, type CoreCopy } from "./langchain-core.js";
import {
  installedCopies,
  liveSources,
  registerSource,
  releaseSource,
  setIdleCallback,
  type RunScopeSource,
} from "./registry.js";
import { unwrap, type Patch } from "./wrap.js";

/** Set per output format by the build (tsup `define`); the sources run as ESM. */
declare const __LCO_FORMAT__: string | undefined;
const FORMAT = typeof __LCO_FORMAT__ === "string" ? __LCO_FORMAT__ : "esm";

/**
 * The copy this build of the package uses (ESM from `import`, CommonJS from `require`), loaded
 * when the first handler is created (importing the package loads none of these modules).
 */
function ownCopy(): CoreCopy {
  const m = langChainRunScopeModules();
  return {
    format: FORMAT,
    singleton: m.singletons.AsyncLocalStorageProviderSingleton as unknown as object,
    BaseChatModel: m.chatModels.BaseChatModel,
    BaseLLM: m.llms.BaseLLM,
    StructuredTool: m.tools.StructuredTool,
    BaseRetriever: m.retrievers.BaseRetriever,
    BaseRunManager: m.manager.BaseRunManager,
  };
}

let cjsSingletonPath: string | null | undefined;

/**
 * The CommonJS copy of `@langchain/core`, from the ESM build, when the app has already loaded it
 * (some dependency `require`s LangChain): never loaded just for us.
 */
function loadedCjsCopy(own: CoreCopy): CoreCopy | undefined {
  try {
    // The ESM build has a `require` (tsup banner); the CommonJS build's copy is its own.
    if (FORMAT !== "esm" || typeof require !== "function") return undefined;
    if (cjsSingletonPath === undefined) {
      try {
        cjsSingletonPath = require.resolve("@langchain/core/singletons");
      } catch {
        cjsSingletonPath = null;
      }
    }
    if (cjsSingletonPath === null || require.cache?.[cjsSingletonPath] === undefined)
      return undefined;
    const load = require as (id: string) => Record<string, unknown>;
    const singletons = load("@langchain/core/singletons");
    const singleton = singletons.AsyncLocalStorageProviderSingleton as object | undefined;
    if (singleton === undefined || singleton === own.singleton) return undefined;
    const get = (path: string, name: string) => load(path)[name] as CoreCopy["BaseChatModel"];
    return {
      format: "cjs",
      singleton,
      BaseChatModel: get("@langchain/core/language_models/chat_models", "BaseChatModel"),
      BaseLLM: get("@langchain/core/language_models/llms", "BaseLLM"),
      StructuredTool: get("@langchain/core/tools", "StructuredTool"),
      BaseRetriever: get("@langchain/core/retrievers", "BaseRetriever"),
      BaseRunManager: get("@langchain/core/callbacks/manager", "BaseRunManager"),
    };
  } catch {
    return undefined;
  }
}

function install(copy: CoreCopy): void {
  const installed = installedCopies();
  const key = copy.singleton ?? copy;
  if (installed.has(key)) return;
  const patches: Patch[] = [];
  let status: CopyStatus;
  try {
    status = wrapCore(copy, patches);
  } catch (e) {
    for (const p of patches) unwrap(p);
    diag.warn(
      `${PACKAGE_NAME}: run context disabled for @langchain/core (${copy.format}): ` +
        `${String(e)}; spans made inside LangChain runs (HTTP calls, your own) are not nested ` +
        "under the run's span",
    );
    return;
  }
  installed.set(key, { patches, status });
  if (status.missing.length)
    diag.warn(
      `${PACKAGE_NAME}: this @langchain/core (${copy.format}) lacks ` +
        `${status.missing.join(", ")}; spans made inside those runs are not nested under the ` +
        "run's span (the handler works as before otherwise)",
    );
}

/** Restores every wrapped method (or leaves a pass-through where another wrapper sits on ours). */
function uninstallAll(): void {
  const installed = installedCopies();
  for (const { patches } of installed.values())
    for (let i = patches.length - 1; i >= 0; i--) unwrap(patches[i]);
  installed.clear();
}

/**
 * Called by a handler created with run context on: registers how to find its runs' contexts and
 * installs the wrappers if they are not installed. Never throws.
 */
export function enableRunScope(handler: object, source: RunScopeSource): void {
  try {
    registerSource(handler, source);
    setIdleCallback(uninstallAll);
    const own = ownCopy();
    install(own);
    const cjs = loadedCjsCopy(own);
    if (cjs !== undefined) install(cjs);
  } catch (e) {
    diag.warn(`${PACKAGE_NAME}: run context disabled: ${String(e)}`);
  }
}

/** Called on handler shutdown: the last handler out restores LangChain's methods. Idempotent. */
export function releaseRunScope(handler: object): void {
  try {
    releaseSource(handler);
  } catch {}
}

/**
 * What was wrapped, per copy of `@langchain/core`, and how many live handlers use it.
 *
 * @internal For tests and the doctor; not exported from the package entry point.
 */
export function runScopeStatus(): { live: number; copies: CopyStatus[] } {
  return { live: liveSources(), copies: [...installedCopies().values()].map((c) => c.status) };
}
