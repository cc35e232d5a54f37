/**
 * Child process for test/fault-exit.test.ts: an app that calls setupTelemetry() pointed at
 * COLLECTOR_URL, runs a `prompt | model | parser` chain INVOKES times, and then ends in the way
 * named by its argument:
 *
 * - `end`: returns; the event loop empties (a script, or a serverless runtime letting it drain);
 * - `exit`: calls `process.exit(0)` at once;
 * - `serverless`: `await telemetry.forceFlush()`, then `process.exit(0)` (a handler flushing before it returns);
 * - `sigterm`: prints READY and waits, keeping the process alive, for the parent's SIGTERM;
 * - `sigterm-handler`: the same, with the app's own SIGTERM handler calling `await telemetry.shutdown()`.
 */
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { setupTelemetry } from "../../src/setup/setup.js";

const INVOKES = 5;

const mode = process.argv[2];
const telemetry = setupTelemetry({
  endpoint: process.env.COLLECTOR_URL,
  serviceName: `fault-exit-${mode}`,
});
const chain = ChatPromptTemplate.fromMessages([["human", "{question}"]])
  .pipe(new FakeListChatModel({ responses: ["pong"] }))
  .pipe(new StringOutputParser());
for (let i = 0; i < INVOKES; i++) await chain.invoke({ question: "ping" });

if (mode === "exit") process.exit(0);
if (mode === "serverless") {
  await telemetry.forceFlush();
  process.exit(0);
}
if (mode === "sigterm" || mode === "sigterm-handler") {
  if (mode === "sigterm-handler") {
    process.on("SIGTERM", () => {
      void telemetry.shutdown().then(() => process.exit(0));
    });
  }
  setInterval(() => {}, 1_000);
  process.stdout.write("READY\n");
}
