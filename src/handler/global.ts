/**
 * Global attach: adds a callback handler to every LangChain run in the process, through LangChain's
 * own configure hook (`registerConfigureHook` + `setContextVariable` from
 * `@langchain/core/context`).
 *
 * How LangChain applies it (`CallbackManager._configureSync`): for each hook it reads the context
 * variable and adds the handler unless a handler with the same `name` is already in the run's
 * callbacks. So a handler passed explicitly in `callbacks` as well is not added twice (and our
 * handler's `copy()` returns itself, so children inherit the same instance).
 *
 * Caveat: LangChain keeps hooks and context variables in an AsyncLocalStorage store, set with
 * `enterWith()`. Registration affects the current synchronous execution and every async operation
 * created after it; a server (or any long-lived async resource) created *before* registration runs
 * its callbacks in the old store and does not see the handler. Register at startup, before
 * creating servers, queues or workers.
 */
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { langChainContext } from "../util/langchain-context.js";

/**
 * One context variable for every registration: a new registration replaces the previous handler in
 * its context (rather than adding a second hook whose handler, having the same `name`, would be
 * silently skipped by LangChain's de-duplication while the older one stays in force).
 */
const GLOBAL_HANDLER_CONTEXT_VAR = "langchain_opentelemetry_handler";

/**
 * Registers `handler` for every LangChain run started from now on in this async context and the
 * async operations it creates (see the module caveat: before servers are created). A later
 * registration replaces this one.
 *
 * @returns An undo function: runs started after it (in contexts descending from where it is
 * called) no longer get the handler. It does nothing when another handler was registered since.
 * Calling it more than once is harmless.
 */
export function registerGlobalHandler(handler: BaseCallbackHandler): () => void {
  const { getContextVariable, registerConfigureHook, setContextVariable } = langChainContext();
  setContextVariable(GLOBAL_HANDLER_CONTEXT_VAR, handler);
  // LangChain offers no way to list or remove hooks; a duplicate hook reading the same variable
  // adds nothing (same handler, de-duplicated by name).
  registerConfigureHook({ contextVar: GLOBAL_HANDLER_CONTEXT_VAR, inheritable: true });
  return () => {
    if (getContextVariable(GLOBAL_HANDLER_CONTEXT_VAR) === handler)
      setContextVariable(GLOBAL_HANDLER_CONTEXT_VAR, undefined);
  };
}
