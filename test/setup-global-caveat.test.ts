/**
 * The documented caveat of global attach: LangChain keeps configure hooks in AsyncLocalStorage
 * (`enterWith`), so a server created before registration does not see the handler, one created
 * after does. Its own file: each test file runs in a fresh process, so no earlier registration
 * leaks into the "before" server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { setupTelemetry } from "../src/setup/setup.js";
import { pingChain } from "./helpers/langchain-fixtures.js";
import { collectingExporter } from "./helpers/spans.js";

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function chainServer(): Promise<string> {
  const server = createServer((_req, res) => {
    pingChain()
      .invoke({ question: "ping" })
      .then(
        () => res.end("ok"),
        () => res.writeHead(500).end(),
      );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

it("traces requests of a server created after setupTelemetry(), not of one created before", async () => {
  const before = await chainServer();
  const spans: ReadableSpan[] = [];
  const telemetry = setupTelemetry({
    disableBatch: true,
    onWarning: () => {},
    metrics: false,
    logs: false,
    traces: { exporter: collectingExporter(spans) },
  });
  const after = await chainServer();

  expect(await (await fetch(before)).text()).toBe("ok");
  expect(spans).toEqual([]);

  expect(await (await fetch(after)).text()).toBe("ok");
  expect(spans.length).toBeGreaterThanOrEqual(2);
  expect(spans.filter((s) => !s.parentSpanContext)).toHaveLength(1);

  // The workaround for a server created before: pass the handler explicitly.
  await telemetry.shutdown();
});
