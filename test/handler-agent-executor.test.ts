/**
 * The legacy `AgentExecutor` (`@langchain/classic`) is an agent too: its run is `invoke_agent`,
 * the model and tool runs it drives nest under it.
 */
import { AgentExecutor, createToolCallingAgent } from "@langchain/classic/agents";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeToolCallingModel, tool } from "langchain";
import { expect, it } from "vitest";
import { z } from "zod";
import { isChildOf, memoryHandler, named, only } from "./helpers/spans.js";

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

it("AgentExecutor: invoke_agent AgentExecutor > chat, execute_tool get_weather", async () => {
  const { handler, spans } = memoryHandler();
  const llm = new FakeToolCallingModel({
    toolCalls: [[{ name: "get_weather", args: { city: "Oslo" }, id: "call_7" }], []],
  });
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "You help with weather."],
    ["human", "{input}"],
    ["placeholder", "{agent_scratchpad}"],
  ]);
  const agent = createToolCallingAgent({ llm, tools: [weather], prompt });
  const executor = new AgentExecutor({ agent, tools: [weather] });
  await executor.invoke({ input: "Weather in Oslo?" }, { callbacks: [handler] });

  const all = spans();
  const root = only(all, "invoke_agent AgentExecutor");
  expect(root.attributes["gen_ai.operation.name"]).toBe("invoke_agent");
  expect(root.attributes["gen_ai.agent.name"]).toBe("AgentExecutor");
  expect(root.parentSpanContext).toBeUndefined();
  const tool_ = only(all, "execute_tool get_weather");
  // AgentExecutor calls the tool with the arguments, not with the ToolCall: LangChain hands the
  // handler no tool call id, so none is recorded (createAgent does pass it: handler-agents.test.ts).
  expect(tool_.attributes["gen_ai.tool.call.id"]).toBeUndefined();
  expect(tool_.attributes["gen_ai.tool.name"]).toBe("get_weather");
  expect(isChildOf(tool_, root)).toBe(true);
  const chats = named(all, "chat");
  expect(chats).toHaveLength(2);
  // Every span of the run is in the agent's trace, and nothing else is an agent.
  for (const s of all) expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
  expect(all.filter((s) => s.attributes["gen_ai.operation.name"] === "invoke_agent")).toHaveLength(
    1,
  );
  expect(handler.openRunCount).toBe(0);
});
