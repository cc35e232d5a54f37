/**
 * Tool descriptions from the tool definitions a model call carried. LangChain 1.x does not pass a
 * tool's description to `handleToolStart` (its `serialized` argument has only the name), but the
 * model call that requested the tool had the definitions in `invocation_params.tools`, in the
 * provider's format: OpenAI `{type: "function", function: {name, description}}`, Anthropic and
 * Bedrock `{name, description, input_schema}`,
 * Gemini `{functionDeclarations: [{name, description}]}`.
 */
import { identifier, isRecord } from "./attributes.js";
import { cutString } from "../util/content.js";

/** Longest description recorded: descriptions are prose written for the model, usually short. */
export const MAX_TOOL_DESCRIPTION_LENGTH = 1024;

function add(into: Map<string, string>, def: unknown): void {
  if (!isRecord(def)) return;
  const fn = isRecord(def.function) ? def.function : def;
  if (typeof fn.name !== "string" || !fn.name) return;
  if (typeof fn.description !== "string" || !fn.description) return;
  const name = identifier(fn.name);
  if (!into.has(name)) into.set(name, cutString(fn.description, MAX_TOOL_DESCRIPTION_LENGTH));
}

/**
 * `name -> description` of the tools in `invocation_params.tools`; the first definition of a name
 * wins. Adds to `into` (a scope's index) and returns it; `undefined` when nothing had a
 * description.
 */
export function readToolDescriptions(
  tools: unknown,
  into?: Map<string, string>,
): Map<string, string> | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return into;
  let out = into;
  for (const t of tools) {
    const defs =
      isRecord(t) && Array.isArray(t.functionDeclarations) ? t.functionDeclarations : [t];
    for (const def of defs) {
      out ??= new Map();
      add(out, def);
    }
  }
  return out !== undefined && out.size > 0 ? out : into;
}

/** The description a tool object (or its serialized form) carries itself, when it does. */
export function ownToolDescription(tool: unknown): string | undefined {
  if (!isRecord(tool)) return undefined;
  const d = tool.description ?? (isRecord(tool.kwargs) ? tool.kwargs.description : undefined);
  return typeof d === "string" && d ? cutString(d, MAX_TOOL_DESCRIPTION_LENGTH) : undefined;
}
