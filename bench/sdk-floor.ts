/**
 * What the OpenTelemetry SDK calls alone cost, with no LangChain and no handler code.
 *
 * One plain invoke of our handler (defaults) is recorded: its spans (tree, names, kinds, final
 * attributes), every histogram `record` call and every log record. The same calls are then
 * replayed in a tight loop on fresh SDK pipelines built like the bench's, in four cumulative
 * steps: the minimal handler's bare spans; + our span attributes; + our histogram points;
 * + our log records. The differences say what each signal costs the SDK itself, a floor no
 * handler emitting the same data can go under; the bench compares it with the room its budget
 * leaves.
 *
 * {@link emittingMinimalHandler} measures the same floor inside real invokes: the minimal
 * handler making, as constants, the SDK calls our handler makes.
 */
import {
  context,
  trace,
  type Attributes,
  type Context,
  type Histogram,
  type MeterProvider,
  type SpanKind,
  type TracerProvider,
} from "@opentelemetry/api";
import type { LogRecord, LoggerProvider } from "@opentelemetry/api-logs";
import { MinimalSpanHandler } from "./baseline-handlers.js";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import type { OursConstructor } from "./ours.js";
import { median } from "./stats.js";
import { createTelemetry, type Telemetry } from "./telemetry.js";
import { buildChain, invokeOnce } from "./workloads.js";

interface SpanNode {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
  spanId: string;
  children: SpanNode[];
}

export interface Recorded {
  root: SpanNode;
  spans: number;
  spanAttributes: number;
  /** Histogram `record` calls, in call order. */
  points: {
    instrument: string;
    options: unknown;
    value: number;
    attributes: Attributes | undefined;
  }[];
  /** Log records, with the id of the span they were emitted in. */
  records: { record: LogRecord; spanId: string | undefined }[];
}

/** Runs one plain invoke of our handler (defaults) on recording providers. */
export async function recordInvoke(ctor: OursConstructor): Promise<Recorded> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  let points: Recorded["points"] = [];
  let records: Recorded["records"] = [];
  const histogram = (instrument: string, options: unknown) => ({
    record: (value: number, attributes?: Attributes) =>
      points.push({ instrument, options, value, attributes }),
  });
  const meterProvider = {
    getMeter: () => ({ createHistogram: histogram }),
  } as unknown as MeterProvider;
  const loggerProvider = {
    getLogger: () => ({
      emit: (r: LogRecord) =>
        records.push({
          record: r,
          spanId: r.context ? trace.getSpan(r.context)?.spanContext().spanId : undefined,
        }),
    }),
  } as unknown as LoggerProvider;
  const handler = new ctor({ tracerProvider, meterProvider, loggerProvider });
  const chain = buildChain();
  await invokeOnce(chain, [handler]); // first invoke: lazy paths, caches
  exporter.reset();
  points = [];
  records = [];
  await invokeOnce(chain, [handler]);
  await handler.shutdown?.();
  const finished = exporter.getFinishedSpans();
  const nodes = new Map<string, SpanNode & { parent?: string; start: number }>();
  for (const s of finished) {
    nodes.set(s.spanContext().spanId, {
      name: s.name,
      kind: s.kind,
      attributes: { ...s.attributes },
      spanId: s.spanContext().spanId,
      children: [],
      parent: s.parentSpanContext?.spanId,
      start: s.startTime[0] * 1e9 + s.startTime[1],
    });
  }
  let root: SpanNode | undefined;
  for (const n of [...nodes.values()].sort((a, b) => a.start - b.start)) {
    const p = n.parent === undefined ? undefined : nodes.get(n.parent);
    if (p) p.children.push(n);
    else if (root === undefined) root = n;
    else throw new Error("the recorded invoke has more than one root span");
  }
  if (root === undefined) throw new Error("the recorded invoke exported no span");
  const spanAttributes = finished.reduce(
    (sum: number, s: ReadableSpan) => sum + Object.keys(s.attributes).length,
    0,
  );
  return { root, spans: finished.length, spanAttributes, points, records };
}

type Step = "bare" | "attributes" | "metrics" | "logs";
const STEPS: readonly Step[] = ["bare", "attributes", "metrics", "logs"];

/** The replay of one invoke's SDK calls up to `step`, on `telemetry`'s pipelines. */
function replayer(rec: Recorded, telemetry: Telemetry, step: Step): () => void {
  const tracer = telemetry.tracerProvider.getTracer("bench-sdk-floor");
  const meter = telemetry.meterProvider.getMeter("bench-sdk-floor");
  const logger = telemetry.loggerProvider.getLogger("bench-sdk-floor");
  const withAttributes = step !== "bare";
  const instruments = new Map<string, { record(v: number, a?: Attributes): void }>();
  const points = step === "metrics" || step === "logs" ? rec.points : [];
  for (const p of points) {
    if (!instruments.has(p.instrument))
      instruments.set(p.instrument, meter.createHistogram(p.instrument, p.options as never));
  }
  const recordsBySpan = new Map<string, LogRecord[]>();
  if (step === "logs") {
    for (const r of rec.records) {
      const { context: _dropped, ...rest } = r.record;
      const list = recordsBySpan.get(r.spanId ?? "") ?? [];
      list.push(rest);
      recordsBySpan.set(r.spanId ?? "", list);
    }
  }
  // Points are replayed where the handler records them: when the span they belong to ends. The
  // recording does not say which span that is, so all go at the end of the deepest spans' turn
  // (the model span, in the plain invoke): the cost is the same wherever they go.
  const replaySpan = (node: SpanNode, parentCtx: Context): void => {
    const span = tracer.startSpan(
      node.name,
      withAttributes ? { kind: node.kind, attributes: node.attributes } : undefined,
      parentCtx,
    );
    if (node.children.length > 0) {
      // As the minimal handler does: the parent's context, made again for each child.
      for (const child of node.children) replaySpan(child, trace.setSpan(context.active(), span));
    }
    const records = recordsBySpan.get(node.spanId);
    if (records !== undefined) {
      const ctx = trace.setSpan(parentCtx, span);
      for (const r of records) logger.emit({ ...r, context: ctx });
    }
    span.end();
    if (node.children.length === 0 && node === firstLeaf) {
      for (const p of points) instruments.get(p.instrument)!.record(p.value, p.attributes);
    }
  };
  const firstLeaf = (function leaf(n: SpanNode): SpanNode {
    const model = n.children.find((c) => c.attributes["gen_ai.operation.name"] === "chat");
    if (model) return model;
    for (const c of n.children) return leaf(c);
    return n;
  })(rec.root);
  return () => replaySpan(rec.root, context.active());
}

export interface SdkFloor {
  /** µs per invoke (median CPU time) of each cumulative step. */
  bare: number;
  attributes: number;
  metrics: number;
  logs: number;
  spans: number;
  spanAttributes: number;
  points: number;
  records: number;
}

/** Records our handler's SDK calls for one plain invoke and times their replay. */
export async function measureSdkFloor(
  ctor: OursConstructor,
  rounds: number,
  iterations: number,
): Promise<SdkFloor> {
  const rec = await recordInvoke(ctor);
  const telemetry = createTelemetry({ register: false });
  const runs = STEPS.map((step) => ({
    step,
    run: replayer(rec, telemetry, step),
    samples: [] as number[],
  }));
  for (const r of runs) for (let i = 0; i < iterations; i++) r.run();
  await telemetry.flush();
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < runs.length; j++) {
      const r = runs[(j + round) % runs.length];
      const c0 = process.cpuUsage();
      for (let i = 0; i < iterations; i++) r.run();
      const cpu = process.cpuUsage(c0);
      r.samples.push((cpu.user + cpu.system) / iterations);
      // As in the bench's samples: the batch is exported outside the timed region.
      await telemetry.flush();
    }
  }
  await telemetry.shutdown();
  const m = (step: Step) => median(runs.find((r) => r.step === step)!.samples);
  return {
    bare: m("bare"),
    attributes: m("attributes"),
    metrics: m("metrics"),
    logs: m("logs"),
    spans: rec.spans,
    spanAttributes: rec.spanAttributes,
    points: rec.points.length,
    records: rec.records.length,
  };
}

/** The model span's node of a recorded invoke (the first `chat` span), else the first leaf. */
function modelNode(root: SpanNode): SpanNode {
  const stack = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.attributes["gen_ai.operation.name"] === "chat") return n;
    stack.push(...[...n.children].reverse());
  }
  let leaf = root;
  while (leaf.children.length > 0) leaf = leaf.children[0];
  return leaf;
}

/**
 * The minimal handler making, as constants recorded from one invoke of ours, the SDK calls our
 * handler makes: the same attributes on the root, chain and model spans, and at each model's
 * end the same histogram points and log record (in the model span's context). It computes
 * nothing: what it adds above the minimal handler is the SDK's own price, inside a real invoke,
 * of the data ours emits.
 */
export function emittingMinimalHandler(
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider,
  loggerProvider: LoggerProvider,
  rec: Recorded,
): MinimalSpanHandler {
  const meter = meterProvider.getMeter("bench-minimal-emitting");
  const logger = loggerProvider.getLogger("bench-minimal-emitting");
  const model = modelNode(rec.root);
  const chain = rec.root.children.find((c) => c !== model) ?? rec.root;
  const histograms = new Map<string, Histogram>();
  const points = rec.points.map((p) => {
    let histogram = histograms.get(p.instrument);
    if (histogram === undefined)
      histograms.set(
        p.instrument,
        (histogram = meter.createHistogram(p.instrument, p.options as never)),
      );
    return { histogram, value: p.value, attributes: p.attributes };
  });
  const records = rec.records.map((r) => {
    const { context: _dropped, ...rest } = r.record;
    return rest;
  });
  return new MinimalSpanHandler(tracerProvider, {
    root: { kind: rec.root.kind, attributes: rec.root.attributes },
    chain: { kind: chain.kind, attributes: chain.attributes },
    model: { kind: model.kind, attributes: model.attributes },
    modelEnd(span) {
      const ctx = trace.setSpan(context.active(), span);
      for (const r of records) logger.emit({ ...r, context: ctx });
      for (const p of points) p.histogram.record(p.value, p.attributes);
    },
  });
}
