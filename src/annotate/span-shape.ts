import type { Attributes } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_SPAN_KIND,
  ATTR_TASK_NAME,
  OP_EXECUTE_TOOL,
  OP_INVOKE_AGENT,
  OP_INVOKE_WORKFLOW,
} from "../semconv.js";
import type { AnnotationKind } from "./annotate.js";

/** Span name and fixed attributes of one annotated function. */
export function spanShape(
  kind: AnnotationKind,
  name: string,
): { spanName: string; attributes: Attributes } {
  switch (kind) {
    case "workflow":
      return {
        spanName: `${OP_INVOKE_WORKFLOW} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_INVOKE_WORKFLOW,
          [ATTR_GEN_AI_WORKFLOW_NAME]: name,
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "agent":
      return {
        spanName: `${OP_INVOKE_AGENT} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_INVOKE_AGENT,
          [ATTR_GEN_AI_AGENT_NAME]: name,
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "tool":
      return {
        spanName: `${OP_EXECUTE_TOOL} ${name}`,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OP_EXECUTE_TOOL,
          [ATTR_GEN_AI_TOOL_NAME]: name,
          [ATTR_GEN_AI_TOOL_TYPE]: "function",
          [ATTR_SPAN_KIND]: kind,
        },
      };
    case "task":
      return {
        spanName: `task ${name}`,
        attributes: { [ATTR_SPAN_KIND]: kind, [ATTR_TASK_NAME]: name },
      };
  }
}
