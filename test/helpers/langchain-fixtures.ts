/**
 * Small LangChain pieces for tests: a fake chat model that reports token usage, a prompt | model
 * chain, and an agent run with one timed tool call.
 */
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { AIMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { createAgent, FakeToolCallingModel } from "langchain";
import { z } from "zod";
import type { TestClock } from "./models.js";

/** `FakeListChatModel` whose answers carry `usage_metadata` (10 input, 5 output tokens), so the token histogram is recorded. */
export class UsageFakeChatModel extends FakeListChatModel {
  override _formatGeneration(text: string) {
    return {
      message: new AIMessage({
        content: text,
        usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      }),
      text,
    };
  }
}

/** `prompt | model`, answering "pong". */
export function pingChain() {
  const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
  return prompt.pipe(new UsageFakeChatModel({ responses: ["pong"] }));
}

/**
 * Invokes a `createAgent` agent named "travel_agent" once with `handler`: its model calls
 * get_weather for Paris (call id "call_1"), the tool takes 2 s on `clock`, then the model answers.
 */
export async function runTravelAgent(
  clock: TestClock,
  handler: BaseCallbackHandler,
): Promise<void> {
  const getWeather = tool(
    async ({ city }: { city: string }) => {
      clock.advance(2000);
      return `sunny in ${city}`;
    },
    {
      name: "get_weather",
      description: "Weather for a city",
      schema: z.object({ city: z.string() }),
    },
  );
  const model = new FakeToolCallingModel({
    toolCalls: [[{ name: "get_weather", args: { city: "Paris" }, id: "call_1" }], []],
  });
  const agent = createAgent({ model, tools: [getWeather], name: "travel_agent" });
  await agent.invoke(
    { messages: [{ role: "user", content: "Weather in Paris?" }] },
    { callbacks: [handler] },
  );
}
