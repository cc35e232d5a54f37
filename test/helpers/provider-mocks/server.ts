/**
 * A local HTTP server for provider mocks: node:http on 127.0.0.1, an ephemeral port, every request
 * recorded (method, path, query, JSON body, headers) and answered by the provider module's route
 * function. Unref'd, so it never holds the process; close it in `afterAll`. HTTP/1.1, or HTTP/2
 * without TLS (`h2c`, prior knowledge) for clients that speak only that (the AWS SDK's Bedrock
 * runtime client).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createH2cServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";

export interface MockRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
}

/** One answer: a JSON body, or a stream of pieces written one by one (SSE, NDJSON, binary frames). */
export interface MockResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  pieces?: (string | Uint8Array)[];
}

export interface MockServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  requests: MockRequest[];
  close(): Promise<void>;
}

/** What the HTTP/1.1 and the HTTP/2 compatibility API have in common, as used here. */
interface Incoming {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  on(event: "data", listener: (d: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
}
interface Outgoing {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: string | Uint8Array): unknown;
  end(chunk: string): unknown;
  end(): unknown;
}

export async function startMockServer(
  route: (req: MockRequest) => MockResponse | undefined,
  protocol: "http1" | "h2c" = "http1",
): Promise<MockServer> {
  const requests: MockRequest[] = [];
  const handler = (req: Incoming, res: Outgoing): void => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      const request: MockRequest = {
        method: req.method ?? "GET",
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        body,
        headers: req.headers,
      };
      requests.push(request);
      let answer: MockResponse | undefined;
      try {
        answer = route(request);
      } catch (e) {
        answer = { status: 500, json: { error: String(e) } };
      }
      answer ??= { status: 404, json: { error: `no route for ${request.method} ${request.path}` } };
      if (answer.pieces !== undefined) {
        res.writeHead(answer.status ?? 200, answer.headers);
        for (const p of answer.pieces) res.write(p);
        res.end();
        return;
      }
      res.writeHead(answer.status ?? 200, {
        "content-type": "application/json",
        ...answer.headers,
      });
      res.end(JSON.stringify(answer.json ?? {}));
    });
  };
  const sessions = new Set<Http2Session>();
  const server =
    protocol === "h2c"
      ? createH2cServer(handler).on("session", (s: Http2Session) => {
          sessions.add(s);
          s.on("close", () => sessions.delete(s));
        })
      : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Server-sent events as the providers write them: `event:` (when named) and `data:` lines. */
export function sse(events: { event?: string; data: unknown }[]): string[] {
  return events.map(
    (e) => `${e.event ? `event: ${e.event}\n` : ""}data: ${JSON.stringify(e.data)}\n\n`,
  );
}
