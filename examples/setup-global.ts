/**
 * Way in #2: `setupTelemetry()` once at startup. The handler is attached to every LangChain run in
 * the process, so no call site changes: no `callbacks` anywhere below.
 *
 * Call it first, before creating servers, queues or workers (LangChain keeps its global handlers
 * in AsyncLocalStorage: async resources created earlier do not see them).
 *
 * Run: `npx tsx examples/setup-global.ts`
 * (with `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318` to send to a collector).
 */
import { setupTelemetry } from "langchain-opentelemetry/setup";

import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";
import { travelTools } from "./support/travel-tools.js";

const telemetry = setupTelemetry({ serviceName: "setup-global-example" });
const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network

// Application code: nothing telemetry-specific below this line.
const model = new ChatOpenAI({
  model: "gpt-4o-mini",
  apiKey: "local",
  configuration: { baseURL: openai.baseURL },
});
const summarize = ChatPromptTemplate.fromTemplate("Describe {city} in one sentence.")
  .pipe(model)
  .pipe(new StringOutputParser());
const assistant = createAgent({ model, tools: travelTools, name: "trip_planner" });

try {
  console.log(`chain: ${await summarize.invoke({ city: "Lisbon" })}`);
  const result = await assistant.invoke({
    messages: [{ role: "user", content: "Planning a weekend in Rome." }],
  });
  console.log(`agent: ${String(result.messages.at(-1)?.content)}`);
} finally {
  await telemetry.shutdown(); // flush before the process ends
  await openai.close();
}
