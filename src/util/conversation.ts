/**
 * The one rule for a conversation id, wherever it comes from (run metadata, association
 * properties): `conversation_id`, then `session_id`, then `thread_id`, each in snake or camel
 * case; the first that holds a non-empty string or a finite number wins.
 */
import { cutString } from "./content.js";

/** Keys that name a conversation, highest precedence first. */
export const CONVERSATION_ID_KEYS = [
  "conversation_id",
  "conversationId",
  "session_id",
  "sessionId",
  "thread_id",
  "threadId",
] as const;

/** Longest conversation id recorded (like every identifier). */
const MAX_CONVERSATION_ID_LENGTH = 256;

/** The conversation id among the values that `valueOf` gives for {@link CONVERSATION_ID_KEYS}. */
export function conversationIdFrom(valueOf: (key: string) => unknown): string | undefined {
  for (const key of CONVERSATION_ID_KEYS) {
    const v = valueOf(key);
    if (typeof v === "string" && v) return cutString(v, MAX_CONVERSATION_ID_LENGTH);
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
  }
  return undefined;
}
