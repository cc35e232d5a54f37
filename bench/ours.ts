/**
 * Loads our handler for the bench.
 *
 * `src/` resolves `@langchain/core` and `@opentelemetry/api` from the root node_modules, the
 * bench's LangChain code and the competitors from `bench/node_modules`: importing `../src` directly
 * would put two copies of each in one process. So `src/handler/handler.ts` is bundled (our code only,
 * every package left external) into `bench/node_modules/.ours/handler.mjs`, where bare imports
 * resolve to the bench's single copies. The bundle keeps esbuild's `// src/<file>.ts` markers,
 * which the profiler report uses to name source files.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LoggerProvider } from "@opentelemetry/api-logs";
import type { MeterProvider, TracerProvider } from "@opentelemetry/api";

const benchDir = dirname(fileURLToPath(import.meta.url));
export const OURS_BUNDLE = join(benchDir, "node_modules", ".ours", "handler.mjs");
/** Bundle of `BENCH_OURS_ALT` (another handler.ts, e.g. a modified copy of src/, for A/B runs). */
export const OURS_ALT_BUNDLE = join(benchDir, "node_modules", ".ours", "alt", "handler.mjs");
const ENTRY = join(benchDir, "..", "src", "handler", "handler.ts");

/** The subset of our handler's API the bench uses. */
export interface OursHandler extends BaseCallbackHandler {
  readonly openRunCount?: number;
  shutdown?(): Promise<void>;
}

export type OursConstructor = new (options: {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  captureContent?: boolean;
  genAiSemconv?: "v1.41" | "latest" | "dual";
  metrics?: boolean;
  logs?: boolean;
  runContext?: boolean;
}) => OursHandler;

/** Builds (every call: src may have changed) and imports our handler; undefined when src has none yet. */
export async function loadOurs(
  entry = ENTRY,
  outfile = OURS_BUNDLE,
): Promise<{ ctor: OursConstructor } | { error: string }> {
  if (!existsSync(entry)) return { error: `${entry} does not exist` };
  try {
    const esbuild = await import("esbuild");
    mkdirSync(dirname(outfile), { recursive: true });
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      packages: "external",
      format: "esm",
      platform: "node",
      target: "node20",
      outfile,
      logLevel: "silent",
    });
    // Query string: a fresh module instance if the bundle was rebuilt in this process.
    const mod = (await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`)) as Record<
      string,
      unknown
    >;
    const ctor = mod.OpenTelemetryCallbackHandler as OursConstructor | undefined;
    if (typeof ctor !== "function")
      return { error: "src/handler/handler.ts does not export OpenTelemetryCallbackHandler" };
    return { ctor };
  } catch (err) {
    return { error: `could not build/load ${entry}: ${(err as Error).message.split("\n")[0]}` };
  }
}
