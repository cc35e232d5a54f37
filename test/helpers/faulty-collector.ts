/**
 * A misbehaving OTLP/HTTP collector for the fault-tolerance tests: listens on 127.0.0.1 (port 0,
 * or a given port to simulate a collector that comes back), and answers each request as a
 * behaviour function decides: a status (500, 503, 429 with `Retry-After`, ...), a late answer,
 * a socket destroyed mid-request, or success. It counts what arrived (span ids, log records,
 * metric data points) from the OTLP JSON bodies.
 *
 * Unlike a plain `setTimeout` delay, a late answer here is cancelled by `close()`: its timer is
 * unref'd and cleared, so no test process is kept alive by a collector that "answers in 30 s".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How to answer one request. */
export type Answer =
  | { kind: "ok" }
  | { kind: "status"; status: number; headers?: Record<string, string> }
  /** Answer 200 after `ms` (cancelled by close). */
  | { kind: "late"; ms: number }
  /** Read the request, then destroy the socket without answering (the client sees ECONNRESET / socket hang up). */
  | { kind: "destroy" };

/** What one request carried (OTLP JSON). */
export interface CollectorRequest {
  path: string;
  /** `traceId:spanId` of every span in the body. */
  spanKeys: string[];
  spanNames: string[];
  logRecords: number;
  metricNames: string[];
  answer: Answer["kind"];
}

export interface FaultyCollector {
  readonly url: string;
  readonly port: number;
  readonly requests: CollectorRequest[];
  /** Changes the behaviour for requests from now on. */
  setBehaviour(behaviour: (path: string, index: number) => Answer): void;
  /** Most requests open (received, not yet answered or closed) at once, by path. */
  maxOpenByPath(): Record<string, number>;
  /** Distinct `traceId:spanId` keys received in requests that were answered 2xx. */
  acceptedSpanKeys(): Set<string>;
  /** Stops listening, cancels late answers, destroys connections. */
  close(): Promise<void>;
}

type Json = Record<string, any>;

function summarise(path: string, json: Json | undefined, answer: Answer["kind"]): CollectorRequest {
  const spans: Json[] = (json?.resourceSpans ?? []).flatMap((rs: Json) =>
    (rs.scopeSpans ?? []).flatMap((ss: Json) => ss.spans ?? []),
  );
  const logs: Json[] = (json?.resourceLogs ?? []).flatMap((rl: Json) =>
    (rl.scopeLogs ?? []).flatMap((sl: Json) => sl.logRecords ?? []),
  );
  const metrics: Json[] = (json?.resourceMetrics ?? []).flatMap((rm: Json) =>
    (rm.scopeMetrics ?? []).flatMap((sm: Json) => sm.metrics ?? []),
  );
  return {
    path,
    spanKeys: spans.map((s) => `${s.traceId}:${s.spanId}`),
    spanNames: spans.map((s) => String(s.name)),
    logRecords: logs.length,
    metricNames: metrics.map((m) => String(m.name)),
    answer,
  };
}

/** Starts a collector; `behaviour` defaults to answering every request 200. */
export async function startFaultyCollector(
  options: { port?: number; behaviour?: (path: string, index: number) => Answer } = {},
): Promise<FaultyCollector> {
  let behaviour = options.behaviour ?? (() => ({ kind: "ok" }) as Answer);
  const requests: CollectorRequest[] = [];
  const accepted = new Set<string>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let index = 0;

  const answerOk = (res: ServerResponse) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = (req.url ?? "/").split("?")[0];
    let json: Json | undefined;
    try {
      json = JSON.parse(body.toString("utf8")) as Json;
    } catch {}
    const answer = behaviour(path, index++);
    const record = summarise(path, json, answer.kind);
    requests.push(record);
    switch (answer.kind) {
      case "ok":
        for (const k of record.spanKeys) accepted.add(k);
        return answerOk(res);
      case "status":
        if (answer.status >= 200 && answer.status < 300)
          for (const k of record.spanKeys) accepted.add(k);
        res.writeHead(answer.status, { "Content-Type": "text/plain", ...answer.headers });
        return void res.end(answer.status >= 400 ? `fault ${answer.status}` : "{}");
      case "late": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          for (const k of record.spanKeys) accepted.add(k);
          answerOk(res);
        }, answer.ms);
        timer.unref();
        timers.add(timer);
        return;
      }
      case "destroy":
        return void req.socket.destroy();
    }
  };

  const open = new Map<string, number>();
  const maxOpen: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const now = (open.get(path) ?? 0) + 1;
    open.set(path, now);
    maxOpen[path] = Math.max(maxOpen[path] ?? 0, now);
    res.on("close", () => open.set(path, (open.get(path) ?? 1) - 1));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
    req.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setBehaviour: (b) => {
      behaviour = b;
    },
    acceptedSpanKeys: () => new Set(accepted),
    maxOpenByPath: () => ({ ...maxOpen }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
