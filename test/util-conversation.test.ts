/**
 * The one conversation-id rule (src/util/conversation.ts), shared by run metadata
 * (src/langchain/attributes.ts) and association properties (src/annotate/association.ts).
 */
import { describe, expect, it } from "vitest";
import { conversationId } from "../src/langchain/attributes.js";
import { CONVERSATION_ID_KEYS, conversationIdFrom } from "../src/util/conversation.js";

const from = (values: Record<string, unknown>) => conversationIdFrom((key) => values[key]);

describe("conversationIdFrom", () => {
  it("reads conversation_id, then session_id, then thread_id, each in snake and camel case", () => {
    expect(CONVERSATION_ID_KEYS).toEqual([
      "conversation_id",
      "conversationId",
      "session_id",
      "sessionId",
      "thread_id",
      "threadId",
    ]);
    expect(from({ threadId: "t", sessionId: "s", conversationId: "c" })).toBe("c");
    expect(from({ thread_id: "t", sessionId: "s" })).toBe("s");
    expect(from({ threadId: "t" })).toBe("t");
    expect(from({})).toBeUndefined();
  });

  it("skips values that are no id (empty, boolean, NaN, objects) and reads the next key", () => {
    expect(from({ conversation_id: "", session_id: false, thread_id: "t" })).toBe("t");
    expect(from({ conversation_id: Number.NaN, session_id: { id: 1 }, thread_id: 42 })).toBe("42");
  });

  it("cuts a long id to 256 characters, ending in the truncation mark", () => {
    const id = from({ thread_id: "x".repeat(1000) });
    expect(id).toHaveLength(256);
    expect(id!.endsWith("…[truncated]")).toBe(true);
  });

  it("is the rule run metadata follows", () => {
    expect(conversationId({ thread_id: "t", session_id: "s", conversation_id: "c" })).toBe("c");
    expect(conversationId(undefined)).toBeUndefined();
  });
});
