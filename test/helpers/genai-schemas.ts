/**
 * Validation of recorded GenAI content against the JSON schemas of the semantic conventions
 * v1.41.0 (copied in test/fixtures/semconv-genai-v1.41.0, Apache-2.0; see the README there) or of
 * the latest standalone GenAI conventions (test/fixtures/semconv-genai-latest).
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { Ajv, type ValidateFunction } from "ajv";

// The schemas mark base64 content `format: binary`, which ajv does not know: nothing to check there.
const ajv = new Ajv({ strict: false, allErrors: true, formats: { binary: true } });
export const SCHEMA_FILES = {
  "gen_ai.input.messages": "gen-ai-input-messages.json",
  "gen_ai.output.messages": "gen-ai-output-messages.json",
  "gen_ai.system_instructions": "gen-ai-system-instructions.json",
  "gen_ai.tool.definitions": "gen-ai-tool-definitions.json",
  "gen_ai.retrieval.documents": "gen-ai-retrieval-documents.json",
} as const;
export type ContentAttr = keyof typeof SCHEMA_FILES;
/** Which conventions' schemas: v1.41.0 (the default output) or the latest standalone ones. */
export type SchemaVersion = "v1.41.0" | "latest";

type Loaded = { whole: ValidateFunction; defs: Record<string, unknown>; id: string };
const schemas = new Map<string, Loaded>();
for (const version of ["v1.41.0", "latest"] as SchemaVersion[]) {
  const dir = new URL(`../fixtures/semconv-genai-${version}/`, import.meta.url);
  for (const [attr, file] of Object.entries(SCHEMA_FILES) as [ContentAttr, string][]) {
    const schema = JSON.parse(readFileSync(new URL(file, dir), "utf8"));
    schema.$id = `https://semconv.test/${version}/${file}`;
    ajv.addSchema(schema);
    schemas.set(`${version} ${attr}`, {
      whole: ajv.getSchema(schema.$id)!,
      defs: schema.$defs,
      id: schema.$id,
    });
  }
}

/** Part types the schemas define precisely; anything else only meets GenericPart (any `type`). */
const PART_DEFS: Record<string, string> = {
  text: "TextPart",
  tool_call: "ToolCallRequestPart",
  tool_call_response: "ToolCallResponsePart",
  blob: "BlobPart",
  file: "FilePart",
  uri: "UriPart",
  reasoning: "ReasoningPart",
};

/**
 * Validates a JSON attribute against its schema. Because the schemas accept any part with a
 * string `type` (GenericPart), each part of a well-known type is also validated against that
 * type's own definition, so a `text` part without `content` fails.
 */
export function validate(
  attr: ContentAttr,
  json: unknown,
  version: SchemaVersion = "v1.41.0",
): unknown {
  expect(typeof json).toBe("string");
  const value = JSON.parse(json as string);
  const { whole, defs, id } = schemas.get(`${version} ${attr}`)!;
  const ok = whole(value);
  expect(whole.errors ?? [], `${attr} against ${version} ${SCHEMA_FILES[attr]}`).toEqual([]);
  expect(ok).toBe(true);
  const parts: unknown[] = [];
  if (attr === "gen_ai.input.messages" || attr === "gen_ai.output.messages")
    for (const m of value) parts.push(...m.parts);
  if (attr === "gen_ai.system_instructions") parts.push(...value);
  for (const part of parts as { type: string }[]) {
    const def = PART_DEFS[part.type];
    if (!def || !defs[def]) continue;
    const check = ajv.getSchema(`${id}#/$defs/${def}`)!;
    expect(
      check(part),
      `${attr} part ${JSON.stringify(part)} against ${def}: ${JSON.stringify(check.errors)}`,
    ).toBe(true);
  }
  return value;
}
