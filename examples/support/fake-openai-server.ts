/**
 * A tiny, scripted OpenAI-compatible server (`POST /v1/chat/completions`, JSON and streaming), so
 * the demo and the examples run a real `ChatOpenAI` over real HTTP without an API key or network.
 * It listens on 127.0.0.1 with an ephemeral port.
 *
 * The script is stateless (decided from the request alone, so concurrent requests are fine):
 * - tools offered and no tool result yet: answer with one tool call per offered tool (at most two),
 *   every string parameter filled with the city named in the last user message ("Paris" if none
 *   of the few it knows);
 * - otherwise: a short final text answer, built from the tool results when there are any.
 *
 * Every answer carries `usage` (token counts estimated as characters / 4), in the last chunk when
 * streaming with `stream_options.include_usage`, as OpenAI does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The model name reported in responses, as OpenAI reports a dated snapshot. */
export const RESPONSE_MODEL_SUFFIX = "-2024-07-18";

/** A running fake server. */
export interface FakeOpenAIServer {
  /** Base URL for `ChatOpenAI`'s `configuration.baseURL`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly baseURL: string;
  /** Number of chat completion requests answered so far. */
  readonly requestCount: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

interface ChatRequest {
  model?: string;
  messages?: ChatMessage[];
  tools?: Array<{
    type: string;
    function: { name: string; parameters?: { properties?: Record<string, { type?: string }> } };
  }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

interface Answer {
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: "stop" | "tool_calls";
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startFakeOpenAIServer(): Promise<FakeOpenAIServer> {
  let requestCount = 0;
  let nextId = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" },
        }),
      );
      return;
    }
    requestCount++;
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
    const id = `chatcmpl-demo${++nextId}`;
    const model = `${body.model ?? "gpt-4o-mini"}${RESPONSE_MODEL_SUFFIX}`;
    const created = Math.floor(Date.now() / 1000);
    const answer = decide(body, nextId);
    const usage = {
      prompt_tokens: estimateTokens(JSON.stringify(body.messages ?? [])),
      completion_tokens: estimateTokens(answer.content ?? JSON.stringify(answer.toolCalls)),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;

    if (!body.stream) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: answer.content,
                ...(answer.toolCalls.length ? { tool_calls: answer.toolCalls } : {}),
              },
              finish_reason: answer.finishReason,
            },
          ],
          usage,
        }),
      );
      return;
    }

    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    const send = (delta: object, finishReason: string | null = null): void => {
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
      );
    };
    send({ role: "assistant", content: "" });
    if (answer.content !== null) {
      // Word by word, with a small pause, so time to first chunk and time per chunk mean something.
      for (const piece of answer.content.match(/\S+\s*/g) ?? []) {
        await sleep(15);
        send({ content: piece });
      }
    }
    answer.toolCalls.forEach((call, index) => send({ tool_calls: [{ index, ...call }] }));
    send({}, answer.finishReason);
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`,
      );
    }
    res.end("data: [DONE]\n\n");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(err), type: "server_error" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get requestCount() {
      return requestCount;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decide(body: ChatRequest, requestNumber: number): Answer {
  const messages = body.messages ?? [];
  const toolResults = messages.filter((m) => m.role === "tool").map((m) => textOf(m.content));
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const city =
    /\b(Paris|Rome|Oslo|London|Berlin|Madrid|Lisbon|Tokyo)\b/.exec(
      textOf(lastUser?.content),
    )?.[1] ?? "Paris";

  if (body.tools?.length && toolResults.length === 0) {
    const toolCalls = body.tools.slice(0, 2).map((t, i): ToolCall => {
      const args: Record<string, string> = {};
      for (const [name, schema] of Object.entries(t.function.parameters?.properties ?? {})) {
        if (schema.type === "string") args[name] = city;
      }
      return {
        id: `call_${requestNumber}_${i + 1}`,
        type: "function",
        function: { name: t.function.name, arguments: JSON.stringify(args) },
      };
    });
    return { content: null, toolCalls, finishReason: "tool_calls" };
  }
  const content = toolResults.length
    ? `Here is what I found for ${city}: ${toolResults.join("; ")}.`
    : `${city} is a fine choice: mild weather, good food and plenty to see.`;
  return { content, toolCalls: [], finishReason: "stop" };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) => (typeof p === "string" ? p : String((p as { text?: unknown })?.text ?? "")))
      .join("");
  return "";
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
