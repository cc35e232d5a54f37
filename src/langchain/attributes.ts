/**
 * Where a LangChain value becomes a span attribute: provider names, request parameters, usage,
 * response model/id and finish reasons, read from the places the field notes name. Every reader
 * tolerates missing or wrongly typed input.
 */
import type { Attributes } from "@opentelemetry/api";
import { cutString } from "../util/content.js";
import { conversationIdFrom } from "../util/conversation.js";
import * as S from "../semconv.js";
import {
  nestedRequestParams,
  rawFinishReason,
  responseIdOf,
  responseModelOf,
  serverOfSettings,
} from "./providers.js";

/**
 * Longest identifier recorded (run, model, provider, tool names; response ids; finish reasons;
 * conversation ids). Real ones are short; a longer value (a bug, hostile input) is cut so that no
 * span, metric point or log record carries an unbounded name.
 */
const MAX_IDENTIFIER_LENGTH = 256;

/** `s` cut to {@link MAX_IDENTIFIER_LENGTH}. */
export function identifier(s: string): string {
  return cutString(s, MAX_IDENTIFIER_LENGTH);
}

type Rec = Record<string, unknown>;

export function isRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null;
}

/** `ls_provider` (and a few class-name spellings) to the conventions' well-known provider names. */
const PROVIDERS: Record<string, string> = {
  openai: "openai",
  anthropic: "anthropic",
  azure: "azure.ai.openai",
  azure_openai: "azure.ai.openai",
  azureopenai: "azure.ai.openai",
  azure_ai: "azure.ai.inference",
  bedrock: "aws.bedrock",
  amazon_bedrock: "aws.bedrock",
  aws: "aws.bedrock",
  bedrock_converse: "aws.bedrock",
  google_vertexai: "gcp.vertex_ai",
  vertexai: "gcp.vertex_ai",
  google_genai: "gcp.gemini",
  google_gemini: "gcp.gemini",
  googlegenerativeai: "gcp.gemini",
  mistral: "mistral_ai",
  mistralai: "mistral_ai",
  mistral_ai: "mistral_ai",
  groq: "groq",
  cohere: "cohere",
  deepseek: "deepseek",
  xai: "x_ai",
  x_ai: "x_ai",
  ibm: "ibm.watsonx.ai",
  watsonx: "ibm.watsonx.ai",
  perplexity: "perplexity",
};

export function providerName(lsProvider: unknown): string | undefined {
  if (typeof lsProvider !== "string" || !lsProvider) return undefined;
  const key = identifier(lsProvider).toLowerCase();
  return PROVIDERS[key] ?? key;
}

/** Run name: LangChain's `runName`, else the last element of `serialized.id`. */
export function runNameOf(serialized: unknown, runName: unknown, fallback: string): string {
  if (typeof runName === "string" && runName) return identifier(runName);
  if (isRecord(serialized)) {
    if (typeof serialized.name === "string" && serialized.name) return identifier(serialized.name);
    const id = serialized.id;
    if (Array.isArray(id) && id.length && typeof id[id.length - 1] === "string")
      return identifier(id[id.length - 1] as string);
  }
  return fallback;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? identifier(v) : undefined;
}

/** Model requested: invocation params first (what was sent), then LangChain's `ls_model_name`. */
export function requestModel(
  params: Rec | undefined,
  metadata: Rec | undefined,
): string | undefined {
  return (
    str(params?.model) ??
    str(params?.model_name) ??
    str(params?.modelName) ??
    str(params?.model_id) ??
    str(metadata?.ls_model_name)
  );
}

/** Request parameters onto `attrs` (only those known). */
export function addRequestParams(
  attrs: Attributes,
  invocationParams: Rec | undefined,
  metadata: Rec | undefined,
): void {
  // Gemini, Ollama and Bedrock nest their sampling parameters.
  const nested = nestedRequestParams(invocationParams);
  const params = nested === undefined ? invocationParams : { ...invocationParams, ...nested };
  const temperature = num(params?.temperature) ?? num(metadata?.ls_temperature);
  if (temperature !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  const maxTokens =
    num(params?.max_tokens) ??
    num(params?.max_completion_tokens) ??
    num(params?.maxTokens) ??
    num(params?.max_output_tokens) ??
    num(metadata?.ls_max_tokens);
  if (maxTokens !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  if (!params) return;
  const topP = num(params.top_p) ?? num(params.topP);
  if (topP !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_TOP_P] = topP;
  const topK = num(params.top_k) ?? num(params.topK);
  if (topK !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_TOP_K] = topK;
  const fp = num(params.frequency_penalty) ?? num(params.frequencyPenalty);
  if (fp !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY] = fp;
  const pp = num(params.presence_penalty) ?? num(params.presencePenalty);
  if (pp !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY] = pp;
  const seed = num(params.seed);
  if (seed !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_SEED] = seed;
  const n = num(params.n);
  if (n !== undefined && n !== 1) attrs[S.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
  const stop = params.stop ?? params.stop_sequences ?? params.stopSequences;
  if (typeof stop === "string") attrs[S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [identifier(stop)];
  else if (Array.isArray(stop) && stop.length && stop.every((s) => typeof s === "string")) {
    attrs[S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = (stop as string[]).slice(0, 16).map(identifier);
  }
  const rf = params.response_format;
  if (isRecord(rf) && typeof rf.type === "string")
    attrs[S.ATTR_GEN_AI_OUTPUT_TYPE] = rf.type === "text" ? "text" : "json";
}

/**
 * Request attributes only the latest GenAI conventions define: the reasoning level as sent
 * (OpenAI `reasoning_effort`, or `reasoning.effort` of the Responses API) and the previous
 * response a request continues (`previous_response_id`).
 */
export function addLatestRequestParams(attrs: Attributes, params: Rec | undefined): void {
  if (!params) return;
  const reasoning = isRecord(params.reasoning) ? params.reasoning.effort : undefined;
  const level = params.reasoning_effort ?? reasoning;
  if (typeof level === "string" && level)
    attrs[S.ATTR_GEN_AI_REQUEST_REASONING_LEVEL] = identifier(level);
  const previous = params.previous_response_id;
  if (typeof previous === "string" && previous)
    attrs[S.ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID] = identifier(previous);
}

/**
 * `server.address`/`server.port` from the settings the integration serializes (see
 * `serverOfSettings`): only the host and port are read; nothing else of the configuration.
 */
export function serverOf(
  serialized: unknown,
  params: Rec | undefined,
): { address: string; port: number } | undefined {
  const server = serverOfSettings(serialized, params);
  return server === undefined
    ? undefined
    : { address: identifier(server.address), port: server.port };
}

/**
 * Conversation id from run metadata (`conversation_id`, `session_id`, `thread_id`: the one rule
 * of util/conversation.ts).
 */
export function conversationId(metadata: Rec | undefined): string | undefined {
  return metadata ? conversationIdFrom((key) => metadata[key]) : undefined;
}

export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
}

/**
 * Token usage as reported by the provider: `message.usage_metadata` first, then
 * `llmOutput.tokenUsage`. Never `estimatedTokenUsage`. Cached and reasoning tokens are already
 * included in input/output (as the conventions define them): nothing is subtracted.
 */
export function usageOf(output: Rec): Usage | undefined {
  const gens = output.generations;
  if (Array.isArray(gens)) {
    let found: Usage | undefined;
    for (const group of gens) {
      if (!Array.isArray(group)) continue;
      for (const g of group) {
        const um = isRecord(g) && isRecord(g.message) ? g.message.usage_metadata : undefined;
        if (!isRecord(um)) continue;
        const u: Usage = { input: num(um.input_tokens), output: num(um.output_tokens) };
        const inDetails = um.input_token_details;
        if (isRecord(inDetails)) {
          u.cacheRead = num(inDetails.cache_read);
          u.cacheCreation = num(inDetails.cache_creation);
        }
        const outDetails = um.output_token_details;
        if (isRecord(outDetails)) u.reasoning = num(outDetails.reasoning);
        found = found ? addUsage(found, u) : u;
      }
    }
    if (found) return found;
  }
  const llmOutput = output.llmOutput;
  if (isRecord(llmOutput)) {
    const tu = llmOutput.tokenUsage ?? llmOutput.token_usage;
    if (isRecord(tu)) {
      const input = num(tu.promptTokens) ?? num(tu.prompt_tokens) ?? num(tu.input_tokens);
      const out = num(tu.completionTokens) ?? num(tu.completion_tokens) ?? num(tu.output_tokens);
      if (input !== undefined || out !== undefined) return { input, output: out };
    }
  }
  return undefined;
}

function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : x + y);
  return {
    input: sum(a.input, b.input),
    output: sum(a.output, b.output),
    cacheRead: sum(a.cacheRead, b.cacheRead),
    cacheCreation: sum(a.cacheCreation, b.cacheCreation),
    reasoning: sum(a.reasoning, b.reasoning),
  };
}

export interface ResponseInfo {
  model?: string;
  id?: string;
  provider?: string;
  /** The provider's own values, one per generation that has one (see `rawFinishReason`). */
  finishReasons: string[];
}

/**
 * Response model, id, provider and finish reasons of an `LLMResult`, read per provider
 * (providers.ts).
 */
export function responseOf(output: Rec): ResponseInfo {
  const info: ResponseInfo = { finishReasons: [] };
  const gens = output.generations;
  if (Array.isArray(gens)) {
    for (const group of gens) {
      if (!Array.isArray(group)) continue;
      for (const g of group) {
        if (!isRecord(g)) continue;
        const msg = isRecord(g.message) ? g.message : undefined;
        const rm = msg && isRecord(msg.response_metadata) ? msg.response_metadata : undefined;
        const raw = rawFinishReason(g);
        if (raw !== undefined) info.finishReasons.push(identifier(raw));
        if (!info.model) info.model = str(responseModelOf(g));
        if (!info.provider) info.provider = str(rm?.model_provider);
        if (!info.id) info.id = str(responseIdOf(g));
      }
    }
  }
  const llmOutput = output.llmOutput;
  if (!info.model && isRecord(llmOutput))
    info.model = str(llmOutput.model_name) ?? str(llmOutput.model);
  return info;
}

/**
 * The agent named by inherited metadata (`createAgent`'s `lc_agent_name`): only used when the run
 * tree has no agent (inside a nested agent, inherited metadata names the outer one).
 */
export function fallbackAgentName(metadata: Rec | undefined): string | undefined {
  const name = metadata?.lc_agent_name;
  return typeof name === "string" && name ? identifier(name) : undefined;
}

/** A retrieved document as recorded: id, relevance score (when the retriever gave one), text. */
export interface RetrievedDocument {
  id: string;
  score?: number;
  content: unknown;
}

/**
 * The first 100 retrieved documents; `scored` tells whether every one of them has a score
 * (the conventions' schema requires one per document).
 */
export function retrievedDocuments(documents: readonly unknown[]): {
  docs: RetrievedDocument[];
  scored: boolean;
} {
  let scored = true;
  const docs = documents.slice(0, 100).map((d, i) => {
    const doc = isRecord(d) ? d : {};
    const meta = isRecord(doc.metadata) ? doc.metadata : {};
    const id = doc.id ?? meta.id ?? meta.source ?? String(i);
    const score = scoreOf(meta);
    if (score === undefined) scored = false;
    return { id: String(id), ...(score !== undefined ? { score } : {}), content: doc.pageContent };
  });
  return { docs, scored };
}

/** A retrieved document's relevance score, where retrievers and rerankers put it in metadata. */
function scoreOf(meta: Rec): number | undefined {
  for (const key of ["score", "relevance_score", "relevanceScore", "_score", "similarity_score"]) {
    const v = meta[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}
