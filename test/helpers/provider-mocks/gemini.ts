/**
 * Google's Generative Language API as `@google/generative-ai` calls it:
 * `POST /v1beta/models/<model>:generateContent` (JSON) and `:streamGenerateContent?alt=sse` (SSE,
 * `data:` lines only). Each stream chunk carries the cumulative `usageMetadata`, as the real API
 * sends it; the last one carries `finishReason`. Responses carry `modelVersion` and `responseId`.
 */
import { piecesOf, Script, type ProviderReply } from "./common.js";
import { sse, startMockServer, type MockResponse, type MockServer } from "./server.js";

export interface GeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export interface GeminiReply extends ProviderReply {
  usage: GeminiUsage;
}

export interface GeminiMock extends MockServer {
  script: Script<GeminiReply>;
}

function usageJson(u: GeminiUsage): Record<string, unknown> {
  return {
    promptTokenCount: u.promptTokenCount,
    candidatesTokenCount: u.candidatesTokenCount,
    totalTokenCount: u.promptTokenCount + u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0),
    ...(u.cachedContentTokenCount !== undefined
      ? { cachedContentTokenCount: u.cachedContentTokenCount }
      : {}),
    ...(u.thoughtsTokenCount !== undefined ? { thoughtsTokenCount: u.thoughtsTokenCount } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.promptTokenCount }],
  };
}

function response(
  r: GeminiReply,
  model: string,
  parts: Record<string, unknown>[],
  finish: boolean,
  usage: GeminiUsage = r.usage,
): Record<string, unknown> {
  return {
    candidates: [
      {
        content: { parts, role: "model" },
        ...(finish ? { finishReason: r.finish ?? "STOP" } : {}),
        index: 0,
      },
    ],
    usageMetadata: usageJson(usage),
    modelVersion: r.model ?? model,
    responseId: r.id ?? "resp-mock",
  };
}

function toolParts(r: GeminiReply): Record<string, unknown>[] {
  return (r.toolCalls ?? []).map((t) => ({ functionCall: { name: t.name, args: t.args } }));
}

export async function startGeminiMock(): Promise<GeminiMock> {
  const script = new Script<GeminiReply>();
  const server = await startMockServer((req): MockResponse | undefined => {
    const m = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(req.path);
    if (req.method !== "POST" || !m) return undefined;
    const reply = script.next();
    const model = m[1]!;
    if (m[2] === "generateContent") {
      const parts = [...(reply.text ? [{ text: reply.text }] : []), ...toolParts(reply)];
      return { json: response(reply, model, parts, true) };
    }
    if (req.query.get("alt") !== "sse") return { status: 400, json: { error: "alt=sse expected" } };
    const chunks = piecesOf(reply).map((text) => [{ text }] as Record<string, unknown>[]);
    if (reply.toolCalls?.length) chunks.push(toolParts(reply));
    // The output count grows chunk by chunk; the prompt (and cached) counts repeat in every chunk.
    const events = chunks.map((parts, i) => ({
      data: response(reply, model, parts, i === chunks.length - 1, {
        ...reply.usage,
        candidatesTokenCount: Math.round(
          (reply.usage.candidatesTokenCount * (i + 1)) / chunks.length,
        ),
      }),
    }));
    return {
      headers: { "content-type": "text/event-stream" },
      pieces: sse(events).map((s) => s.replace(/\n\n$/, "\r\n\r\n")),
    };
  });
  return Object.assign(server, { script });
}
