/**
 * Failures: a tool that throws and a model that throws end their spans with status ERROR,
 * `error.type` and an `exception` event; the enclosing runs fail too when the error reaches them.
 */
import { describe, expect, it } from "vitest";
import { tool } from "@langchain/core/tools";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { SpanStatusCode } from "@opentelemetry/api";
import { createAgent, FakeToolCallingModel } from "langchain";
import { z } from "zod";
import { isChildOf, memoryHandler, only, renderTree } from "./helpers/spans.js";

class RateLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RateLimitError";
  }
}

/** A chat model whose provider call fails. */
class FailingChatModel extends FakeListChatModel {
  override async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    throw new RateLimitError("429 slow down");
  }
}

class ToolBroke extends Error {}

const broken = tool(
  async (): Promise<string> => {
    throw new ToolBroke("tool broke");
  },
  { name: "broken_tool", description: "always fails", schema: z.object({}) },
);

function expectFailed(span: ReturnType<typeof only>, type: string, message: string): void {
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message });
  expect(span.attributes["error.type"]).toBe(type);
  const exceptions = span.events.filter((e) => e.name === "exception");
  expect(exceptions).toHaveLength(1);
  expect(exceptions[0].attributes?.["exception.type"]).toBe(type);
  expect(exceptions[0].attributes?.["exception.message"]).toBe(message);
  expect(String(exceptions[0].attributes?.["exception.stacktrace"])).toContain(message);
}

describe("a tool that throws", () => {
  it("invoked directly: the error reaches the caller; the span is ERROR with error.type = the error class and an exception event", async () => {
    const { handler, spans } = memoryHandler();
    await expect(broken.invoke({}, { callbacks: [handler] })).rejects.toThrow("tool broke");
    expect(renderTree(spans())).toBe("execute_tool broken_tool INTERNAL");
    expectFailed(only(spans(), "execute_tool broken_tool"), "ToolBroke", "tool broke");
    expect(handler.openRunCount).toBe(0);
  });

  it("called by an agent: the tool span fails under its tools node; the agent recovers (ToolNode turns the error into a message) and ends OK", async () => {
    const { handler, spans } = memoryHandler();
    const model = new FakeToolCallingModel({
      toolCalls: [[{ name: "broken_tool", args: {}, id: "call_b" }], []],
    });
    const agent = createAgent({ model, tools: [broken], name: "err_agent" });
    const result = await agent.invoke(
      { messages: [{ role: "user", content: "x" }] },
      { callbacks: [handler] },
    );
    expect(
      result.messages.some(
        (m) => m.getType() === "tool" && String(m.content).includes("tool broke"),
      ),
    ).toBe(true);
    const toolSpan = only(spans(), "execute_tool broken_tool");
    expectFailed(toolSpan, "ToolBroke", "tool broke");
    expect(toolSpan.attributes["gen_ai.tool.call.id"]).toBe("call_b");
    expect(isChildOf(toolSpan, only(spans(), "tools"))).toBe(true);
    const agentSpan = only(spans(), "invoke_agent err_agent");
    expect(agentSpan.status.code).toBe(SpanStatusCode.UNSET);
    expect(agentSpan.attributes["error.type"]).toBeUndefined();
    expect(handler.openRunCount).toBe(0);
  });
});

describe("a model that throws", () => {
  it("invoked directly: the chat span is ERROR with error.type RateLimitError and the exception", async () => {
    const { handler, spans } = memoryHandler();
    await expect(
      new FailingChatModel({ responses: [] }).invoke("hi", { callbacks: [handler] }),
    ).rejects.toThrow("429 slow down");
    expect(renderTree(spans(), { attributes: ["gen_ai.operation.name", "error.type"] })).toBe(
      "chat CLIENT gen_ai.operation.name=chat error.type=RateLimitError",
    );
    expectFailed(only(spans(), "chat"), "RateLimitError", "429 slow down");
    expect(handler.openRunCount).toBe(0);
  });

  it("inside a chain: the chat span and the root workflow both fail (the exception event only where it originated); the prompt span stays OK", async () => {
    const { handler, spans } = memoryHandler();
    const chain = ChatPromptTemplate.fromMessages([["human", "hi {x}"]]).pipe(
      new FailingChatModel({ responses: [] }),
    );
    await expect(chain.invoke({ x: "a" }, { callbacks: [handler] })).rejects.toThrow(
      RateLimitError,
    );
    expect(renderTree(spans(), { attributes: ["error.type"] })).toBe(
      [
        "invoke_workflow RunnableSequence INTERNAL error.type=RateLimitError",
        "  ChatPromptTemplate INTERNAL",
        "  chat CLIENT error.type=RateLimitError",
      ].join("\n"),
    );
    expectFailed(only(spans(), "chat"), "RateLimitError", "429 slow down");
    // The root failed only because the error propagated: status and error.type, no second exception event.
    const root = only(spans(), "invoke_workflow RunnableSequence");
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: "429 slow down" });
    expect(root.attributes["error.type"]).toBe("RateLimitError");
    expect(root.events).toEqual([]);
    expect(only(spans(), "ChatPromptTemplate").status.code).toBe(SpanStatusCode.UNSET);
    expect(handler.openRunCount).toBe(0);
  });

  it("an error that is not an Error instance (a thrown string) still gives a failed span with error.type _OTHER (the conventions' fallback)", async () => {
    const { handler, spans } = memoryHandler();
    handler.handleLLMStart({ id: ["x", "Llm"] }, ["p"], "run-str", undefined, {}, [], {});
    handler.handleLLMError("plain string failure", "run-str");
    const span = only(spans(), "text_completion");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "plain string failure" });
    expect(span.attributes["error.type"]).toBe("_OTHER");
  });
});
