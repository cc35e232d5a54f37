/**
 * An HTTP server (plain `node:http`) instrumented with `@opentelemetry/instrumentation-http`:
 * each request's SERVER span is the parent of the LangChain spans of that request, so one trace
 * shows the request, the agent, its model calls and its tool calls.
 *
 * Order matters:
 * 1. `setupTelemetry()` (tracer provider, context manager, global LangChain handler);
 * 2. `registerInstrumentations()` with the HTTP instrumentation;
 * 3. only then load `node:http` and create the server (LangChain's global handler must exist
 *    before the server does).
 *
 * In an ES module, the instrumentation sees `node:http` only when it is `require()`d (it hooks
 * `require`), hence `createRequire` below. A plain ESM `import` of `node:http` is seen only with
 * the import-in-the-middle loader registered before the app loads: a file preloaded with
 * `node --import ./hooks.mjs app.js` that calls
 * `module.register("@opentelemetry/instrumentation/hook.mjs", import.meta.url)`.
 * Once patched, every server of the process is instrumented.
 *
 * Try it: `npx tsx examples/http-server.ts`, then
 * `curl -s localhost:PORT/ask -d '{"question":"Weekend in Rome?"}'`; Ctrl+C flushes and exits.
 * `PORT` (default: a free port) and `OTEL_EXPORTER_OTLP_ENDPOINT` are read from the environment.
 */
import { createRequire } from "node:module";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { setupTelemetry } from "langchain-opentelemetry/setup";

const telemetry = setupTelemetry({ serviceName: "http-server-example" });

registerInstrumentations({
  tracerProvider: telemetry.tracerProvider,
  instrumentations: [
    new HttpInstrumentation({
      // The local stand-in for the OpenAI API runs in this same process: its requests are not
      // part of the app. (A real app calling api.openai.com needs no such rule.)
      ignoreIncomingRequestHook: (req) => req.url?.startsWith("/v1/chat/completions") ?? false,
    }),
  ],
});

// Loaded after the instrumentation is registered, through require (see the module comment).
const { createServer } = createRequire(import.meta.url)("node:http") as typeof import("node:http");
const { ChatOpenAI } = await import("@langchain/openai");
const { createAgent } = await import("langchain");
const { startFakeOpenAIServer } = await import("./support/fake-openai-server.js");
const { travelTools } = await import("./support/travel-tools.js");

const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network
const model = new ChatOpenAI({
  model: "gpt-4o-mini",
  apiKey: "local",
  configuration: { baseURL: openai.baseURL },
});
const agent = createAgent({ model, tools: travelTools, name: "concierge" });

const server = createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/ask") {
    res
      .writeHead(404, { "Content-Type": "application/json" })
      .end(JSON.stringify({ error: "POST /ask" }));
    return;
  }
  try {
    let body = "";
    for await (const chunk of req) body += chunk;
    const { question } = JSON.parse(body || "{}") as { question?: string };
    // No callbacks here: setupTelemetry() attached the handler globally, and the active span is
    // this request's SERVER span, so the agent's spans become its children.
    const result = await agent.invoke({
      messages: [{ role: "user", content: question ?? "Any tips for Paris?" }],
    });
    res
      .writeHead(200, { "Content-Type": "application/json" })
      .end(JSON.stringify({ answer: result.messages.at(-1)?.content }));
  } catch (err) {
    res
      .writeHead(500, { "Content-Type": "application/json" })
      .end(JSON.stringify({ error: String(err) }));
  }
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : process.env.PORT;
  console.log(
    `Listening on http://127.0.0.1:${port} (POST /ask {"question": "..."}; Ctrl+C to stop)`,
  );
});

// A server never reaches the end of the event loop: flush in the signal handler.
const stop = async (): Promise<void> => {
  server.close();
  await telemetry.shutdown();
  await openai.close();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
