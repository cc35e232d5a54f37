/**
 * What LangGraph tells a callback handler about a run, read from the places it puts it
 * (`@langchain/langgraph` 1.7, `langchain` 1.5): node identity in the metadata, graph identity in
 * the serialized class and `ls_integration`, control flow and aborts in the errors, a resume in
 * the input. Every reader tolerates missing or wrongly typed input.
 */
import type { Attributes } from "@opentelemetry/api";
import * as S from "../semconv.js";
import { cutString } from "../util/content.js";
import { identifier, isRecord } from "./attributes.js";

type Rec = Record<string, unknown>;

/**
 * Metadata key a user sets on a graph run to say that the graph is an agent, and its name:
 * `graph.withConfig({ metadata: { "gen_ai.agent.name": "triage" } })`.
 */
export const AGENT_NAME_METADATA_KEY = S.ATTR_GEN_AI_AGENT_NAME;

const CREATE_AGENT_INTEGRATION = "langchain_create_agent";
const LANGGRAPH_INTEGRATION = "langgraph";
/** Longest checkpoint namespace recorded (nested subgraphs join one segment per level). */
const MAX_NAMESPACE_LENGTH = 1024;

/** A LangGraph compiled graph, by its serialized class name. */
export function isCompiledGraph(serialized: unknown): boolean {
  const cls = serializedClass(serialized);
  return cls === "CompiledStateGraph" || cls === "CompiledGraph" || cls === "Pregel";
}

/** The legacy `AgentExecutor` (`@langchain/classic`). */
export function isAgentExecutor(serialized: unknown): boolean {
  return serializedClass(serialized) === "AgentExecutor";
}

function serializedClass(serialized: unknown): unknown {
  if (!isRecord(serialized) || !Array.isArray(serialized.id)) return undefined;
  return serialized.id[serialized.id.length - 1];
}

/** The node a run belongs to (`langgraph_node`; inherited by everything a node runs). */
export function nodeOf(metadata: Rec | undefined): string | undefined {
  const node = metadata?.langgraph_node;
  return typeof node === "string" && node ? identifier(node) : undefined;
}

/**
 * Task identity of a node run: node, superstep, checkpoint namespace (`node:taskId`, joined with
 * `|` under subgraphs), the task id, and the index of the `Send` that pushed the task (LangGraph's
 * `langgraph_path` is `["__pregel_push", index, ...]` for those).
 */
export function nodeAttributes(node: string, metadata: Rec): Attributes {
  const attributes: Attributes = { [S.ATTR_LANGGRAPH_NODE]: node };
  if (typeof metadata.langgraph_step === "number")
    attributes[S.ATTR_LANGGRAPH_STEP] = metadata.langgraph_step;
  const ns = metadata.langgraph_checkpoint_ns ?? metadata.checkpoint_ns;
  if (typeof ns === "string" && ns) {
    attributes[S.ATTR_LANGGRAPH_CHECKPOINT_NS] = cutString(ns, MAX_NAMESPACE_LENGTH);
    const last = ns.slice(ns.lastIndexOf("|") + 1);
    const colon = last.indexOf(":");
    if (colon >= 0 && colon < last.length - 1)
      attributes[S.ATTR_LANGGRAPH_TASK_ID] = identifier(last.slice(colon + 1));
  }
  const path = metadata.langgraph_path;
  if (Array.isArray(path) && path[0] === "__pregel_push" && typeof path[1] === "number")
    attributes[S.ATTR_LANGGRAPH_SEND_INDEX] = path[1];
  return attributes;
}

/**
 * What a graph run is, as far as its start tells:
 * - `agent`: a root `createAgent` graph, the legacy `AgentExecutor`, or a graph the user named as
 *   an agent through metadata (`gen_ai.agent.name`; not when it only inherited that from an agent
 *   of the same name around it);
 * - `graph`: a graph that may be an agent, decided when its first node starts: a `createAgent`
 *   graph invoked inside another agent (it inherits the outer agent's metadata, so its metadata
 *   cannot tell it from a plain graph invoked there) and any LangGraph graph over `messages`
 *   or resumed with a `Command` (`createReactAgent` graphs carry no metadata of their own);
 * - `workflow`: any other compiled graph;
 * - `undefined`: not a graph.
 */
export type GraphKind = "agent" | "graph" | "workflow";

export interface GraphClass {
  kind: GraphKind;
  /** The agent name when `kind` is `agent` (or would be, for `graph`). */
  name: string;
}

/** A chain run as `handleChainStart` reports it, for {@link classifyGraph}. */
export interface ChainRunInfo {
  /** The serialized runnable. */
  serialized: unknown;
  inputs: unknown;
  metadata: Rec | undefined;
  runName: string;
  /** The name of the nearest agent above the run, if any. */
  enclosingAgentName: string | undefined;
}

export function classifyGraph(chain: ChainRunInfo): GraphClass | undefined {
  const { serialized, inputs, metadata, runName, enclosingAgentName } = chain;
  if (isAgentExecutor(serialized)) return { kind: "agent", name: runName };
  if (!isCompiledGraph(serialized)) return undefined;
  const marked = metadata?.[AGENT_NAME_METADATA_KEY];
  if (typeof marked === "string" && marked && identifier(marked) !== enclosingAgentName)
    return { kind: "agent", name: identifier(marked) };
  const integration = metadata?.ls_integration;
  const nested = nodeOf(metadata) !== undefined || enclosingAgentName !== undefined;
  if (integration === CREATE_AGENT_INTEGRATION) {
    if (!nested) {
      const own = metadata?.lc_agent_name;
      return { kind: "agent", name: typeof own === "string" && own ? identifier(own) : runName };
    }
    return { kind: "graph", name: runName };
  }
  // A resume's input is a Command, not the state: the graph may be an agent all the same.
  if (
    integration === LANGGRAPH_INTEGRATION &&
    ((isRecord(inputs) && Array.isArray(inputs.messages)) || isResume(inputs))
  )
    return { kind: "graph", name: runName };
  return { kind: "workflow", name: runName };
}

/**
 * Decides a pending graph at its first node: `createAgent` starts with `model_request` (or a
 * middleware's `before_agent` / `before_model` node), `createReactAgent` with `agent` (or its
 * `pre_model_hook`); a run resumed after an interrupt in a tool starts with `tools`. Anything
 * else is a workflow.
 */
export function isAgentEntryNode(node: string): boolean {
  return (
    node === "model_request" ||
    node === "agent" ||
    node === "tools" ||
    node === "pre_model_hook" ||
    node.endsWith(".before_agent") ||
    node.endsWith(".before_model")
  );
}

/**
 * A conditional-edge router: LangGraph runs the routing function as an unnamed `RunnableLambda`
 * directly under the node it routes from (a function's name is not passed to callbacks). An
 * unnamed lambda a node runs itself looks the same; it carries no attributes either.
 */
export function isRouterRun(
  runName: string,
  metadata: Rec | undefined,
  parentNode: string | undefined,
): boolean {
  return (
    runName === "RunnableLambda" && parentNode !== undefined && nodeOf(metadata) === parentNode
  );
}

/**
 * LangGraph control flow (`GraphInterrupt`, `ParentCommand`, ...) reaches the error callbacks but
 * is no failure.
 */
export function isBubbleUp(err: unknown): boolean {
  return isRecord(err) && (err as { is_bubble_up?: unknown }).is_bubble_up === true;
}

/**
 * `interrupt()` (GraphInterrupt, NodeInterrupt), as opposed to other control flow such as
 * `ParentCommand`.
 */
export function isInterrupt(err: unknown, type: string): boolean {
  return isBubbleUp(err) && type.endsWith("Interrupt");
}

/** Input of a run started with `new Command({ resume })`. */
export function isResume(inputs: unknown): boolean {
  return (
    isRecord(inputs) &&
    inputs.lg_name === "Command" &&
    inputs.resume !== undefined &&
    inputs.resume !== null
  );
}

/**
 * An abort, not a failure: an `AbortError` (what `AbortController.abort()` and LangGraph's abort
 * after a consumer stopped reading give), a `ModelAbortError` (a model call cut by the signal),
 * and, on a graph run, LangGraph's own `Error("Abort")` from its abort listener.
 */
export function isAbort(err: unknown, type: string, isGraph: boolean): boolean {
  if (type === "AbortError" || type === "ModelAbortError") return true;
  if (isRecord(err) && (err.name === "AbortError" || err.name === "ModelAbortError")) return true;
  return isGraph && err instanceof Error && type === "Error" && err.message === "Abort";
}

/**
 * Usage a `ModelAbortError` carries in its partial output, if the provider sent some before the
 * abort.
 */
export function partialOutputOf(err: unknown): unknown {
  return isRecord(err) ? err.partialOutput : undefined;
}
