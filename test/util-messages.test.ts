/**
 * The one LangChain message test and message-type reader (src/util/messages.ts), used by bounded
 * serialisation (src/util/content.ts) and by the message mapping (src/langchain/messages.ts).
 */
import { describe, expect, it } from "vitest";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { isLangChainMessage, langChainMessageType } from "../src/util/messages.js";
import { toPlain } from "../src/util/content.js";

describe("LangChain messages", () => {
  it("recognises message objects and reads their type", () => {
    expect(isLangChainMessage(new HumanMessage("hi"))).toBe(true);
    expect(isLangChainMessage({ type: "human", content: "hi" })).toBe(false);
    expect(langChainMessageType(new HumanMessage("hi"))).toBe("human");
    expect(langChainMessageType(new AIMessage("yes"))).toBe("ai");
    expect(langChainMessageType(new ToolMessage({ content: "1", tool_call_id: "c" }))).toBe("tool");
  });

  it("falls back to _getType, and gives undefined when neither works", () => {
    expect(langChainMessageType({ _getType: () => "system" })).toBe("system");
    expect(
      langChainMessageType({
        getType: () => {
          throw new Error("broken");
        },
        _getType: () => "ai",
      }),
    ).toBe("ai");
    expect(langChainMessageType({ type: "human" })).toBeUndefined();
  });

  it("serialises a message by its fields, with the same type", () => {
    expect(toPlain(new HumanMessage("hi"), 100)).toEqual({ type: "human", content: "hi" });
  });
});
