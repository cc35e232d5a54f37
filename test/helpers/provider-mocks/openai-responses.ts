/**
 * OpenAI's Responses API (`POST /v1/responses`): a JSON response object (`status`, `output` items
 * of type `message` / `function_call`, `usage` with cached and reasoning details,
 * `incomplete_details`), or the SSE stream of typed events (`response.created`,
 * `response.output_item.added`, `response.output_text.delta`,
 * `response.function_call_arguments.delta`, ..., `response.completed` / `response.incomplete`) with
 * `sequence_number`s, as the real API sends them.
 */
import { piecesOf, Script, type ProviderReply } from "./common.js";
import { sse, startMockServer, type MockResponse, type MockServer } from "./server.js";

export interface ResponsesUsage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

export interface ResponsesReply extends ProviderReply {
  usage: ResponsesUsage;
  /** `incomplete` with this `incomplete_details.reason` (`max_output_tokens`, `content_filter`). */
  incomplete?: string;
}

export interface ResponsesMock extends MockServer {
  script: Script<ResponsesReply>;
}

const CREATED = 1_732_000_000;

function usageJson(u: ResponsesUsage) {
  return {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

function messageItem(r: ResponsesReply, text: string, status: string) {
  return {
    type: "message",
    id: "msg_mock1",
    status,
    role: "assistant",
    content: status === "in_progress" ? [] : [{ type: "output_text", text, annotations: [] }],
  };
}

function callItem(t: NonNullable<ResponsesReply["toolCalls"]>[number], i: number, done: boolean) {
  return {
    type: "function_call",
    id: `fc_mock${i}`,
    call_id: t.id,
    name: t.name,
    arguments: done ? JSON.stringify(t.args) : "",
    status: done ? "completed" : "in_progress",
  };
}

function response(r: ResponsesReply, model: string, state: "in_progress" | "done") {
  const done = state === "done";
  const output: Record<string, unknown>[] = [];
  if (done && r.text) output.push(messageItem(r, r.text, "completed"));
  if (done) (r.toolCalls ?? []).forEach((t, i) => output.push(callItem(t, i, true)));
  const status = !done ? "in_progress" : r.incomplete ? "incomplete" : "completed";
  return {
    id: r.id ?? "resp_mock",
    object: "response",
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: done && r.incomplete ? { reason: r.incomplete } : null,
    model: r.model ?? model,
    output,
    parallel_tool_calls: true,
    temperature: 1,
    top_p: 1,
    tools: [],
    usage: done ? usageJson(r.usage) : null,
    metadata: {},
  };
}

function stream(r: ResponsesReply, model: string): string[] {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const e = (type: string, data: Record<string, unknown>) =>
    events.push({ event: type, data: { type, sequence_number: events.length, ...data } });
  e("response.created", { response: response(r, model, "in_progress") });
  e("response.in_progress", { response: response(r, model, "in_progress") });
  let output_index = 0;
  if (r.text) {
    const item_id = "msg_mock1";
    e("response.output_item.added", { output_index, item: messageItem(r, "", "in_progress") });
    e("response.content_part.added", {
      item_id,
      output_index,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    });
    for (const delta of piecesOf(r))
      e("response.output_text.delta", { item_id, output_index, content_index: 0, delta });
    e("response.output_text.done", { item_id, output_index, content_index: 0, text: r.text });
    e("response.content_part.done", {
      item_id,
      output_index,
      content_index: 0,
      part: { type: "output_text", text: r.text, annotations: [] },
    });
    e("response.output_item.done", { output_index, item: messageItem(r, r.text, "completed") });
    output_index++;
  }
  (r.toolCalls ?? []).forEach((t, i) => {
    const item_id = `fc_mock${i}`;
    e("response.output_item.added", { output_index, item: callItem(t, i, false) });
    const json = JSON.stringify(t.args);
    const half = Math.ceil(json.length / 2);
    for (const delta of [json.slice(0, half), json.slice(half)])
      e("response.function_call_arguments.delta", { item_id, output_index, delta });
    e("response.function_call_arguments.done", { item_id, output_index, arguments: json });
    e("response.output_item.done", { output_index, item: callItem(t, i, true) });
    output_index++;
  });
  e(r.incomplete ? "response.incomplete" : "response.completed", {
    response: response(r, model, "done"),
  });
  return sse(events);
}

export async function startResponsesMock(): Promise<ResponsesMock> {
  const script = new Script<ResponsesReply>();
  const server = await startMockServer((req): MockResponse | undefined => {
    if (req.method !== "POST" || req.path !== "/v1/responses") return undefined;
    const reply = script.next();
    const model = String(req.body.model ?? "unknown");
    if (req.body.stream)
      return {
        headers: { "content-type": "text/event-stream", "x-request-id": "req_mock" },
        pieces: stream(reply, model),
      };
    return { headers: { "x-request-id": "req_mock" }, json: response(reply, model, "done") };
  });
  return Object.assign(server, { script });
}
