/** The one test for a LangChain message object, and the one way its type is read. */

/** Whether `obj` is a LangChain message (it has `getType`, or the older `_getType`). */
export function isLangChainMessage(obj: object): boolean {
  return (
    typeof (obj as { getType?: unknown }).getType === "function" ||
    typeof (obj as { _getType?: unknown })._getType === "function"
  );
}

/**
 * The LangChain type of a message object (`human`, `ai`, `system`, `tool`, ...) from its
 * `getType()` (or `_getType()`); `undefined` when it has neither or they throw.
 */
export function langChainMessageType(msg: object): string | undefined {
  for (const fn of ["getType", "_getType"] as const) {
    try {
      const f = (msg as Record<string, unknown>)[fn];
      if (typeof f === "function") {
        const type: unknown = f.call(msg);
        if (type !== undefined && type !== null) return String(type);
      }
    } catch {}
  }
  return undefined;
}
