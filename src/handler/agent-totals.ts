/**
 * Per-agent totals: the token usage of an agent's own inference calls (calls whose nearest
 * `invoke_agent` ancestor it is; a nested agent keeps its own) and how many inference and tool
 * calls it made. Set on the `invoke_agent` span (the conventions define `gen_ai.usage.*` there)
 * and on the agent's details record.
 */
import type { Attributes } from "@opentelemetry/api";
import type { Usage } from "../langchain/attributes.js";
import * as S from "../semconv.js";
import type { SemconvMode } from "./semconv-stability.js";

export class AgentTotals {
  inferences = 0;
  tools = 0;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;

  /** Adds what one call reported (nothing is added for a field the call did not report). */
  addUsage(usage: Usage | undefined): void {
    if (usage === undefined) return;
    if (usage.input !== undefined) this.input = (this.input ?? 0) + usage.input;
    if (usage.output !== undefined) this.output = (this.output ?? 0) + usage.output;
    if (usage.cacheRead !== undefined) this.cacheRead = (this.cacheRead ?? 0) + usage.cacheRead;
    if (usage.cacheCreation !== undefined)
      this.cacheCreation = (this.cacheCreation ?? 0) + usage.cacheCreation;
  }

  /**
   * Writes the totals into `into` (span or record attributes). The cache totals are v1.41.0's:
   * the latest conventions removed them from `invoke_agent` spans, so only-latest has none.
   */
  write(into: Attributes, semconv: SemconvMode): void {
    if (this.input !== undefined) into[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = this.input;
    if (this.output !== undefined) into[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = this.output;
    if (semconv.v141) {
      if (this.cacheRead !== undefined)
        into[S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = this.cacheRead;
      if (this.cacheCreation !== undefined)
        into[S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = this.cacheCreation;
    }
    into[S.ATTR_AGENT_INFERENCE_COUNT] = this.inferences;
    into[S.ATTR_AGENT_TOOL_CALL_COUNT] = this.tools;
  }

  /**
   * `300 in / 30 out tokens, 2 model calls, 1 tool call` (parts with nothing to say are left out).
   */
  summary(): string {
    const parts: string[] = [];
    if (this.input !== undefined || this.output !== undefined)
      parts.push(`${this.input ?? 0} in / ${this.output ?? 0} out tokens`);
    if (this.inferences)
      parts.push(`${this.inferences} model call${this.inferences === 1 ? "" : "s"}`);
    if (this.tools) parts.push(`${this.tools} tool call${this.tools === 1 ? "" : "s"}`);
    return parts.join(", ");
  }
}
