/**
 * Ollama's chat API (`POST /api/chat`): NDJSON lines when `stream` is true (one per piece, tool
 * calls in a piece of their own, then the `done: true` line with `done_reason`, `prompt_eval_count`
 * and `eval_count`), or one JSON object when it is false.
 */
import { piecesOf, Script, type ProviderReply } from "./common.js";
import { startMockServer, type MockResponse, type MockServer } from "./server.js";

export interface OllamaUsage {
  prompt_eval_count: number;
  eval_count: number;
}

export interface OllamaReply extends ProviderReply {
  usage: OllamaUsage;
}

export interface OllamaMock extends MockServer {
  script: Script<OllamaReply>;
}

const CREATED_AT = "2026-12-02T12:00:00.000000Z";

function line(model: string, message: Record<string, unknown>, done: boolean) {
  return { model, created_at: CREATED_AT, message: { role: "assistant", ...message }, done };
}

function final(r: OllamaReply, model: string, message: Record<string, unknown>) {
  return {
    ...line(model, message, true),
    done_reason: r.finish ?? "stop",
    total_duration: 812_000_000,
    load_duration: 12_000_000,
    prompt_eval_count: r.usage.prompt_eval_count,
    prompt_eval_duration: 100_000_000,
    eval_count: r.usage.eval_count,
    eval_duration: 700_000_000,
  };
}

function toolCalls(r: OllamaReply) {
  return (r.toolCalls ?? []).map((t) => ({ function: { name: t.name, arguments: t.args } }));
}

export async function startOllamaMock(): Promise<OllamaMock> {
  const script = new Script<OllamaReply>();
  const server = await startMockServer((req): MockResponse | undefined => {
    if (req.method !== "POST" || req.path !== "/api/chat") return undefined;
    const reply = script.next();
    const model = reply.model ?? String(req.body.model ?? "unknown");
    if (req.body.stream === false) {
      const message: Record<string, unknown> = { content: reply.text ?? "" };
      if (reply.toolCalls?.length) message.tool_calls = toolCalls(reply);
      return { json: final(reply, model, message) };
    }
    const lines: unknown[] = piecesOf(reply).map((p) => line(model, { content: p }, false));
    if (reply.toolCalls?.length)
      lines.push(line(model, { content: "", tool_calls: toolCalls(reply) }, false));
    lines.push(final(reply, model, { content: "" }));
    return {
      headers: { "content-type": "application/x-ndjson" },
      pieces: lines.map((l) => `${JSON.stringify(l)}\n`),
    };
  });
  return Object.assign(server, { script });
}
