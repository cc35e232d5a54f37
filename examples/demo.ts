/**
 * `npm run demo`: a LangChain agent (`createAgent`) with a tool-calling `ChatOpenAI` model and two
 * tools, traced by `setupTelemetry()`.
 *
 * - With no endpoint configured anywhere, telemetry uses the embedded default: the trace tree,
 *   the GenAI histograms and the log records are printed to stderr.
 * - With `OTEL_EXPORTER_OTLP_ENDPOINT` (or any `OTEL_EXPORTER_OTLP_*_ENDPOINT`) set, the same
 *   telemetry goes to that OTLP/HTTP collector instead.
 *
 * The model talks to a small scripted OpenAI-compatible server started here on 127.0.0.1 (see
 * `support/fake-openai-server.ts`): no API key, no network. It answers the first call with two
 * tool calls and the second with the final answer, with token usage, like the real API.
 *
 * Run: `npm run demo` (or `npx tsx examples/demo.ts`).
 */
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { redactUrl } from "langchain-opentelemetry";
import { setupTelemetry, type TelemetryHandle } from "langchain-opentelemetry/setup";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";
import { travelTools } from "./support/travel-tools.js";

/** One line saying where each signal goes. */
export function describeDestination(telemetry: TelemetryHandle): string {
  const { traces, metrics, logs } = telemetry.config;
  const signals = [traces, metrics, logs].filter((s) => s.enabled);
  if (signals.length === 0)
    return "Telemetry: disabled (OTEL_SDK_DISABLED or every signal turned off).";
  if (signals.every((s) => s.mode === "console")) {
    return "Telemetry: no OTLP endpoint configured, printing traces, metrics and logs to stderr (set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector).";
  }
  return `Telemetry: sending over OTLP (${traces.protocol}) to ${signals.map((s) => `${s.signal} -> ${s.mode === "otlp" && s.url ? redactUrl(s.url) : s.mode}`).join(", ")}.`;
}

export async function main(): Promise<void> {
  // First, before any LangChain run: every run in the process is traced from here on.
  const telemetry = setupTelemetry({ serviceName: "langchain-opentelemetry-demo" });
  console.log(describeDestination(telemetry));

  const openai = await startFakeOpenAIServer();
  try {
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      temperature: 0,
      apiKey: "not-needed-for-the-local-server",
      configuration: { baseURL: openai.baseURL },
    });
    const agent = createAgent({
      model,
      tools: travelTools,
      name: "travel_assistant",
      systemPrompt: "You help travellers. Use the tools before answering.",
    });

    const result = await agent.invoke(
      {
        messages: [
          { role: "user", content: "I am flying to Paris tomorrow. What should I expect?" },
        ],
      },
      { configurable: { thread_id: "demo-thread-1" } },
    );
    console.log(`Agent answer: ${String(result.messages.at(-1)?.content)}`);
  } finally {
    // Flushes and prints (or sends) everything pending, then stops the exporters, so the process
    // ends by itself. Servers do this in their SIGTERM handler; scripts at the end.
    await telemetry.shutdown();
    await openai.close();
  }
}

await main();
