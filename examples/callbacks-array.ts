/**
 * Way in #1: the handler in a `callbacks` array, per call. Only the calls that pass it are traced.
 *
 * `setupTelemetry({ global: false })` builds the exporters (OTLP when an endpoint is configured,
 * else the console) without attaching the handler to every run; `telemetry.handler` is then passed
 * where you want telemetry. (With your own OpenTelemetry SDK, use
 * `new OpenTelemetryCallbackHandler()` instead: it uses the global providers.)
 *
 * Run: `npx tsx examples/callbacks-array.ts`
 * (with `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318` to send to a collector).
 */
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOpenAI } from "@langchain/openai";
import { setupTelemetry } from "langchain-opentelemetry/setup";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";

const telemetry = setupTelemetry({ serviceName: "callbacks-array-example", global: false });
const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network

try {
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "local",
    configuration: { baseURL: openai.baseURL },
  });
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "You are a travel guide. Answer in one sentence."],
    ["human", "What is {city} like in spring?"],
  ]);
  const chain = prompt.pipe(model).pipe(new StringOutputParser());

  // Traced: the handler is in this call's callbacks; the prompt, model and parser runs inherit it.
  const rome = await chain.invoke(
    { city: "Rome" },
    { callbacks: [telemetry.handler], runName: "city_guide" },
  );
  console.log(`traced call: ${rome}`);

  // Not traced: no handler in callbacks, and global attach is off.
  const oslo = await chain.invoke({ city: "Oslo" });
  console.log(`untraced call: ${oslo}`);
} finally {
  await telemetry.shutdown(); // flush before the process ends
  await openai.close();
}
