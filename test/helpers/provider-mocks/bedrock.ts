/**
 * Amazon Bedrock's Converse API: `POST /model/<modelId>/converse` (JSON: `output.message`,
 * `stopReason`, `usage`, `metrics`) and `POST /model/<modelId>/converse-stream`, answered in the
 * AWS event-stream binary framing (`application/vnd.amazon.eventstream`: prelude, headers
 * `:event-type` / `:content-type` / `:message-type`, CRCs), encoded with the AWS SDK's own codec:
 * `messageStart`, `contentBlockStart` (tool use), `contentBlockDelta`, `contentBlockStop`,
 * `messageStop` (with `stopReason`), `metadata` (usage, metrics).
 */
import { EventStreamCodec } from "@smithy/core/event-streams";
import { piecesOf, Script, type ProviderReply } from "./common.js";
import { startMockServer, type MockResponse, type MockServer } from "./server.js";

export interface BedrockUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface BedrockReply extends ProviderReply {
  usage: BedrockUsage;
}

export interface BedrockMock extends MockServer {
  script: Script<BedrockReply>;
}

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString("utf8"),
  (text) => new Uint8Array(Buffer.from(text, "utf8")),
);

function frame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), "utf8")),
  });
}

function usageJson(u: BedrockUsage): Record<string, unknown> {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    // Bedrock's inputTokens leaves the cached tokens out; its totalTokens counts them.
    totalTokens:
      u.inputTokens +
      u.outputTokens +
      (u.cacheReadInputTokens ?? 0) +
      (u.cacheWriteInputTokens ?? 0),
    ...(u.cacheReadInputTokens !== undefined
      ? { cacheReadInputTokens: u.cacheReadInputTokens }
      : {}),
    ...(u.cacheWriteInputTokens !== undefined
      ? { cacheWriteInputTokens: u.cacheWriteInputTokens }
      : {}),
  };
}

function stopReason(r: BedrockReply): string {
  return r.finish ?? (r.toolCalls?.length ? "tool_use" : "end_turn");
}

function converse(r: BedrockReply): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (r.text) content.push({ text: r.text });
  for (const t of r.toolCalls ?? [])
    content.push({ toolUse: { toolUseId: t.id, name: t.name, input: t.args } });
  return {
    output: { message: { role: "assistant", content } },
    stopReason: stopReason(r),
    usage: usageJson(r.usage),
    metrics: { latencyMs: 321 },
  };
}

function stream(r: BedrockReply): Uint8Array[] {
  const frames = [frame("messageStart", { role: "assistant" })];
  let index = 0;
  if (r.text) {
    for (const text of piecesOf(r))
      frames.push(frame("contentBlockDelta", { contentBlockIndex: index, delta: { text } }));
    frames.push(frame("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  for (const t of r.toolCalls ?? []) {
    frames.push(
      frame("contentBlockStart", {
        contentBlockIndex: index,
        start: { toolUse: { toolUseId: t.id, name: t.name } },
      }),
    );
    const json = JSON.stringify(t.args);
    const half = Math.ceil(json.length / 2);
    for (const input of [json.slice(0, half), json.slice(half)])
      frames.push(
        frame("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input } } }),
      );
    frames.push(frame("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  frames.push(frame("messageStop", { stopReason: stopReason(r) }));
  frames.push(frame("metadata", { usage: usageJson(r.usage), metrics: { latencyMs: 321 } }));
  return frames;
}

export async function startBedrockMock(): Promise<BedrockMock> {
  const script = new Script<BedrockReply>();
  const server = await startMockServer((req): MockResponse | undefined => {
    const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.path);
    if (req.method !== "POST" || !m) return undefined;
    const reply = script.next();
    const headers = { "x-amzn-requestid": "req-mock-bedrock" };
    if (m[2] === "converse") return { headers, json: converse(reply) };
    return {
      headers: { ...headers, "content-type": "application/vnd.amazon.eventstream" },
      pieces: stream(reply),
    };
  }, "h2c");
  return Object.assign(server, { script });
}
