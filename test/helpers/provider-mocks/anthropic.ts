/**
 * Anthropic's Messages API (`POST /v1/messages`): a JSON message, or the SSE stream
 * (`message_start`, `content_block_start`, `ping`, `content_block_delta` with `text_delta` /
 * `input_json_delta`, `content_block_stop`, `message_delta` with the final usage, `message_stop`).
 * In a stream `message_start` carries `output_tokens: 1` and `message_delta` the final, cumulative
 * output count, as the real API sends them.
 */
import { piecesOf, Script, type ProviderReply } from "./common.js";
import { sse, startMockServer, type MockResponse, type MockServer } from "./server.js";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface AnthropicReply extends ProviderReply {
  usage: AnthropicUsage;
}

export interface AnthropicMock extends MockServer {
  script: Script<AnthropicReply>;
}

function usageJson(u: AnthropicUsage): Record<string, unknown> {
  return {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
    output_tokens: u.output_tokens,
    service_tier: "standard",
  };
}

function stopReason(r: AnthropicReply): string {
  return r.finish ?? (r.toolCalls?.length ? "tool_use" : "end_turn");
}

function message(r: AnthropicReply, model: string): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (r.text) content.push({ type: "text", text: r.text });
  for (const t of r.toolCalls ?? [])
    content.push({ type: "tool_use", id: t.id, name: t.name, input: t.args });
  return {
    id: r.id ?? "msg_mock",
    type: "message",
    role: "assistant",
    model: r.model ?? model,
    content,
    stop_reason: stopReason(r),
    stop_sequence: null,
    usage: usageJson(r.usage),
  };
}

function stream(r: AnthropicReply, model: string): string[] {
  const events: { event: string; data: unknown }[] = [];
  const e = (event: string, data: Record<string, unknown>) =>
    events.push({ event, data: { type: event, ...data } });
  e("message_start", {
    message: {
      ...message(r, model),
      content: [],
      stop_reason: null,
      usage: { ...usageJson(r.usage), output_tokens: 1 },
    },
  });
  let index = 0;
  if (r.text) {
    e("content_block_start", { index, content_block: { type: "text", text: "" } });
    e("ping", {});
    for (const p of piecesOf(r))
      e("content_block_delta", { index, delta: { type: "text_delta", text: p } });
    e("content_block_stop", { index });
    index++;
  }
  for (const t of r.toolCalls ?? []) {
    e("content_block_start", {
      index,
      content_block: { type: "tool_use", id: t.id, name: t.name, input: {} },
    });
    // The API opens every tool input with an empty partial_json.
    const json = JSON.stringify(t.args);
    const half = Math.ceil(json.length / 2);
    for (const partial of ["", json.slice(0, half), json.slice(half)])
      e("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: partial },
      });
    e("content_block_stop", { index });
    index++;
  }
  e("message_delta", {
    delta: { stop_reason: stopReason(r), stop_sequence: null },
    usage: { output_tokens: r.usage.output_tokens },
  });
  e("message_stop", {});
  return sse(events);
}

export async function startAnthropicMock(): Promise<AnthropicMock> {
  const script = new Script<AnthropicReply>();
  const server = await startMockServer((req): MockResponse | undefined => {
    if (req.method !== "POST" || req.path !== "/v1/messages") return undefined;
    const reply = script.next();
    const model = String(req.body.model ?? "unknown");
    if (req.body.stream)
      return {
        headers: { "content-type": "text/event-stream", "request-id": "req_mock" },
        pieces: stream(reply, model),
      };
    return { headers: { "request-id": "req_mock" }, json: message(reply, model) };
  });
  return Object.assign(server, { script });
}
