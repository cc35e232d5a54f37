/**
 * LangGraph graphs and root chains: `invoke_agent {name}` (with per-agent totals, a duration
 * point and a details record), `invoke_workflow {name}`, or a graph to be decided at its first
 * node (opened under the workflow name, renamed if it turns out to be an agent).
 */
import { SpanKind, type Attributes, type Link } from "@opentelemetry/api";
import { conversationId, isRecord } from "../../langchain/attributes.js";
import { isResume, nodeOf } from "../../langchain/langgraph.js";
import {
  splitInput,
  toOutputMessage,
  withoutFinishReason,
  workflowInputMessages,
} from "../../langchain/messages.js";
import * as S from "../../semconv.js";
import { AgentTotals } from "../agent-totals.js";
import type { CancelReason } from "../cancellation.js";
import type { GraphKind, GraphRun, OperationState } from "../runs.js";
import { Recorder, seconds, writeTotals, type Rec, type RunStart } from "./recorder.js";

/** What a graph run starts with: its kind and name as classified, and the chain's payload. */
export interface GraphStart {
  kind: GraphKind;
  name: string;
  inputs: unknown;
  metadata: Rec | undefined;
}

export class AgentRecorder extends Recorder<GraphRun> {
  /**
   * An agent, a workflow, or a graph (`kind`) named `name`. A resume (`Command({ resume })`)
   * links to the interrupted run of its thread, when this handler saw that one.
   */
  start(at: RunStart, g: GraphStart): void {
    const { kind, name, inputs, metadata } = g;
    const conv = conversationId(metadata);
    const operation = kind === "agent" ? S.OP_INVOKE_AGENT : S.OP_INVOKE_WORKFLOW;
    const op: OperationState = { operation, name, conversationId: conv };
    op.metricAttrs = this.metricAttributes(metadata);
    const attributes: Attributes = {};
    if (kind === "agent") {
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_AGENT;
      attributes[S.ATTR_GEN_AI_AGENT_NAME] = name;
    } else if (kind === "workflow") {
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_WORKFLOW;
      attributes[S.ATTR_GEN_AI_WORKFLOW_NAME] = name;
    }
    if (conv) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = conv;
    let links: Link[] | undefined;
    if (isResume(inputs)) {
      attributes[S.ATTR_LANGGRAPH_RESUMED] = true;
      const interrupted =
        at.parentRunId === undefined && conv ? this.c.interrupted.take(conv) : undefined;
      if (interrupted)
        links = [
          {
            context: interrupted,
            attributes: { [S.ATTR_LANGGRAPH_LINK]: S.LINK_RESUMES_INTERRUPTED_RUN },
          },
        ];
    }
    if (this.c.captureContent) {
      if (kind === "agent") this.captureInput(attributes, op, inputs);
      else if (kind === "workflow") this.captureWorkflowInput(attributes, inputs);
    }
    const placed = this.open(at, {
      name: `${operation} ${name}`,
      spanKind: SpanKind.INTERNAL,
      attributes,
      node: nodeOf(metadata),
      links,
    });
    const run: GraphRun = { ...placed, kind, op };
    if (kind === "agent") run.totals = new AgentTotals();
    else if (kind === "graph" && this.c.captureContent) run.inputs = inputs;
    this.c.runs.add(at.runId, run);
  }

  /**
   * A graph of kind `graph` becomes an agent (renamed) or a workflow, once its first node tells.
   */
  decide(run: GraphRun, agent: boolean): void {
    if (run.kind !== "graph") return;
    const { span, op } = run;
    const attributes: Attributes = {};
    if (agent) {
      run.kind = "agent";
      run.totals = new AgentTotals();
      op.operation = S.OP_INVOKE_AGENT;
      span.updateName(`${S.OP_INVOKE_AGENT} ${op.name}`);
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_AGENT;
      attributes[S.ATTR_GEN_AI_AGENT_NAME] = op.name;
      if (this.c.captureContent) this.captureInput(attributes, op, run.inputs);
    } else {
      run.kind = "workflow";
      attributes[S.ATTR_GEN_AI_OPERATION_NAME] = S.OP_INVOKE_WORKFLOW;
      attributes[S.ATTR_GEN_AI_WORKFLOW_NAME] = op.name;
      if (this.c.captureContent) this.captureWorkflowInput(attributes, run.inputs);
    }
    run.inputs = undefined;
    span.setAttributes(attributes);
  }

  /**
   * A workflow's input: as LangChain gave it, and as GenAI input messages (what the conventions
   * name).
   */
  private captureWorkflowInput(attributes: Attributes, inputs: unknown): void {
    attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
    const messages = workflowInputMessages(inputs);
    if (messages !== undefined) attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(messages);
  }

  /** An agent's input messages (`{ messages }`), or its inputs as they are. */
  private captureInput(attributes: Attributes, op: OperationState, inputs: unknown): void {
    const messages =
      isRecord(inputs) && Array.isArray(inputs.messages) ? inputs.messages : undefined;
    if (messages) {
      const { input } = splitInput(messages);
      op.input = input;
      attributes[S.ATTR_GEN_AI_INPUT_MESSAGES] = this.content(input);
    } else {
      attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
    }
  }

  end(run: GraphRun, outputs: unknown): void {
    this.decide(run, false);
    this.c.failures.settle(run);
    const span = run.span;
    if (this.c.captureContent) {
      const messages =
        run.kind === "agent" && isRecord(outputs) && Array.isArray(outputs.messages)
          ? outputs.messages
          : undefined;
      if (messages) {
        let output = messages.slice(-1).map(toOutputMessage);
        // Latest only: the messages' finish_reason is deprecated there.
        if (!this.c.semconv.v141) output = withoutFinishReason(output);
        span.setAttribute(S.ATTR_GEN_AI_OUTPUT_MESSAGES, this.content(output));
      } else span.setAttribute(S.ATTR_CHAIN_OUTPUTS, this.content(outputs));
    }
    this.markInterrupted(run);
    writeTotals(run, this.c.semconv);
    span.end();
    if (run.kind === "agent") this.finishOperation(run, undefined);
    else this.finishWorkflow(run, undefined);
  }

  fail(run: GraphRun, err: unknown): void {
    this.decide(run, false);
    if (this.endedByControlFlow(run, err)) {
      if (run.kind === "agent") this.finishOperation(run, undefined);
      else this.finishWorkflow(run, undefined);
      return;
    }
    if (this.cancelledBy(run, err, true)) return;
    writeTotals(run, this.c.semconv);
    const { info, passedOn } = this.c.failures.failAndEnd(run, err);
    if (run.kind === "agent") this.finishOperation(run, info);
    else this.finishWorkflow(run, info.type);
    const attrs = { [S.ATTR_GEN_AI_OPERATION_NAME]: run.op.operation };
    this.c.failures.passUp(run, passedOn ?? this.c.failures.atOrigin(run, err, info, attrs));
  }

  /** Latest conventions only: a workflow's `gen_ai.invoke_workflow.duration` point. */
  private finishWorkflow(run: GraphRun, errorType: string | undefined): void {
    const metrics = this.c.latestMetrics;
    if (metrics === undefined || run.kind !== "workflow") return;
    const attributes: Attributes = {
      ...run.op.metricAttrs,
      [S.ATTR_GEN_AI_WORKFLOW_NAME]: run.op.name,
    };
    if (errorType) attributes[S.ATTR_ERROR_TYPE] = errorType;
    metrics.recordWorkflow(seconds(run.start, performance.now()), attributes);
  }

  cancel(run: GraphRun, reason: CancelReason): void {
    this.decide(run, false);
    this.endCancelled(run, reason);
  }
}
