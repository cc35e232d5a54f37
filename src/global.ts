/**
 * Global attach: adds a callback handler to every LangChain run in the process, through LangChain's
 * own configure hook (`registerConfigureHook` + `setContextVariable` from `@langchain/core/context`).
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
import { getContextVariable, registerConfigureHook, setContextVariable } from "@langchain/core/context";

let registrations = 0;

/**
 * Registers `handler` for every LangChain run started from now on in this async context and the
 * async operations it creates (see the module caveat: before servers are created).
 *
 * @returns An undo function: runs started after it no longer get the handler (from contexts that
 * descend from the registration). Calling it more than once is harmless.
 */
export function registerGlobalHandler(handler: BaseCallbackHandler): () => void {
  // A context variable of our own per registration: undo clears it, and the hook (which LangChain
  // offers no way to remove) then finds nothing and adds nothing.
  const contextVar = `langchain_opentelemetry_handler_${++registrations}`;
  setContextVariable(contextVar, handler);
  registerConfigureHook({ contextVar, inheritable: true });
  return () => {
    if (getContextVariable(contextVar) !== undefined) setContextVariable(contextVar, undefined);
  };
}
