/**
 * Issue 12: while a LangChain run executes, its span is OpenTelemetry's active context. With the
 * real instrumentations (undici for the `fetch` of the openai 7 client and of tools, http for
 * `http.get`) against servers on 127.0.0.1, every client span and every span of the user's own
 * code is the child of the run that made it, checked by exact parent span ids.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { ChatOpenAI } from "@langchain/openai";
import { BaseRetriever } from "@langchain/core/retrievers";
import { LLM } from "@langchain/core/language_models/llms";
import { GenerationChunk } from "@langchain/core/outputs";
import { Document } from "@langchain/core/documents";
import { RunnableLambda } from "@langchain/core/runnables";
import { DynamicStructuredTool, DynamicTool, StructuredTool, tool } from "@langchain/core/tools";
import { StateGraph, START, END, Annotation } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { z } from "zod";
import { OpenTelemetryCallbackHandler, registerGlobalHandler } from "langchain-opentelemetry";
import { runScopeStatus } from "../src/handler/run-scope/install.js";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";
import { named, only, parentId, renderTree, spanId } from "./helpers/spans.js";

const CORE_VERSION = (
  createRequire(import.meta.url)("@langchain/core/package.json") as { version: string }
).version;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer: Tracer = provider.getTracer("app");
const contextManager = new AsyncLocalStorageContextManager().enable();
let unregister: () => void;
let mock: OpenAIMock;
let inventory: Server;
let inventoryUrl: string;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new UndiciInstrumentation(),
      // The mock servers run in this process: only the app's own route gets a SERVER span.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => !req.url?.startsWith("/ask"),
        // The test's own request to the app is not part of the app's trace.
        ignoreOutgoingRequestHook: (req) => req.path === "/ask",
      }),
    ],
  });
  mock = await startOpenAIMock([
    { content: "ok", usage: { prompt_tokens: 3, completion_tokens: 1 } },
  ]);
  inventory = createServer((_req, res) => res.end(JSON.stringify({ inStock: 3 })));
  await new Promise<void>((r) => inventory.listen(0, "127.0.0.1", r));
  inventory.unref();
  inventoryUrl = `http://127.0.0.1:${(inventory.address() as AddressInfo).port}/inventory`;
});

afterAll(async () => {
  unregister();
  context.disable();
  await mock.close();
  await new Promise((r) => inventory.close(r));
});

afterEach(() => {
  exporter.reset();
  mock.replies = [{ content: "ok", usage: { prompt_tokens: 3, completion_tokens: 1 } }];
});

function handler(options: ConstructorParameters<typeof OpenTelemetryCallbackHandler>[0] = {}) {
  return new OpenTelemetryCallbackHandler({
    tracerProvider: provider,
    metrics: false,
    logs: false,
    ...options,
  });
}

function chatModel(extra: Record<string, unknown> = {}) {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-test",
    configuration: { baseURL: mock.baseURL },
    maxRetries: 0,
    ...extra,
  });
}

/** Runs `fn` under a root span `name` (a request); returns that span's id once it ended. */
async function inRequest<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const POST = "POST";
const GET = "GET";

function expectChild(child: ReadableSpan, parent: ReadableSpan): void {
  expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  expect(parentId(child)).toBe(spanId(parent));
}

async function fetchInventory(): Promise<unknown> {
  const res = await fetch(inventoryUrl);
  return res.json();
}

function httpGetInventory(): Promise<string> {
  // `http` as instrumentation-http patches it: it hooks `require` (after it was enabled), not ESM imports.
  const http = createRequire(import.meta.url)("node:http") as typeof import("node:http");
  return new Promise((resolve, reject) => {
    http
      .get(inventoryUrl, (res) => {
        let body = "";
        res.on("data", (d) => (body += String(d)));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

describe("detected @langchain/core", () => {
  it(`wraps every entry point of @langchain/core ${CORE_VERSION} (the pinned 1.4.0)`, () => {
    const h = handler();
    expect(CORE_VERSION).toBe("1.4.0");
    const status = runScopeStatus();
    expect(status.copies).toEqual([
      {
        format: "esm",
        wrapped: [
          "AsyncLocalStorageProviderSingleton.runWithConfig",
          "BaseRetriever.invoke",
          "BaseChatModel._generateUncached",
          "BaseChatModel._streamIterator",
          "BaseLLM._generateUncached",
          "BaseLLM._streamIterator",
          "StructuredTool.call",
        ],
        missing: [],
        runExecutionHook: false,
      },
    ]);
    void h.shutdown();
  });
});

describe("chat models: the provider's HTTP call is a child of chat {model}", () => {
  it("invoke: POST (undici) under chat gpt-4o-mini under the request", async () => {
    const h = handler();
    await inRequest("GET /ask", () => chatModel().invoke("hi", { callbacks: [h] }));
    const all = spans();
    expect(renderTree(all)).toBe(
      ["GET /ask INTERNAL", "  chat gpt-4o-mini CLIENT", "    POST CLIENT"].join("\n"),
    );
    expectChild(only(all, POST), only(all, "chat gpt-4o-mini"));
    expectChild(only(all, "chat gpt-4o-mini"), only(all, "GET /ask"));
  });

  it("a streamed call: the HTTP span nests under its chat span", async () => {
    const h = handler();
    await inRequest("GET /ask", async () => {
      let text = "";
      for await (const chunk of await chatModel({ streamUsage: true }).stream("hi", {
        callbacks: [h],
      }))
        text += chunk.content as string;
      expect(text).toBe("ok");
    });
    const all = spans();
    expectChild(only(all, POST), only(all, "chat gpt-4o-mini"));
    expect(only(all, "chat gpt-4o-mini").attributes["gen_ai.request.stream"]).toBe(true);
  });

  it("20 concurrent requests: each HTTP span under its own chat span, each chat under its own request", async () => {
    const h = handler();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inRequest(`request ${i}`, () => chatModel().invoke(`hi ${i}`, { callbacks: [h] })),
      ),
    );
    const all = spans();
    const chats = named(all, "chat gpt-4o-mini");
    const posts = named(all, POST);
    expect(chats).toHaveLength(20);
    expect(posts).toHaveLength(20);
    const chatIds = new Set(chats.map(spanId));
    // Every POST has a distinct chat parent, and every chat a distinct request parent.
    expect(new Set(posts.map(parentId)).size).toBe(20);
    for (const p of posts) expect(chatIds.has(parentId(p)!)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const request = only(all, `request ${i}`);
      const chat = chats.find((c) => parentId(c) === spanId(request));
      expect(chat, `chat under request ${i}`).toBeDefined();
      expect(posts.filter((p) => parentId(p) === spanId(chat!))).toHaveLength(1);
    }
  });

  it("a consumer that breaks out of a stream: the chat run ends as consumer_stopped, no context left behind", async () => {
    const h = handler();
    mock.replies = [{ content: "one two three four", chunks: ["one ", "two ", "three ", "four"] }];
    await inRequest("GET /ask", async () => {
      for await (const _ of await chatModel().stream("hi", { callbacks: [h] })) break;
      expect(h.openRunCount).toBe(0);
      tracer.startSpan("after the break").end();
    });
    const all = spans();
    const chat = only(all, "chat gpt-4o-mini");
    expect(chat.attributes["langchain.run.cancelled"]).toBe("consumer_stopped");
    expect(h.openRunCount).toBe(0);
    expectChild(only(all, "after the break"), only(all, "GET /ask"));
    expectChild(only(all, POST), chat);
  });

  it("runContext: false keeps the previous behaviour: the HTTP span is a sibling under the request", async () => {
    const on = handler();
    await on.shutdown();
    const h = handler({ runContext: false });
    await inRequest("GET /ask", () => chatModel().invoke("hi", { callbacks: [h] }));
    const all = spans();
    expectChild(only(all, POST), only(all, "GET /ask"));
  });
});

describe("LLMs (text completion)", () => {
  it("an LLM subclass's HTTP call is a child of text_completion, invoke and stream", async () => {
    class InventoryLLM extends LLM {
      _llmType(): string {
        return "inventory";
      }
      async _call(prompt: string): Promise<string> {
        return `${prompt}: ${JSON.stringify(await fetchInventory())}`;
      }
      override async *_streamResponseChunks(prompt: string): AsyncGenerator<GenerationChunk> {
        const stock = JSON.stringify(await fetchInventory());
        yield new GenerationChunk({ text: prompt });
        yield new GenerationChunk({ text: stock });
      }
    }
    const h = handler();
    await inRequest("GET /ask", async () => {
      await new InventoryLLM({}).invoke("stock", { callbacks: [h] });
      let text = "";
      for await (const t of await new InventoryLLM({}).stream("stock", { callbacks: [h] }))
        text += t;
      expect(text).toBe('stock{"inStock":3}');
    });
    expect(renderTree(spans())).toBe(
      [
        "GET /ask INTERNAL",
        "  text_completion CLIENT",
        "    GET CLIENT",
        "  text_completion CLIENT",
        "    GET CLIENT",
      ].join("\n"),
    );
  });
});

describe("tools: the body's own spans and calls are children of execute_tool", () => {
  const lookupOrder = tool(
    async ({ id }) =>
      tracer.startActiveSpan("db.query", async (span) => {
        try {
          return JSON.stringify({ id, ...((await fetchInventory()) as object) });
        } finally {
          span.end();
        }
      }),
    {
      name: "lookup_order",
      description: "Looks an order up",
      schema: z.object({ id: z.string() }),
    },
  );

  it("tool(): db.query (own span) and its GET (undici) under execute_tool lookup_order", async () => {
    const h = handler();
    await inRequest("GET /ask", () => lookupOrder.invoke({ id: "A1" }, { callbacks: [h] }));
    expect(renderTree(spans())).toBe(
      [
        "GET /ask INTERNAL",
        "  execute_tool lookup_order INTERNAL",
        "    db.query INTERNAL",
        "      GET CLIENT",
      ].join("\n"),
    );
  });

  it("DynamicTool, DynamicStructuredTool built directly, a StructuredTool subclass, a tool returning a non-promise", async () => {
    class Inventory extends StructuredTool {
      name = "inventory";
      description = "stock";
      schema = z.object({ sku: z.string() });
      async _call(): Promise<string> {
        return JSON.stringify(await fetchInventory());
      }
    }
    const direct = new DynamicTool({
      name: "direct",
      description: "d",
      func: async () => JSON.stringify(await fetchInventory()),
    });
    const structured = new DynamicStructuredTool({
      name: "structured",
      description: "s",
      schema: z.object({ q: z.string() }),
      func: async () => JSON.stringify(await fetchInventory()),
    });
    const sync = new DynamicTool({
      name: "sync",
      description: "returns a string, not a promise",
      func: (() => {
        tracer.startSpan("sync work").end();
        return "done";
      }) as unknown as () => Promise<string>,
    });
    const h = handler();
    await inRequest("GET /ask", async () => {
      await new Inventory().invoke({ sku: "x" }, { callbacks: [h] });
      await direct.invoke("x", { callbacks: [h] });
      await structured.invoke({ q: "x" }, { callbacks: [h] });
      expect(await sync.invoke("x", { callbacks: [h] })).toBe("done");
    });
    const all = spans();
    const gets = named(all, GET);
    expect(gets).toHaveLength(3);
    for (const name of ["Inventory", "direct", "structured"]) {
      const t = only(all, `execute_tool ${name}`);
      expect(
        gets.filter((g) => parentId(g) === spanId(t)),
        name,
      ).toHaveLength(1);
    }
    expectChild(only(all, "sync work"), only(all, "execute_tool sync"));
  });

  it("a streaming tool (an async generator function): its body's spans are children of execute_tool", async () => {
    const streaming = tool(
      async function* () {
        tracer.startSpan("first part").end();
        yield "a";
        await fetchInventory();
        yield "b";
      },
      { name: "streaming", description: "s", schema: z.object({}) },
    );
    const h = handler();
    await inRequest("GET /ask", () => streaming.invoke({}, { callbacks: [h] }));
    expect(renderTree(spans())).toBe(
      [
        "GET /ask INTERNAL",
        "  execute_tool streaming INTERNAL",
        "    first part INTERNAL",
        "    GET CLIENT",
      ].join("\n"),
    );
  });

  it("a tool whose body throws synchronously still rejects with that same error", async () => {
    const boom = new Error("boom");
    const t = new DynamicTool({
      name: "thrower",
      description: "t",
      func: (() => {
        throw boom;
      }) as unknown as () => Promise<string>,
    });
    const h = handler();
    await expect(t.invoke("x", { callbacks: [h] })).rejects.toBe(boom);
    expect(only(spans(), "execute_tool thrower").status.code).toBe(2);
  });
});

describe("retrievers, lambdas and LangGraph nodes", () => {
  it("a custom retriever's http.get (instrumentation-http) is a child of its retrieval span", async () => {
    class StockRetriever extends BaseRetriever {
      override lc_namespace = ["test"];
      override async _getRelevantDocuments(query: string): Promise<Document[]> {
        return [new Document({ pageContent: `${query}: ${await httpGetInventory()}` })];
      }
    }
    const h = handler();
    await inRequest("GET /ask", () => new StockRetriever().invoke("socks", { callbacks: [h] }));
    expect(renderTree(spans())).toBe(
      ["GET /ask INTERNAL", "  retrieval StockRetriever CLIENT", "    GET CLIENT"].join("\n"),
    );
  });

  it("a RunnableLambda's own span is a child of the lambda's span", async () => {
    const lambda = RunnableLambda.from(async (x: string) => {
      tracer.startSpan("inside lambda").end();
      return x;
    }).withConfig({ runName: "my_lambda" });
    const h = handler();
    await inRequest("GET /ask", () => lambda.invoke("x", { callbacks: [h] }));
    expect(renderTree(spans())).toBe(
      [
        "GET /ask INTERNAL",
        "  invoke_workflow my_lambda INTERNAL",
        "    inside lambda INTERNAL",
      ].join("\n"),
    );
  });

  it("a LangGraph node's own span and fetch are children of the node's span", async () => {
    const State = Annotation.Root({ n: Annotation<number> });
    const graph = new StateGraph(State)
      .addNode("load", async () =>
        tracer.startActiveSpan("load.stock", async (span) => {
          await fetchInventory();
          span.end();
          return { n: 1 };
        }),
      )
      .addEdge(START, "load")
      .addEdge("load", END)
      .compile({ name: "stock_graph" });
    const h = handler();
    await inRequest("GET /ask", () => graph.invoke({ n: 0 }, { callbacks: [h] }));
    expect(renderTree(spans())).toBe(
      [
        "GET /ask INTERNAL",
        "  invoke_workflow stock_graph INTERNAL",
        "    load INTERNAL",
        "      load.stock INTERNAL",
        "        GET CLIENT",
      ].join("\n"),
    );
  });
});

describe("agents", () => {
  const lookupOrder = tool(
    async ({ id }) =>
      tracer.startActiveSpan("db.query", async (span) => {
        try {
          return JSON.stringify({ id, ...((await fetchInventory()) as object) });
        } finally {
          span.end();
        }
      }),
    {
      name: "lookup_order",
      description: "Looks an order up",
      schema: z.object({ id: z.string() }),
    },
  );

  it("createAgent + ChatOpenAI + 3 parallel tool calls: each tool's db.query and GET under its own execute_tool", async () => {
    // A mock of its own: replies are served in order from its first request.
    const agentMock = await startOpenAIMock([
      {
        toolCalls: [
          { id: "call_1", name: "lookup_order", arguments: '{"id":"A1"}' },
          { id: "call_2", name: "lookup_order", arguments: '{"id":"A2"}' },
          { id: "call_3", name: "lookup_order", arguments: '{"id":"A3"}' },
        ],
        id: "r1",
      },
      { id: "r2", content: "All three are in stock." },
    ]);
    onTestFinished(() => agentMock.close());
    const model = chatModel({ configuration: { baseURL: agentMock.baseURL } });
    const agent = createAgent({ model, tools: [lookupOrder], name: "shop_assistant" });
    const h = handler();
    await inRequest("GET /ask", () =>
      agent.invoke(
        { messages: [{ role: "user", content: "Orders A1, A2, A3?" }] },
        { callbacks: [h] },
      ),
    );
    const all = spans();
    const chats = named(all, "chat gpt-4o-mini");
    expect(chats).toHaveLength(2);
    const posts = named(all, POST);
    expect(posts.map(parentId).sort()).toEqual(chats.map(spanId).sort());
    const tools = named(all, "execute_tool lookup_order");
    expect(tools).toHaveLength(3);
    const queries = named(all, "db.query");
    expect(queries.map(parentId).sort()).toEqual(tools.map(spanId).sort());
    const gets = named(all, GET);
    expect(gets.map(parentId).sort()).toEqual(queries.map(spanId).sort());
  });
});

/** Serves GET /ask with the agent of issue 12 (ChatOpenAI, two tools, one with a db.query span and a fetch); returns the span tree. */
async function issueAgentRequest(h: OpenTelemetryCallbackHandler): Promise<string> {
  {
    const agentMock = await startOpenAIMock([
      // Distinct response ids: LangGraph's message reducer replaces messages with the same id.
      { id: "r1", toolCalls: [{ id: "call_1", name: "lookup_order", arguments: '{"id":"A1"}' }] },
      { id: "r2", toolCalls: [{ id: "call_2", name: "shipping_eta", arguments: '{"id":"A1"}' }] },
      { id: "r3", content: "Order A1 is in stock and ships tomorrow." },
    ]);
    onTestFinished(() => agentMock.close());
    const lookupOrder = tool(
      async ({ id }) =>
        tracer.startActiveSpan("db.query", async (span) => {
          try {
            return JSON.stringify({ id, ...((await fetchInventory()) as object) });
          } finally {
            span.end();
          }
        }),
      {
        name: "lookup_order",
        description: "Looks an order up",
        schema: z.object({ id: z.string() }),
      },
    );
    const shippingEta = tool(async () => "tomorrow", {
      name: "shipping_eta",
      description: "When an order ships",
      schema: z.object({ id: z.string() }),
    });
    const agent = createAgent({
      model: chatModel({ configuration: { baseURL: agentMock.baseURL } }),
      tools: [lookupOrder, shippingEta],
      name: "shop_assistant",
    });
    // The app: a node:http server (instrumented: it is `require`d after registration).
    const { createServer: createAppServer } = createRequire(import.meta.url)(
      "node:http",
    ) as typeof import("node:http");
    const app = createAppServer((_req, res) => {
      agent
        .invoke({ messages: [{ role: "user", content: "Where is A1?" }] }, { callbacks: [h] })
        .then(
          () => res.end("ok"),
          (e: unknown) => res.writeHead(500).end(String(e)),
        );
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    onTestFinished(() => new Promise<void>((r) => app.close(() => r())));
    const port = (app.address() as AddressInfo).port;
    const res = await new Promise<number>((resolve, reject) =>
      createRequire(import.meta.url)("node:http")
        .get(`http://127.0.0.1:${port}/ask`, (r: import("node:http").IncomingMessage) => {
          r.resume();
          r.on("end", () => resolve(r.statusCode ?? 0));
        })
        .on("error", reject),
    );
    expect(res).toBe(200);
    await vi.waitFor(() => expect(named(spans(), "GET").length).toBeGreaterThanOrEqual(2));
    return renderTree(spans());
  }
}

describe("the agent request of issue 12", () => {
  it("GET /ask SERVER > invoke_agent > model_request > chat > POST; tools > execute_tool > db.query > GET", async () => {
    expect(await issueAgentRequest(handler())).toBe(
      [
        "GET SERVER",
        "  invoke_agent shop_assistant INTERNAL",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "        POST CLIENT",
        "    tools INTERNAL",
        "      execute_tool lookup_order INTERNAL",
        "        db.query INTERNAL",
        "          GET CLIENT",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "        POST CLIENT",
        "    tools INTERNAL",
        "      execute_tool shipping_eta INTERNAL",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "        POST CLIENT",
      ].join("\n"),
    );
  });

  it("with runContext: false (the previous behaviour) the HTTP calls and db.query are children of the SERVER span", async () => {
    const on = handler();
    await on.shutdown();
    expect(await issueAgentRequest(handler({ runContext: false }))).toBe(
      [
        "GET SERVER",
        "  invoke_agent shop_assistant INTERNAL",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "    tools INTERNAL",
        "      execute_tool lookup_order INTERNAL",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "    tools INTERNAL",
        "      execute_tool shipping_eta INTERNAL",
        "    model_request INTERNAL",
        "      chat gpt-4o-mini CLIENT",
        "  POST CLIENT",
        "  db.query INTERNAL",
        "    GET CLIENT",
        "  POST CLIENT",
        "  POST CLIENT",
      ].join("\n"),
    );
  });
});

describe("every way of attaching the handler", () => {
  it("registerGlobalHandler: the HTTP call nests under chat", async () => {
    const h = handler();
    const detach = registerGlobalHandler(h);
    try {
      await inRequest("GET /ask", () => chatModel().invoke("hi"));
    } finally {
      detach();
    }
    const all = spans();
    expectChild(only(all, POST), only(all, "chat gpt-4o-mini"));
  });

  it("a handler given to the model's constructor", async () => {
    const h = handler();
    await inRequest("GET /ask", () => chatModel({ callbacks: [h] }).invoke("hi"));
    const all = spans();
    expectChild(only(all, POST), only(all, "chat gpt-4o-mini"));
  });
});

describe("lifecycle", () => {
  it("each handler counts once; shutting it down twice releases it once", async () => {
    const a = handler();
    const b = handler();
    const live = runScopeStatus().live;
    expect(live).toBeGreaterThanOrEqual(2);
    await a.shutdown();
    await a.shutdown();
    expect(runScopeStatus().live).toBe(live - 1);
    await b.shutdown();
    expect(runScopeStatus().live).toBe(live - 2);
  });
});
