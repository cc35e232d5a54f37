/**
 * Plain chains, LangGraph nodes, and hidden runs (LangGraph plumbing, no span): an INTERNAL span
 * with the inputs and outputs when capture is on; no metric point, no details record (their model
 * and tool calls have their own).
 */
import { context, SpanKind, type Attributes } from "@opentelemetry/api";
import { nodeAttributes, nodeOf } from "../../langchain/langgraph.js";
import { getAssociationAttributes } from "../../util/context-keys.js";
import * as S from "../../semconv.js";
import type { CancelReason } from "../cancellation.js";
import { childContextOf, type ChainRun } from "../runs.js";
import { Recorder, type Rec, type RunStart } from "./recorder.js";

export class ChainRecorder extends Recorder<ChainRun> {
  /** A hidden LangGraph run: no span; its children attach to the nearest recorded ancestor. */
  hide(at: RunStart, metadata: Rec | undefined): void {
    const parent = at.parent;
    const parentCtx = parent === undefined ? context.active() : childContextOf(parent);
    this.c.runs.add(at.runId, {
      kind: "hidden",
      parent,
      node: nodeOf(metadata),
      span: undefined,
      target: parent === undefined ? undefined : parent.span === undefined ? parent.target : parent,
      parentCtx,
      ctx: parentCtx,
      start: performance.now(),
      isRoot: at.parentRunId === undefined,
      assoc: parent === undefined ? getAssociationAttributes(parentCtx) : parent.assoc,
      op: undefined,
    });
  }

  /** A chain that is neither a graph nor a node (under the run name `name`). */
  startChain(at: RunStart, name: string, inputs: unknown, node: string | undefined): void {
    const attributes: Attributes | undefined = this.c.captureContent
      ? { [S.ATTR_CHAIN_INPUTS]: this.content(inputs) }
      : undefined;
    const placed = this.open(at, { name, spanKind: SpanKind.INTERNAL, attributes, node });
    const run: ChainRun = { ...placed, kind: "chain", op: undefined };
    this.c.runs.add(at.runId, run);
  }

  /** A LangGraph node's own run (its name is the node's). */
  startNode(at: RunStart, node: string, inputs: unknown, metadata: Rec): void {
    const attributes = nodeAttributes(node, metadata);
    if (this.c.captureContent) attributes[S.ATTR_CHAIN_INPUTS] = this.content(inputs);
    const placed = this.open(at, { name: node, spanKind: SpanKind.INTERNAL, attributes, node });
    const run: ChainRun = { ...placed, kind: "node", op: undefined };
    this.c.runs.add(at.runId, run);
  }

  end(run: ChainRun, outputs: unknown): void {
    this.c.failures.settle(run);
    if (this.c.captureContent) run.span.setAttribute(S.ATTR_CHAIN_OUTPUTS, this.content(outputs));
    this.markInterrupted(run);
    run.span.end();
  }

  fail(run: ChainRun, err: unknown): void {
    if (this.endedByControlFlow(run, err)) return;
    if (this.cancelledBy(run, err, false)) return;
    const { info, passedOn } = this.c.failures.failAndEnd(run, err);
    this.c.failures.passUp(run, passedOn ?? this.c.failures.atOrigin(run, err, info, undefined));
  }

  cancel(run: ChainRun, reason: CancelReason): void {
    this.endCancelled(run, reason);
  }
}
