/**
 * The process-wide part of run scoping: which handlers can say in which OpenTelemetry context a
 * run executes, and how many live handlers want the wrappers installed. Kept on `globalThis` under
 * a `Symbol.for` key, so that the ESM and CommonJS builds of this package (two module instances
 * when an app loads both) share one registry and never wrap LangChain twice.
 */
import type { Context } from "@opentelemetry/api";
import type { CancelReason } from "../cancellation.js";
import type { Patch } from "./wrap.js";

/** One copy of `@langchain/core` as wrapped: its patches (for undo) and what was found. */
export interface InstalledCopy {
  patches: Patch[];
  status: { format: string; wrapped: string[]; missing: string[]; runExecutionHook: boolean };
}

/** What a handler registers: the context a run executes in, and how to end a run as cancelled. */
export interface RunScopeSource {
  contextFor(runId: string): Context | undefined;
  /** Tells the run which model instance makes its provider call. */
  bindModel(runId: string, model: object): void;
  cancel(runId: string, reason: CancelReason): number;
}

interface SharedState {
  /** Handlers (the objects LangChain holds in `runManager.handlers`) to their source. */
  readonly sources: WeakMap<object, RunScopeSource>;
  /** Live handlers that asked for the wrappers (released on shutdown or garbage collection). */
  live: number;
  /** Called when `live` drops to 0: restores LangChain's methods. Set by install.ts. */
  onIdle: (() => void) | undefined;
  /**
   * Wrapped copies of `@langchain/core`, by an object of that copy (its ALS provider singleton).
   */
  readonly installed: Map<object, InstalledCopy>;
}

const STATE_KEY = Symbol.for("langchain-opentelemetry.run-scope.v1");

function shared(): SharedState {
  const g = globalThis as unknown as Record<symbol, SharedState | undefined>;
  let s = g[STATE_KEY];
  if (s === undefined) {
    s = { sources: new WeakMap(), live: 0, onIdle: undefined, installed: new Map() };
    Object.defineProperty(globalThis, STATE_KEY, { value: s, configurable: true });
  }
  return s;
}

const state = shared();

/** Handlers never shut down still release their share when collected. */
const finalizer = new FinalizationRegistry<{ released: boolean }>((token) => release(token));
const tokens = new WeakMap<object, { released: boolean }>();

function release(token: { released: boolean }): void {
  if (token.released) return;
  token.released = true;
  state.live = Math.max(0, state.live - 1);
  if (state.live === 0) state.onIdle?.();
}

/** Registers `handler` as a source of run contexts and counts it as wanting the wrappers. */
export function registerSource(handler: object, source: RunScopeSource): void {
  if (tokens.has(handler)) return;
  const token = { released: false };
  tokens.set(handler, token);
  state.sources.set(handler, source);
  state.live++;
  finalizer.register(handler, token, handler);
}

/**
 * Undoes {@link registerSource}; the last live handler out lets the wrappers be removed.
 * Idempotent.
 */
export function releaseSource(handler: object): void {
  const token = tokens.get(handler);
  state.sources.delete(handler);
  if (token === undefined) return;
  finalizer.unregister(handler);
  release(token);
}

/** How many live handlers want the wrappers (for tests and diagnostics). */
export function liveSources(): number {
  return state.live;
}

/** The wrapped copies of `@langchain/core` (shared by every copy of this package). */
export function installedCopies(): Map<object, InstalledCopy> {
  return state.installed;
}

export function setIdleCallback(onIdle: () => void): void {
  state.onIdle = onIdle;
}

/**
 * The context in which run `runId` executes, from the first handler in `handlers` (a LangChain run
 * manager's or callback manager's handler list) that knows the run; `undefined` otherwise. Runs
 * on every wrapped call: a loop over a short array and a WeakMap lookup per handler.
 */
export function contextFromHandlers(
  handlers: unknown,
  runId: unknown,
  model?: object,
): Context | undefined {
  if (typeof runId !== "string" || !Array.isArray(handlers)) return undefined;
  const sources = state.sources;
  for (let i = 0; i < handlers.length; i++) {
    const h: unknown = handlers[i];
    if (typeof h !== "object" || h === null) continue;
    const source = sources.get(h);
    if (source === undefined) continue;
    const ctx = source.contextFor(runId);
    if (ctx !== undefined) {
      if (model !== undefined) source.bindModel(runId, model);
      return ctx;
    }
  }
  return undefined;
}

/** Ends run `runId` as cancelled in every handler of `handlers` that knows it; never throws. */
export function cancelInHandlers(handlers: unknown, runId: unknown, reason: CancelReason): void {
  if (typeof runId !== "string" || !Array.isArray(handlers)) return;
  for (const h of handlers) {
    try {
      if (typeof h === "object" && h !== null) state.sources.get(h)?.cancel(runId, reason);
    } catch {}
  }
}
