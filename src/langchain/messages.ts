/**
 * LangChain messages to the GenAI conventions' message schemas (gen-ai-input-messages.json,
 * gen-ai-output-messages.json, gen-ai-system-instructions.json, gen-ai-tool-definitions.json).
 * Only called when content capture is on. Messages are read field by field, never through
 * JSON.stringify (which gives LangChain's constructor form and could carry configuration).
 */
import { hasToolCalls, normaliseFinishReason, rawFinishReason } from "./providers.js";

import { langChainMessageType } from "../util/messages.js";
import { isRecord } from "./attributes.js";

export type Part = Record<string, unknown> & { type: string };
export interface ChatMessage {
  role: string;
  parts: Part[];
  name?: string;
}
export interface OutputMessage extends ChatMessage {
  /** v1.41.0 requires it; the latest conventions deprecate it (see {@link withoutFinishReason}). */
  finish_reason?: string;
}

type AnyMessage = Record<string, unknown>;

/** The LangChain type of a message (`human`, `ai`, `system`, `tool`, ...). */
function messageType(msg: AnyMessage): string {
  const type = langChainMessageType(msg);
  if (type !== undefined) return type;
  return typeof msg.type === "string" ? msg.type : typeof msg.role === "string" ? msg.role : "user";
}

const ROLE_BY_TYPE: Record<string, string> = {
  human: "user",
  user: "user",
  ai: "assistant",
  assistant: "assistant",
  AIMessageChunk: "assistant",
  system: "system",
  developer: "system",
  tool: "tool",
  function: "tool",
  generic: "user",
};

function roleOf(msg: AnyMessage): string {
  const t = messageType(msg);
  if (t === "generic" && typeof msg.role === "string") return msg.role;
  return ROLE_BY_TYPE[t] ?? t;
}

/** Content (a string or LangChain content blocks) to GenAI parts. */
function contentParts(content: unknown): Part[] {
  if (typeof content === "string") return content.length ? [{ type: "text", content }] : [];
  if (!Array.isArray(content))
    return content == null ? [] : [{ type: "text", content: String(content) }];
  const parts: Part[] = [];
  for (const block of content) {
    if (typeof block === "string") parts.push({ type: "text", content: block });
    else if (block && typeof block === "object") {
      const part = blockPart(block as Record<string, unknown>);
      if (part !== undefined) parts.push(part);
    }
  }
  return parts;
}

/** One content block as a GenAI part (`undefined`: nothing to record). */
function blockPart(b: Record<string, unknown>): Part | undefined {
  switch (b.type) {
    case "text":
    case "text-plain": {
      // Streams leave empty text blocks behind (a block's opening, an annotation): no empty parts.
      const text = String(b.text ?? b.content ?? "");
      return text ? { type: "text", content: text } : undefined;
    }
    case "reasoning":
      return { type: "reasoning", content: String(b.reasoning ?? b.text ?? b.content ?? "") };
    case "thinking":
      return { type: "reasoning", content: String(b.thinking ?? "") };
    case "image_url": {
      const url =
        typeof b.image_url === "string"
          ? b.image_url
          : (b.image_url as { url?: string } | undefined)?.url;
      return url ? mediaPart("image", url, undefined) : undefined;
    }
    case "image":
    case "audio":
    case "video":
    case "file":
      return mediaBlockPart(b);
    case "tool_use":
    case "tool_call":
    case "tool_call_chunk":
    case "function_call":
    case "functionCall": // Gemini
    case "input_json_delta": // Anthropic streams: the tool input, already in tool_calls
      return undefined; // carried by message.tool_calls
    default:
      return typeof b.type === "string" ? { type: b.type } : undefined;
  }
}

/** An image, audio, video or file block: by URL, inline data, or provider file id. */
function mediaBlockPart(b: Record<string, unknown>): Part | undefined {
  // Anthropic's native form keeps the data under `source`.
  const src =
    b.source && typeof b.source === "object" ? (b.source as Record<string, unknown>) : undefined;
  const mime = (b.mimeType ?? b.mime_type ?? src?.media_type) as string | undefined;
  const modality = b.type === "file" ? fileModality(mime) : (b.type as string);
  const data =
    typeof b.data === "string" ? b.data : typeof src?.data === "string" ? src.data : undefined;
  const url =
    typeof b.url === "string" ? b.url : typeof src?.url === "string" ? src.url : undefined;
  if (url !== undefined) return mediaPart(modality, url, mime);
  if (data !== undefined)
    return { type: "blob", modality, ...(mime ? { mime_type: mime } : {}), content: data };
  if (typeof b.fileId === "string" || typeof b.id === "string")
    return {
      type: "file",
      modality,
      ...(mime ? { mime_type: mime } : {}),
      file_id: String(b.fileId ?? b.id),
    };
  return undefined;
}

/**
 * A file block's modality from its MIME type (`image/png` -> `image`); documents (PDF, ...) are
 * `document`.
 */
function fileModality(mime: string | undefined): string {
  const top = typeof mime === "string" ? mime.split("/")[0] : "";
  return top === "image" || top === "audio" || top === "video" ? top : "document";
}

function mediaPart(modality: string, url: string, mime: string | undefined): Part {
  const m = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(url);
  if (m)
    return {
      type: "blob",
      modality,
      ...(m[1] || mime ? { mime_type: m[1] || mime } : {}),
      content: m[3],
    };
  return { type: "uri", modality, ...(mime ? { mime_type: mime } : {}), uri: url };
}

function toolCallParts(msg: AnyMessage): Part[] {
  const calls = msg.tool_calls;
  if (!Array.isArray(calls)) return [];
  const parts: Part[] = [];
  for (const c of calls) {
    if (!c || typeof c !== "object") continue;
    const call = c as { id?: unknown; name?: unknown; args?: unknown };
    parts.push({
      type: "tool_call",
      ...(call.id != null ? { id: String(call.id) } : {}),
      name: String(call.name ?? ""),
      arguments: call.args ?? {},
    });
  }
  return parts;
}

/** One LangChain message to a GenAI chat message. */
function toChatMessage(msg: unknown): ChatMessage {
  if (!msg || typeof msg !== "object") return { role: "user", parts: contentParts(msg) };
  const m = msg as AnyMessage;
  const role = roleOf(m);
  if (role === "tool") {
    return {
      role,
      parts: [
        {
          type: "tool_call_response",
          ...(m.tool_call_id != null ? { id: String(m.tool_call_id) } : {}),
          response: textOf(m.content),
        },
      ],
    };
  }
  const parts = contentParts(m.content);
  if (role === "assistant") parts.push(...toolCallParts(m));
  const out: ChatMessage = { role, parts };
  if (typeof m.name === "string" && m.name) out.name = m.name;
  return out;
}

function textOf(content: unknown): unknown {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts = contentParts(content)
      .filter((p) => p.type === "text")
      .map((p) => p.content as string);
    if (texts.length === content.length) return texts.join("");
  }
  return content;
}

/**
 * Chat history: system messages go to `gen_ai.system_instructions`, the rest to
 * `gen_ai.input.messages`.
 */
export function splitInput(messages: unknown): { system: Part[]; input: ChatMessage[] } {
  const system: Part[] = [];
  const input: ChatMessage[] = [];
  if (!Array.isArray(messages)) return { system, input };
  for (const msg of messages) {
    const chat = toChatMessage(msg);
    if (chat.role === "system") system.push(...chat.parts);
    else input.push(chat);
  }
  return { system, input };
}

/** Prompts of a text-completion model as user messages. */
export function promptMessages(prompts: unknown): ChatMessage[] {
  if (!Array.isArray(prompts)) return [];
  return prompts.map((p) => ({ role: "user", parts: [{ type: "text", content: String(p) }] }));
}

/** LLM generations to GenAI output messages, each with its finish reason (see providers.ts). */
export function outputMessages(generations: unknown): OutputMessage[] {
  const out: OutputMessage[] = [];
  if (!Array.isArray(generations)) return out;
  for (const group of generations) {
    if (!Array.isArray(group)) continue;
    for (const gen of group) {
      const g = (gen ?? {}) as { text?: unknown; message?: AnyMessage };
      const base = g.message
        ? toChatMessage(g.message)
        : { role: "assistant", parts: contentParts(g.text) };
      out.push({
        role: "assistant",
        parts: base.parts,
        finish_reason: normaliseFinishReason(rawFinishReason(gen), hasToolCalls(gen)),
      });
    }
  }
  return out;
}

/**
 * A message already in a conversation (an agent's last message) as an output message: the
 * schema requires a finish reason, taken from the message's response metadata, else
 * `tool_call` when it asks for tools, else `stop`.
 */
export function toOutputMessage(msg: unknown): OutputMessage {
  const chat = toChatMessage(msg);
  const m = (msg && typeof msg === "object" ? msg : {}) as AnyMessage;
  const generation = { message: m };
  return {
    ...chat,
    finish_reason: normaliseFinishReason(rawFinishReason(generation), hasToolCalls(generation)),
  };
}

/** `invocation_params.tools` (OpenAI function format or plain) to `gen_ai.tool.definitions`. */
export function toolDefinitions(tools: unknown): Part[] {
  if (!Array.isArray(tools)) return [];
  const defs: Part[] = [];
  for (const t of tools) {
    if (!t || typeof t !== "object") continue;
    const tool = t as Record<string, unknown>;
    const fn = (tool.function ?? tool) as Record<string, unknown>;
    const def: Part = {
      type: typeof tool.type === "string" ? tool.type : "function",
      name: String(fn.name ?? ""),
    };
    if (typeof fn.description === "string") def.description = fn.description;
    const params = fn.parameters ?? fn.input_schema ?? fn.schema;
    if (params && typeof params === "object") def.parameters = params;
    defs.push(def);
  }
  return defs;
}

/** Whether a streamed chunk (`handleLLMNewToken`'s fields) carries output: text or a tool call. */
export function hasChunkContent(fields: unknown): boolean {
  const chunk = isRecord(fields) ? fields.chunk : undefined;
  if (!isRecord(chunk)) return false;
  const msg = isRecord(chunk.message) ? chunk.message : undefined;
  if (typeof chunk.text === "string" && chunk.text.length) return true;
  if (msg && Array.isArray(msg.tool_call_chunks) && msg.tool_call_chunks.length) return true;
  return false;
}

/**
 * A workflow's input as GenAI input messages: its messages when it has some (`{messages: [...]}`
 * or an array of messages, system messages dropped as for agents), otherwise one user message
 * holding the input as text: a string as it is, an object with one string field as that string
 * (`{question: "..."}`, a prompt template's variables), anything else as JSON. Bounded later by
 * the caller's content limit.
 */
export function workflowInputMessages(inputs: unknown): ChatMessage[] | undefined {
  if (inputs === undefined || inputs === null) return undefined;
  const messages =
    typeof inputs === "object" && Array.isArray((inputs as AnyMessage).messages)
      ? (inputs as AnyMessage).messages
      : Array.isArray(inputs) && inputs.length && inputs.every((m) => typeof m === "object")
        ? inputs
        : undefined;
  if (messages !== undefined) return splitInput(messages).input;
  let textInput: string | undefined;
  if (typeof inputs === "string") textInput = inputs;
  else if (typeof inputs === "object") {
    const values = Object.values(inputs as AnyMessage);
    if (values.length === 1 && typeof values[0] === "string") textInput = values[0];
  }
  if (textInput === undefined) {
    try {
      textInput = JSON.stringify(inputs);
    } catch {
      return undefined;
    }
  }
  if (textInput === undefined) return undefined;
  return [{ role: "user", parts: [{ type: "text", content: textInput }] }];
}

/**
 * Output messages without their `finish_reason`: the latest conventions deprecate it in favour of
 * `gen_ai.response.finish_reasons` (which the span and record carry anyway).
 */
export function withoutFinishReason(messages: OutputMessage[]): OutputMessage[] {
  return messages.map(({ finish_reason: _, ...m }) => m);
}
