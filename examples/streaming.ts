/**
 * Streaming: `.stream()` on a chain whose model streams. The handler measures time to first chunk
 * from the first non-empty token (on the span as `gen_ai.response.time_to_first_chunk`, and as the
 * `gen_ai.client.operation.time_to_first_chunk` histogram), and the time per output chunk.
 *
 * Run: `npx tsx examples/streaming.ts`
 * (with `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318` to send to a collector).
 */
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOpenAI } from "@langchain/openai";
import { setupTelemetry } from "langchain-opentelemetry/setup";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";

const telemetry = setupTelemetry({ serviceName: "streaming-example" });
const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network

try {
  // streamUsage (default true) asks the API for token usage in the last chunk.
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "local",
    configuration: { baseURL: openai.baseURL },
  });
  const chain = ChatPromptTemplate.fromTemplate("Describe {city} in one sentence.")
    .pipe(model)
    .pipe(new StringOutputParser());

  const started = performance.now();
  let firstChunkAt: number | undefined;
  process.stdout.write("stream: ");
  for await (const chunk of await chain.stream({ city: "Madrid" }, { runName: "describe_city" })) {
    if (chunk && firstChunkAt === undefined) firstChunkAt = performance.now();
    process.stdout.write(chunk);
  }
  process.stdout.write("\n");
  console.log(
    `first chunk after ${((firstChunkAt ?? started) - started).toFixed(0)} ms (as seen by the app)`,
  );
} finally {
  await telemetry.shutdown(); // flush before the process ends
  await openai.close();
}
