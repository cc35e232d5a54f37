/**
 * An OTLP/HTTP receiver for tests: listens on 127.0.0.1 with an ephemeral port and records every
 * request (method, path, headers, content type, raw body, decoded JSON body when the content type
 * is JSON). Answers are configurable per path: any status (404, 401, 500, 503, 429 with
 * Retry-After, ...), a delay, or a destroyed socket (a crash mid-request).
 *
 * ```ts
 * const receiver = await startOtlpReceiver({ routes: { "/v1/metrics": { status: 404, body: "404 page not found" } } });
 * // ... point an exporter at `${receiver.url}/v1/traces` ...
 * await receiver.waitFor((r) => r.path === "/v1/traces");
 * await receiver.close();
 * ```
 *
 * gzip request bodies (`Content-Encoding: gzip`) are decompressed before decoding. Protobuf bodies
 * are recorded raw (`body`), to be decoded by the test with the official schema.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** One recorded request. */
export interface ReceivedRequest {
  method: string;
  /** Path with the query string, e.g. `/api/v1/otlp/v1/metrics`. */
  path: string;
  /** Headers as Node gives them: lower-case names. */
  headers: IncomingHttpHeaders;
  /** `content-type` without parameters, e.g. `application/json`. */
  contentType: string;
  /** The body, decompressed when it was gzip-encoded. */
  body: Buffer;
  /** `JSON.parse(body)` when the content type is JSON, else `undefined`. */
  json?: any;
  /** The status answered (`undefined` when the socket was destroyed). */
  status?: number;
}

/** How to answer a path. */
export interface RouteBehaviour {
  /** HTTP status. Default 200. */
  status?: number;
  /** Response body. Default `{}` for 2xx (a valid empty OTLP JSON response), empty otherwise. */
  body?: string;
  /** Extra response headers, e.g. `{ "Retry-After": "1" }` with a 429 or 503. */
  headers?: Record<string, string>;
  /** Wait this long before answering, in milliseconds. */
  delayMs?: number;
  /** Destroy the socket instead of answering (the client sees ECONNRESET). */
  destroySocket?: boolean;
}

/** A route answer: fixed, or computed per request (e.g. fail the first N, then succeed). */
export type Route = RouteBehaviour | ((request: ReceivedRequest, index: number) => RouteBehaviour);

export interface OtlpReceiverOptions {
  /** Answers by exact path (without query string). Unlisted paths use `defaultRoute`. */
  routes?: Record<string, Route>;
  /** Answer for paths not in `routes`. Default: 200. */
  defaultRoute?: Route;
}

export interface OtlpReceiver {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:43817`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Requests whose path (without query) equals `path`. */
  requestsTo(path: string): ReceivedRequest[];
  /** Changes the answer for `path` from now on. */
  setRoute(path: string, route: Route): void;
  /** Resolves with the first request (already received or future) matching `predicate`; rejects after `timeoutMs` (default 10 s). */
  waitFor(predicate: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  /** Forgets the recorded requests. */
  clear(): void;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const routes = new Map<string, Route>(Object.entries(options.routes ?? {}));
  const requests: ReceivedRequest[] = [];
  const perPathCount = new Map<string, number>();
  const waiters: Array<{
    predicate: (r: ReceivedRequest) => boolean;
    resolve: (r: ReceivedRequest) => void;
  }> = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    if (String(req.headers["content-encoding"] ?? "").toLowerCase() === "gzip")
      body = gunzipSync(body);
    const path = req.url ?? "/";
    const bare = path.split("?")[0];
    const contentType = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      .trim()
      .toLowerCase();
    const record: ReceivedRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      contentType,
      body,
    };
    if (contentType === "application/json") {
      try {
        record.json = JSON.parse(body.toString("utf8"));
      } catch {}
    }
    const index = perPathCount.get(bare) ?? 0;
    perPathCount.set(bare, index + 1);
    const route = routes.get(bare) ?? options.defaultRoute ?? {};
    const behaviour = typeof route === "function" ? route(record, index) : route;
    requests.push(record);

    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    if (behaviour.destroySocket) {
      req.socket.destroy();
    } else {
      const status = behaviour.status ?? 200;
      record.status = status;
      const answer = behaviour.body ?? (status >= 200 && status < 300 ? "{}" : "");
      res.writeHead(status, {
        "Content-Type": status >= 200 && status < 300 ? "application/json" : "text/plain",
        ...behaviour.headers,
      });
      res.end(answer);
    }
    // Notify after answering, so a waiter sees the final status.
    for (const w of [...waiters]) {
      if (w.predicate(record)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path.split("?")[0] === path),
    setRoute: (path, route) => {
      routes.set(path, route);
    },
    waitFor: (predicate, timeoutMs = 10_000) => {
      const found = requests.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (r: ReceivedRequest) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `OTLP receiver: no matching request within ${timeoutMs} ms (got: ${requests.map((r) => r.path).join(", ") || "none"})`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    clear: () => {
      requests.length = 0;
      perPathCount.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port just released), for "connection refused" tests. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
