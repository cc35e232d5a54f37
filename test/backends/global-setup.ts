/**
 * Starts real Prometheus, Jaeger and VictoriaLogs once for `npm run test:backends` (building any
 * that the cache lacks; without Go this fails, it never skips), on free ports of 127.0.0.1 with
 * temporary data directories, and stops them at the end whatever happened. Tests read the URLs
 * with `inject("backends")`.
 */
import type { TestProject } from "vitest/node";
import { installBackends, startStack, type Stack } from "../../scripts/backends.js";

export interface BackendUrls {
  /** Prometheus' HTTP API base and its OTLP metrics URL. */
  prometheus: { url: string; otlpUrl: string };
  /** Jaeger's query API base and its OTLP traces URL. */
  jaeger: { url: string; otlpUrl: string };
  /** VictoriaLogs' HTTP API base and its OTLP logs URL. */
  victorialogs: { url: string; otlpUrl: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    backends: BackendUrls;
  }
}

let stack: Stack | undefined;

export async function setup(project: TestProject): Promise<void> {
  installBackends();
  stack = await startStack();
  const pick = (b: { url: string; otlpUrl: string }) => ({ url: b.url, otlpUrl: b.otlpUrl });
  project.provide("backends", {
    prometheus: pick(stack.prometheus),
    jaeger: pick(stack.jaeger),
    victorialogs: pick(stack.victorialogs),
  });
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
