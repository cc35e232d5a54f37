/**
 * Retrievals: `retrieval {data source}` (CLIENT) with the document count and, when capture is on,
 * the query and the documents; a details record (no metric: the conventions define none).
 */
import { SpanKind, type Attributes } from "@opentelemetry/api";
import {
  conversationId,
  fallbackAgentName,
  retrievedDocuments,
  runNameOf,
} from "../../langchain/attributes.js";
import { nodeOf } from "../../langchain/langgraph.js";
import { operationBody, retrievalAttributes } from "../../signals/logs.js";
import * as S from "../../semconv.js";
import { boundedText } from "../../util/content.js";
import type { CancelReason } from "../cancellation.js";
import { agentOf, contextOf, type OperationState, type RetrieverRun } from "../runs.js";
import { Recorder, seconds, severityOf, type Rec, type RunStart } from "./recorder.js";

/** What a retrieval starts with (`handleRetrieverStart`). */
export interface RetrieverStart {
  retriever: unknown;
  query: unknown;
  metadata: Rec | undefined;
  name: string | undefined;
}

export class RetrieverRecorder extends Recorder<RetrieverRun> {
  start(at: RunStart, r: RetrieverStart): void {
    const { metadata, query } = r;
    const source = runNameOf(r.retriever, r.name, "retriever");
    const attributes: Attributes = {
      [S.ATTR_GEN_AI_OPERATION_NAME]: S.OP_RETRIEVAL,
      [S.ATTR_GEN_AI_DATA_SOURCE_ID]: source,
    };
    const op: OperationState = {
      operation: S.OP_RETRIEVAL,
      name: source,
      conversationId: conversationId(metadata),
    };
    op.agentName = agentOf(at.parent)?.op.name ?? fallbackAgentName(metadata);
    if (op.conversationId) attributes[S.ATTR_GEN_AI_CONVERSATION_ID] = op.conversationId;
    if (this.c.captureContent)
      attributes[S.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT] = boundedText(query, this.c.maxContent);
    const placed = this.open(at, {
      name: `${S.OP_RETRIEVAL} ${source}`,
      spanKind: SpanKind.CLIENT,
      attributes,
      node: nodeOf(metadata),
    });
    const run: RetrieverRun = { ...placed, kind: "retriever", op };
    this.c.runs.add(at.runId, run);
  }

  end(run: RetrieverRun, documents: unknown): void {
    const span = run.span;
    const count = Array.isArray(documents) ? documents.length : undefined;
    if (count !== undefined) span.setAttribute(S.ATTR_RETRIEVAL_DOCUMENT_COUNT, count);
    if (this.c.captureContent && Array.isArray(documents)) {
      const { docs, scored } = retrievedDocuments(documents);
      // v1.41.0's schema requires a score per document; most retrievers give none, and then the
      // list goes under our own attribute rather than break the schema. The latest schema makes
      // the score optional: there, the conventions' attribute always.
      span.setAttribute(
        scored || !this.c.semconv.v141
          ? S.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS
          : S.ATTR_RETRIEVAL_DOCUMENTS,
        this.content(docs),
      );
    }
    span.end();
    this.record(run, undefined, count);
  }

  fail(run: RetrieverRun, err: unknown): void {
    if (this.cancelledBy(run, err, false)) return;
    const { info, passedOn } = this.c.failures.failAndEnd(run, err);
    this.record(run, info.type, undefined);
    const attrs = { [S.ATTR_GEN_AI_DATA_SOURCE_ID]: run.op.name };
    this.c.failures.passUp(run, passedOn ?? this.c.failures.atOrigin(run, err, info, attrs));
  }

  cancel(run: RetrieverRun, reason: CancelReason): void {
    this.endCancelled(run, reason);
  }

  /** The details record of a retrieval. */
  private record(run: RetrieverRun, errorType: string | undefined, count: number | undefined) {
    const op = run.op;
    const severity = severityOf(run, errorType !== undefined);
    const logs = this.c.logs;
    if (logs === undefined || !logs.wants(severity)) return;
    const durationS = seconds(run.start, performance.now());
    logs.emit({
      eventName: S.EVENT_OPERATION_DETAILS,
      severity,
      body: operationBody({
        operation: S.OP_RETRIEVAL,
        name: op.name,
        durationS,
        errorType,
        documentCount: count,
      }),
      attributes: retrievalAttributes({
        source: op.name,
        conversationId: op.conversationId,
        agentName: op.agentName,
        documentCount: count,
        errorType,
        assoc: run.assoc,
        durationS,
      }),
      context: contextOf(run),
    });
  }
}
