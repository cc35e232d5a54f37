/**
 * What each provider integration puts where: finish reasons, response model and id, server
 * address, nested request parameters, whether a call streamed, and the token counts LangChain
 * gets wrong where the provider's own figures are still reachable. Pure functions over LangChain
 * payloads (callback arguments, results, chunks, the model object); no OpenTelemetry calls.
 *
 * Integrations read (versions the tests pin): ChatOpenAI (Chat Completions and `useResponsesApi`),
 * AzureChatOpenAI, ChatAnthropic, ChatGoogleGenerativeAI, ChatOllama, ChatBedrockConverse, and any
 * OpenAI-compatible server. The README's provider table says what each gives and what is missing.
 */

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

// ------------------------------------------------------------------ finish reasons

/**
 * Provider finish values to the GenAI conventions' set (`stop`, `length`, `content_filter`,
 * `tool_call`, `error`: the output-message schema's enum). Values not listed are kept verbatim
 * (e.g. Anthropic `pause_turn`, Gemini `MALFORMED_FUNCTION_CALL`, Ollama `load`). The README's
 * finish-reason table is this table.
 */
const FINISH_REASONS: Record<string, string> = {
  // OpenAI Chat Completions (and compatible servers), Ollama
  stop: "stop",
  length: "length",
  tool_calls: "tool_call",
  function_call: "tool_call",
  content_filter: "content_filter",
  // Anthropic Messages API, Bedrock Converse
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_call",
  refusal: "content_filter",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
  // Gemini
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  // OpenAI Responses API: `status` / `incomplete_details.reason`
  completed: "stop",
  max_output_tokens: "length",
  failed: "error",
  // already in the conventions' vocabulary
  tool_call: "tool_call",
  error: "error",
};

/**
 * A provider's finish value in the conventions' vocabulary. A natural stop of a reply that calls
 * tools is `tool_call`: Gemini (`STOP`), Ollama (`stop`) and the Responses API (`completed`) say
 * nothing else for it, unlike OpenAI (`tool_calls`), Anthropic and Bedrock (`tool_use`).
 */
export function normaliseFinishReason(raw: string | undefined, hasToolCalls: boolean): string {
  const mapped = raw === undefined ? "stop" : (FINISH_REASONS[raw] ?? raw);
  return mapped === "stop" && hasToolCalls ? "tool_call" : mapped;
}

/**
 * The provider's own finish value of one generation, wherever its integration put it:
 * `finish_reason` (OpenAI), `stop_reason` (Anthropic; in `additional_kwargs` on streams),
 * `finishReason` (Gemini), `done_reason` (Ollama), `stopReason` / `messageStop.stopReason`
 * (Bedrock Converse / ConverseStream), `status` + `incomplete_details.reason` (Responses API).
 */
export function rawFinishReason(generation: unknown): string | undefined {
  if (!isRecord(generation)) return undefined;
  const gi = isRecord(generation.generationInfo) ? generation.generationInfo : undefined;
  const msg = isRecord(generation.message) ? generation.message : undefined;
  const rm = msg && isRecord(msg.response_metadata) ? msg.response_metadata : undefined;
  const ak = msg && isRecord(msg.additional_kwargs) ? msg.additional_kwargs : undefined;
  const direct =
    str(gi?.finish_reason) ??
    str(rm?.finish_reason) ??
    str(rm?.stop_reason) ??
    str(gi?.stop_reason) ??
    str(ak?.stop_reason) ??
    str(gi?.finishReason) ??
    str(rm?.finishReason) ??
    str(rm?.done_reason) ??
    str(rm?.stopReason) ??
    (isRecord(rm?.messageStop) ? str(rm.messageStop.stopReason) : undefined);
  if (direct !== undefined) return direct;
  // The Responses API has a status, not a finish reason; `incomplete` says why.
  if (rm?.object === "response") {
    const status = str(rm.status);
    if (status === "incomplete" && isRecord(rm.incomplete_details))
      return str(rm.incomplete_details.reason) ?? status;
    return status;
  }
  return undefined;
}

/** Whether a generation's message asks for tools. */
export function hasToolCalls(generation: unknown): boolean {
  const msg = isRecord(generation) && isRecord(generation.message) ? generation.message : undefined;
  return Array.isArray(msg?.tool_calls) && msg.tool_calls.length > 0;
}

// ------------------------------------------------------------------ response model and id

/**
 * The model that answered: `response_metadata.model_name` (OpenAI; read first because the
 * Responses API stream concatenates `model` with itself), `model` (Anthropic, Ollama),
 * `additional_kwargs.model` (Anthropic streams). Gemini's `modelVersion` never reaches LangChain's
 * output; Bedrock's Converse API has no response model.
 */
export function responseModelOf(generation: Rec): string | undefined {
  const msg = isRecord(generation.message) ? generation.message : undefined;
  const rm = msg && isRecord(msg.response_metadata) ? msg.response_metadata : undefined;
  const gi = isRecord(generation.generationInfo) ? generation.generationInfo : undefined;
  const ak = msg && isRecord(msg.additional_kwargs) ? msg.additional_kwargs : undefined;
  return str(rm?.model_name) ?? str(rm?.model) ?? str(gi?.model_name) ?? str(ak?.model);
}

/**
 * The provider's response id: `message.id` (OpenAI, Anthropic, the Responses API; Bedrock's AWS
 * request id), else `response_metadata.id`. LangChain fills `run-<uuid>` (`lc_run--<uuid>`) when
 * the provider gave none (Gemini, Ollama, Bedrock streams): that is not a response id.
 */
export function responseIdOf(generation: Rec): string | undefined {
  const msg = isRecord(generation.message) ? generation.message : undefined;
  const rm = msg && isRecord(msg.response_metadata) ? msg.response_metadata : undefined;
  const id = str(msg?.id) ?? str(rm?.id);
  return id && !id.startsWith("run-") && !id.startsWith("lc_run") ? id : undefined;
}

// ------------------------------------------------------------------ server address

export interface ServerAddress {
  address: string;
  port: number;
}

/** Host and port of a URL (the default port of its scheme when it names none); nothing else. */
export function serverOfUrl(url: unknown): ServerAddress | undefined {
  if (typeof url !== "string" || !url) return undefined;
  try {
    const u = new URL(url);
    const port = u.port
      ? Number(u.port)
      : u.protocol === "https:" || u.protocol === "wss:"
        ? 443
        : u.protocol === "http:" || u.protocol === "ws:"
          ? 80
          : undefined;
    if (!u.hostname || port === undefined) return undefined;
    return { address: u.hostname.replace(/^\[(.*)\]$/, "$1"), port };
  } catch {
    return undefined;
  }
}

/**
 * `server.address`/`server.port` from the serialized settings an integration exposes (never
 * anything but host and port): `base_url`/`baseURL`/`configuration.baseURL` (OpenAI and
 * compatible, Gemini), `anthropic_api_url` (Anthropic), `azure_endpoint` / `openai_api_base` /
 * the instance name (Azure OpenAI), or the invocation parameters' base URL. Ollama and Bedrock
 * serialize nothing: see {@link serverOfModelInstance}.
 */
export function serverOfSettings(
  serialized: unknown,
  params: Rec | undefined,
): ServerAddress | undefined {
  const fromParams = serverOfUrl(params?.baseURL ?? params?.base_url ?? params?.baseUrl);
  if (fromParams) return fromParams;
  const kw = isRecord(serialized) && isRecord(serialized.kwargs) ? serialized.kwargs : undefined;
  if (kw === undefined) return undefined;
  const conf = isRecord(kw.configuration) ? kw.configuration : undefined;
  const url =
    kw.base_url ??
    kw.baseURL ??
    kw.base_path ??
    conf?.baseURL ??
    conf?.basePath ??
    kw.anthropic_api_url ??
    kw.azure_endpoint ??
    kw.openai_api_base;
  const server = serverOfUrl(url);
  if (server) return server;
  const instance =
    str(kw.azure_open_ai_api_instance_name) ?? str(kw.azure_openai_api_instance_name);
  if (instance && /^[A-Za-z0-9-]+$/.test(instance))
    return { address: `${instance}.openai.azure.com`, port: 443 };
  return undefined;
}

/**
 * The server of a model object, for integrations whose endpoint is not in the serialized settings:
 * Ollama's `baseUrl`; Azure OpenAI's endpoint, base path or instance name (on the object or in
 * its `fields`); Bedrock's `endpointHost`, else the regional runtime endpoint
 * (`bedrock-runtime.<region>.amazonaws.com`) unless the model was given its own client with a
 * custom endpoint (the AWS SDK keeps that behind an async provider: read with
 * {@link customEndpointOfModelInstance}).
 */
export function serverOfModelInstance(model: unknown): ServerAddress | undefined {
  if (!isRecord(model)) return undefined;
  const base = serverOfUrl(model.baseUrl);
  if (base) return base;
  const azure =
    azureServerOf(model) ?? (isRecord(model.fields) ? azureServerOf(model.fields) : undefined);
  if (azure) return azure;
  const client = isRecord(model.client) ? model.client : undefined;
  const config = client && isRecord(client.config) ? client.config : undefined;
  const host = str(model.endpointHost);
  if (host) return serverOfUrl(`https://${host}`);
  if (config?.isCustomEndpoint === true) return undefined;
  const region = str(model.region);
  if (region && config !== undefined && /^[a-z0-9-]+$/.test(region))
    return { address: `bedrock-runtime.${region}.amazonaws.com`, port: 443 };
  return undefined;
}

/**
 * Azure OpenAI settings on a model object or its constructor fields: `AzureChatOpenAI.withConfig`
 * (and `bindTools`) return a plain ChatOpenAI that keeps them only in `fields`.
 */
function azureServerOf(o: Rec): ServerAddress | undefined {
  const url = serverOfUrl(o.azureOpenAIEndpoint) ?? serverOfUrl(o.azureOpenAIBasePath);
  if (url) return url;
  const instance = str(o.azureOpenAIApiInstanceName);
  return instance && /^[A-Za-z0-9-]+$/.test(instance)
    ? { address: `${instance}.openai.azure.com`, port: 443 }
    : undefined;
}

/**
 * An AWS SDK client's custom endpoint (`new BedrockRuntimeClient({ endpoint })`), which the SDK
 * only exposes through an async provider. Undefined when the model has none.
 */
export function customEndpointOfModelInstance(
  model: unknown,
): Promise<ServerAddress | undefined> | undefined {
  const client = isRecord(model) && isRecord(model.client) ? model.client : undefined;
  const config = client && isRecord(client.config) ? client.config : undefined;
  if (config?.isCustomEndpoint !== true || typeof config.endpoint !== "function") return undefined;
  try {
    return Promise.resolve((config.endpoint as () => unknown)()).then(
      (e) => {
        if (!isRecord(e) || typeof e.hostname !== "string" || !e.hostname) return undefined;
        const protocol = str(e.protocol) ?? "https:";
        const port = num(e.port) ?? (protocol === "http:" ? 80 : 443);
        return { address: e.hostname, port };
      },
      () => undefined,
    );
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ request parameters

/**
 * Request parameters some integrations nest: Gemini's `generationConfig`, Ollama's `options`,
 * Bedrock's `inferenceConfig`. Returned flattened under the snake_case names the generic reader
 * knows; top-level parameters win.
 */
export function nestedRequestParams(params: Rec | undefined): Rec | undefined {
  if (params === undefined) return undefined;
  const nested =
    (isRecord(params.generationConfig) && params.generationConfig) ||
    (isRecord(params.inferenceConfig) && params.inferenceConfig) ||
    (isRecord(params.options) && params.options) ||
    undefined;
  if (!nested) return undefined;
  const out: Rec = {};
  const pick = (to: string, ...from: string[]) => {
    for (const key of from) {
      if (nested[key] !== undefined && params[to] === undefined) {
        out[to] = nested[key];
        return;
      }
    }
  };
  pick("temperature", "temperature");
  pick("max_tokens", "maxOutputTokens", "maxTokens", "num_predict");
  pick("top_p", "topP", "top_p");
  pick("top_k", "topK", "top_k");
  pick("frequency_penalty", "frequencyPenalty", "frequency_penalty");
  pick("presence_penalty", "presencePenalty", "presence_penalty");
  pick("seed", "seed");
  pick("stop", "stopSequences", "stop");
  if (Array.isArray(out.stop) && out.stop.length === 0) delete out.stop;
  return Object.keys(out).length ? out : undefined;
}

// ------------------------------------------------------------------ streaming

/**
 * Whether a `handleLLMNewToken` carried a chunk: integrations that stream over the wire pass
 * `fields.chunk` (OpenAI, Anthropic, Ollama, Bedrock, the Responses API); Gemini passes no fields,
 * streaming or not, and calls it once inside its non-streaming `_generate` too.
 */
export function isChunkToken(fields: unknown): boolean {
  return isRecord(fields) && isRecord(fields.chunk);
}

/**
 * Whether a result was assembled from stream chunks: `ChatGenerationChunk` / `GenerationChunk`
 * (with `concat`), or an `AIMessageChunk`. Core's `.stream()` path and integrations that stream
 * inside `_generate` (`streaming: true`) hand these to `handleLLMEnd`; a plain call gives a
 * generation object and an `AIMessage`. Ollama streams every call over the wire but converts the
 * result to an `AIMessage`: its tokens carry chunks ({@link isChunkToken}).
 */
export function isStreamedResult(output: unknown): boolean {
  const gens = isRecord(output) ? output.generations : undefined;
  if (!Array.isArray(gens)) return false;
  for (const group of gens) {
    if (!Array.isArray(group)) continue;
    for (const g of group) {
      if (!isRecord(g)) continue;
      if (typeof g.concat === "function") return true;
      const msg = g.message;
      if (isRecord(msg) && typeof msg.concat === "function") return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ usage corrections

/**
 * Anthropic streams: the final, cumulative output count of `message_delta` (LangChain adds
 * `message_start`'s provisional `output_tokens: 1` to it: 15 for 14). Read from the chunk that
 * carries `stop_reason` in its `additional_kwargs` and usage with `input_tokens: 0`, which is how
 * `@langchain/anthropic` passes `message_delta` on.
 */
export function anthropicFinalOutputTokens(fields: unknown): number | undefined {
  const chunk = isRecord(fields) && isRecord(fields.chunk) ? fields.chunk : undefined;
  const msg = chunk && isRecord(chunk.message) ? chunk.message : undefined;
  const ak = msg && isRecord(msg.additional_kwargs) ? msg.additional_kwargs : undefined;
  const um = msg && isRecord(msg.usage_metadata) ? msg.usage_metadata : undefined;
  if (ak === undefined || um === undefined || !("stop_reason" in ak)) return undefined;
  if (um.input_tokens !== 0) return undefined;
  return num(um.output_tokens);
}
