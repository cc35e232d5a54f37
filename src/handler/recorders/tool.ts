/**
 * Tool calls: `execute_tool {name}` with the call id and, when capture is on, the arguments and
 * the result; a `gen_ai.execute_tool.duration` point and a details record.
 */
import { SpanKind, type Attributes } from "@opentelemetry/api";
import {
  conversationId,
  fallbackAgentName,
  identifier,
  isRecord,
  runNameOf,
} from "../../langchain/attributes.js";
import { nodeOf } from "../../langchain/langgraph.js";
import { ownToolDescription } from "../../langchain/tool-descriptions.js";
import * as S from "../../semconv.js";
import { boundedText } from "../../util/content.js";
import type { CancelReason } from "../cancellation.js";
import { agentOf, type ToolRun, type ToolState } from "../runs.js";
import { Recorder, type Rec, type RunStart } from "./recorder.js";

/** What a tool call starts with (`handleToolStart`). */
export interface ToolStart {
  tool: unknown;
  input: unknown;
  metadata: Rec | undefined;
  runName: string | undefined;
  toolCallId: string | undefined;
}

export class ToolRecorder extends Recorder<ToolRun> {
  start(at: RunStart, t: ToolStart): void {
    const { tool, metadata } = t;
    const name = runNameOf(tool, t.runName, "tool");
    const attributes: Attributes = {
      [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_EXECUTE_TOOL,
      [S.ATTR_GEN_AI_TOOL_NAME]: name,
      [S.ATTR_GEN_AI_TOOL_TYPE]: "function",
    };
    const callId =
      typeof t.toolCallId === "string" && t.toolCallId ? identifier(t.toolCallId) : undefined;
    if (callId) attributes[S.ATTR_GEN_AI_TOOL_CALL_ID] = callId;
    // LangChain 1.x passes no description: take the one the requesting model call's tool
    // definitions carried (tool-descriptions.ts); one LangChain does pass wins.
    const description = ownToolDescription(tool) ?? this.c.toolDescriptions.lookup(at.parent, name);
    if (description) attributes[S.ATTR_GEN_AI_TOOL_DESCRIPTION] = description;
    const op: ToolState = {
      operation: S.OP_EXECUTE_TOOL,
      name,
      conversationId: conversationId(metadata),
    };
    // The agent that called the tool is its nearest invoke_agent run; inherited metadata
    // (which names the OUTER agent inside a nested one) only when the handler saw no agent.
    const agent = agentOf(at.parent);
    op.agentName = agent?.op.name ?? fallbackAgentName(metadata);
    if (agent?.totals !== undefined) agent.totals.tools++;
    if (callId) op.toolCallId = callId;
    op.metricAttrs = this.metricAttributes(metadata);
    if (op.conversationId) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
    if (this.c.captureContent) {
      attributes[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = boundedText(t.input, this.c.maxContent);
      op.input = t.input;
    }
    const placed = this.open(at, {
      name: `${S.OP_EXECUTE_TOOL} ${name}`,
      spanKind: SpanKind.INTERNAL,
      attributes,
      node: nodeOf(metadata),
    });
    const run: ToolRun = { ...placed, kind: "tool", op };
    this.c.runs.add(at.runId, run);
  }

  end(run: ToolRun, output: unknown): void {
    this.c.failures.settle(run);
    let result: unknown;
    if (this.c.captureContent) {
      // Agents pass a ToolMessage: its content is the result.
      result =
        isRecord(output) && "content" in output && "tool_call_id" in output
          ? output.content
          : output;
      run.span.setAttribute(S.ATTR_GEN_AI_TOOL_CALL_RESULT, boundedText(result, this.c.maxContent));
    }
    run.span.end();
    this.finishOperation(run, undefined, result);
  }

  fail(run: ToolRun, err: unknown): void {
    // interrupt() inside a tool reaches the tool's error callback first.
    if (this.endedByControlFlow(run, err)) return this.finishOperation(run, undefined);
    if (this.cancelledBy(run, err, false)) return;
    const { info, passedOn } = this.c.failures.failAndEnd(run, err);
    this.finishOperation(run, info);
    this.c.failures.passUp(run, passedOn ?? this.c.failures.atOrigin(run, err, info, undefined));
  }

  cancel(run: ToolRun, reason: CancelReason): void {
    this.endCancelled(run, reason);
  }
}
