/**
 * The OpenAI chat-completions answers of the official GenAI conformance mock server
 * (open-telemetry/semantic-conventions-conformance, tools/gen-ai/mock-server, openai blueprint),
 * reproduced on node:http for the LangChain.js conformance tests: the answer follows the request,
 * as there. `stream: true` gets the six-word SSE stream with a final usage chunk (25 / 6 tokens);
 * offered `tools` and no tool result yet get a call of the first tool (`call_mock_001`, arguments
 * made from its JSON schema, 50 / 20 tokens); anything else gets the fixed answer (25 / 12 tokens).
 * The requested model is echoed back. Ids and token counts are the reference server's.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const MOCK_TEXT = "This is a response from the mock server.";
export const MOCK_STREAM_WORDS = ["This ", "is ", "a ", "mock ", "streamed ", "response."];
export const MOCK_CHAT = { id: "chatcmpl-mock-001", input: 25, output: 12 } as const;
export const MOCK_TOOL_CALL = {
  id: "chatcmpl-mock-002",
  callId: "call_mock_001",
  input: 50,
  output: 20,
} as const;
export const MOCK_STREAM = { id: "chatcmpl-mock-stream-001", input: 25, output: 6 } as const;

type Rec = Record<string, any>;

/** The reference server's argument values: `location` is Seattle, the rest follow the type. */
function argumentValue(name: string, schema: Rec | undefined): unknown {
  if (name === "location") return "Seattle";
  if (name === "message") return MOCK_TEXT;
  switch (schema?.type) {
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return {};
    default:
      return `mock-${name}`;
  }
}

function toolArguments(tool: Rec): Rec {
  const params: Rec = tool.function?.parameters ?? tool.parameters ?? {};
  const properties: Rec = params.properties ?? {};
  const names: string[] = params.required?.length ? params.required : Object.keys(properties);
  if (!names.length) return { value: "mock-value" };
  return Object.fromEntries(names.map((n) => [n, argumentValue(n, properties[n])]));
}

/** Python's `json.dumps` spacing (`{"location": "Seattle"}`), as the reference server sends it. */
function pyJson(value: Rec): string {
  return JSON.stringify(value).replace(/":/g, '": ').replace(/,"/g, ', "');
}

function servedTier(body: Rec): string {
  const t = body.service_tier;
  return !t || t === "auto" ? "default" : String(t);
}

function answer(body: Rec): Rec {
  const model = body.model ?? "gpt-4o-mini";
  const tools: Rec[] = Array.isArray(body.tools) ? body.tools : [];
  const hasToolResult = (body.messages ?? []).some((m: Rec) => m?.role === "tool");
  if (tools.length && !hasToolResult) {
    const tool = tools[0]!;
    return {
      id: MOCK_TOOL_CALL.id,
      object: "chat.completion",
      service_tier: servedTier(body),
      created: 1700000000,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: MOCK_TOOL_CALL.callId,
                type: "function",
                function: {
                  name: tool.function?.name ?? "get_weather",
                  arguments: pyJson(toolArguments(tool)),
                },
              },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
    };
  }
  return {
    id: MOCK_CHAT.id,
    object: "chat.completion",
    service_tier: servedTier(body),
    created: 1700000000,
    model,
    choices: [
      { index: 0, message: { role: "assistant", content: MOCK_TEXT }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 25, completion_tokens: 12, total_tokens: 37 },
  };
}

function streamEvents(body: Rec): Rec[] {
  const base = {
    id: MOCK_STREAM.id,
    object: "chat.completion.chunk",
    created: 1700000000,
    model: body.model ?? "gpt-4o-mini",
  };
  return [
    {
      ...base,
      service_tier: servedTier(body),
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    },
    ...MOCK_STREAM_WORDS.map((w) => ({
      ...base,
      choices: [{ index: 0, delta: { content: w }, finish_reason: null }],
    })),
    {
      ...base,
      choices: [{ index: 0, delta: { content: "" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 25, completion_tokens: 6, total_tokens: 31 },
    },
  ];
}

export interface ConformanceMock {
  /** `http://127.0.0.1:<port>/v1`. */
  baseURL: string;
  port: number;
  /** Request bodies, in order. */
  requests: Rec[];
  close(): Promise<void>;
}

/** Starts the mock on 127.0.0.1, an ephemeral port; unref'd, so it never holds the process. */
export async function startConformanceMock(): Promise<ConformanceMock> {
  const requests: Rec[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (raw += d));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        res.writeHead(404).end();
        return;
      }
      let body: Rec = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      requests.push(body);
      if (body.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const e of streamEvents(body)) res.write(`data: ${JSON.stringify(e)}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
