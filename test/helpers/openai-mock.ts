/**
 * An OpenAI-compatible chat completions server for tests: node:http on 127.0.0.1, an ephemeral
 * port, `/v1/chat/completions` answering from a script, as plain JSON or as SSE (with the final
 * usage chunk when the request sets `stream_options.include_usage`). Every request is recorded
 * (body and headers) so tests can see what the client sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it. */
  arguments: string;
}

export interface MockUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

/** One scripted answer. */
export interface MockReply {
  /** HTTP status other than 200: an OpenAI-style error body is sent. */
  status?: number;
  content?: string | null;
  toolCalls?: MockToolCall[];
  finishReason?: string;
  /** The served model (`model` of the response), e.g. a dated snapshot. */
  model?: string;
  id?: string;
  usage?: MockUsage;
  /** Streaming: the content pieces (default: the content split in 3). */
  chunks?: string[];
}

export interface RecordedRequest {
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** Path and query, as sent. */
  url: string;
}

export interface OpenAIMock {
  /** `http://127.0.0.1:<port>/v1` - what ChatOpenAI takes as `configuration.baseURL`. */
  baseURL: string;
  port: number;
  requests: RecordedRequest[];
  /** Replies served in order; the last one repeats. */
  replies: MockReply[];
  close(): Promise<void>;
}

const CREATED = 1_732_000_000;

function usageJson(u: MockUsage | undefined): Record<string, unknown> | undefined {
  if (!u) return undefined;
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning_tokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function completion(reply: MockReply, requestModel: string): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: reply.content ?? null,
    refusal: null,
  };
  if (reply.toolCalls?.length) {
    message.tool_calls = reply.toolCalls.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.arguments },
    }));
  }
  return {
    id: reply.id ?? "chatcmpl-mock",
    object: "chat.completion",
    created: CREATED,
    model: reply.model ?? requestModel,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: reply.finishReason ?? (reply.toolCalls?.length ? "tool_calls" : "stop"),
      },
    ],
    usage: usageJson(reply.usage),
    system_fingerprint: "fp_mock",
  };
}

function streamChunks(
  reply: MockReply,
  requestModel: string,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const base = {
    id: reply.id ?? "chatcmpl-mock",
    object: "chat.completion.chunk",
    created: CREATED,
    model: reply.model ?? requestModel,
    system_fingerprint: "fp_mock",
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const out: Record<string, unknown>[] = [chunk({ role: "assistant", content: "", refusal: null })];
  const text = reply.content ?? "";
  const pieces =
    reply.chunks ??
    (text
      ? [
          text.slice(0, Math.ceil(text.length / 3)),
          text.slice(Math.ceil(text.length / 3), Math.ceil((2 * text.length) / 3)),
          text.slice(Math.ceil((2 * text.length) / 3)),
        ].filter(Boolean)
      : []);
  for (const p of pieces) out.push(chunk({ content: p }));
  (reply.toolCalls ?? []).forEach((t, index) => {
    out.push(
      chunk({
        tool_calls: [
          { index, id: t.id, type: "function", function: { name: t.name, arguments: "" } },
        ],
      }),
    );
    const half = Math.ceil(t.arguments.length / 2);
    out.push(
      chunk({ tool_calls: [{ index, function: { arguments: t.arguments.slice(0, half) } }] }),
    );
    out.push(chunk({ tool_calls: [{ index, function: { arguments: t.arguments.slice(half) } }] }));
  });
  out.push(chunk({}, reply.finishReason ?? (reply.toolCalls?.length ? "tool_calls" : "stop")));
  if (includeUsage) out.push({ ...base, choices: [], usage: usageJson(reply.usage) ?? null });
  return out;
}

/** Starts the mock on 127.0.0.1:0. Close it in `afterAll`; it is unref'd so it never holds the process. */
export async function startOpenAIMock(replies: MockReply[] = []): Promise<OpenAIMock> {
  const requests: RecordedRequest[] = [];
  const mock = { requests, replies } as OpenAIMock;
  let served = 0;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (raw += d));
    req.on("end", () => {
      // The path only: Azure OpenAI adds `?api-version=...`.
      const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
      if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
        return;
      }
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      requests.push({ body, headers: req.headers, url: req.url ?? "" });
      const reply = mock.replies[Math.min(served++, mock.replies.length - 1)] ?? { content: "ok" };
      const model = String(body.model ?? "unknown");
      if (reply.status && reply.status !== 200) {
        res
          .writeHead(reply.status, {
            "content-type": "application/json",
            "x-request-id": "req_mock",
          })
          .end(
            JSON.stringify({
              error: {
                message: reply.content ?? "error",
                type: reply.status === 429 ? "rate_limit_exceeded" : "server_error",
                code: null,
                param: null,
              },
            }),
          );
        return;
      }
      if (body.stream) {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        for (const c of streamChunks(reply, model, body.stream_options?.include_usage === true))
          res.write(`data: ${JSON.stringify(c)}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(completion(reply, model)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const port = (server.address() as AddressInfo).port;
  mock.port = port;
  mock.baseURL = `http://127.0.0.1:${port}/v1`;
  mock.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return mock;
}
