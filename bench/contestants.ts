/**
 * The contestants, each set up as its README says, all on the bench's one tracer provider.
 *
 * OpenLLMetry-JS and OpenInference do not take a handler: they patch
 * `CallbackManager._configureSync` process-wide. To interleave them with the others, each patch is
 * installed once, the patched function is kept, and the original is put back; `enter()` swaps the
 * contestant's own patched function in for its samples and `exit()` restores the original.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import * as CallbackManagerModule from "@langchain/core/callbacks/manager";
import { BaseTracerSpanHandler, MinimalSpanHandler, NoopHandler } from "./baseline-handlers.js";
import { loadOurs, OURS_ALT_BUNDLE, type OursHandler } from "./ours.js";
import { emittingMinimalHandler, recordInvoke } from "./sdk-floor.js";
import { createTelemetry, isolateEnvironment, type Telemetry } from "./telemetry.js";

export interface Contestant {
  id: string;
  label: string;
  /** Passed as `callbacks` to every invoke (undefined for the patching instrumentations). */
  callbacks?: BaseCallbackHandler[];
  enter?(): void;
  exit?(): void;
  /** Our handler, for open-run checks. */
  ours?: OursHandler;
  kind: "baseline" | "ours" | "competitor";
}

export const CONTESTANT_IDS = [
  "none",
  "noop",
  "minimal",
  "minimal-tracer",
  "minimal-emitting",
  "ours",
  "ours-content",
  "ours-spans",
  "ours-latest",
  "ours-dual",
  "ours-no-run-context",
  "ours-alt",
  "openllmetry",
  "openinference",
  "langfuse",
] as const;
export type ContestantId = (typeof CONTESTANT_IDS)[number];

const benchDir = dirname(fileURLToPath(import.meta.url));
const benchRequire = createRequire(join(benchDir, "package.json"));

/**
 * Root directory of `pkg` as resolved from `req` (through its main entry: some packages do not
 * export `./package.json`).
 */
function packageRoot(req: NodeRequire, pkg: string): string {
  const entry = req.resolve(pkg);
  const marker = `${sep}node_modules${sep}${pkg.split("/").join(sep)}${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot locate ${pkg} in ${entry}`);
  return entry.slice(0, at + marker.length - 1);
}

/** Version of a package as installed for the bench ("-" when absent). */
export function installedVersion(pkg: string): string {
  try {
    const file = join(packageRoot(benchRequire, pkg), "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "-";
  }
}

/**
 * Where each package that matters resolves `@langchain/core` and `@opentelemetry/api` from.
 * More than one distinct path means a second copy: callback patching and context would silently
 * split. Returns the problems found (empty when there is one copy of each).
 */
export function checkSingleCopies(): string[] {
  const problems: string[] = [];
  const from = [
    "langchain",
    "@langchain/langgraph",
    "@traceloop/instrumentation-langchain",
    "@arizeai/openinference-instrumentation-langchain",
    "@langfuse/langchain",
    "@langfuse/tracing",
    "@opentelemetry/sdk-trace-base",
  ];
  for (const shared of ["@langchain/core", "@opentelemetry/api"]) {
    const paths = new Map<string, string[]>();
    const mine = packageRoot(benchRequire, shared);
    paths.set(mine, ["bench"]);
    for (const pkg of from) {
      let pkgJson: string;
      try {
        pkgJson = join(packageRoot(benchRequire, pkg), "package.json");
      } catch {
        continue;
      }
      try {
        const p = packageRoot(createRequire(pkgJson), shared);
        paths.set(p, [...(paths.get(p) ?? []), pkg]);
      } catch {
        // The package does not depend on it.
      }
    }
    if (paths.size > 1) {
      problems.push(
        `${shared}: ${[...paths].map(([p, who]) => `${p} <- ${who.join(", ")}`).join("; ")}`,
      );
    }
  }
  return problems;
}

type ConfigureSync = (...args: unknown[]) => unknown;
const CM = CallbackManagerModule.CallbackManager as unknown as { _configureSync: ConfigureSync };

/** Installs a patch with `install`, keeps the patched function, restores the original. */
async function capturePatch(
  install: () => Promise<void> | void,
  settled: () => boolean,
): Promise<ConfigureSync> {
  const original = CM._configureSync;
  await install();
  // OpenLLMetry also patches from a dynamic import: wait until the patch is in place.
  for (let i = 0; i < 200 && !settled(); i++) await new Promise((r) => setTimeout(r, 5));
  const patched = CM._configureSync;
  if (patched === original)
    throw new Error("the instrumentation did not patch CallbackManager._configureSync");
  CM._configureSync = original;
  return patched;
}

function swapIn(patched: ConfigureSync): Pick<Contestant, "enter" | "exit"> {
  let saved: ConfigureSync | undefined;
  return {
    enter() {
      saved = CM._configureSync;
      CM._configureSync = patched;
    },
    exit() {
      if (saved !== undefined) CM._configureSync = saved;
      saved = undefined;
    },
  };
}

// Competitor packages are bench-only: imported by name at run time so the root type check and
// lint pass without bench/node_modules.
async function importByName(name: string): Promise<any> {
  return import(name);
}

export interface BuiltContestants {
  contestants: Contestant[];
  /** Contestants that could not be set up, with the reason. */
  skipped: { id: string; reason: string }[];
}

/** Builds the requested contestants (default: all) on `telemetry`. */
export async function buildContestants(
  telemetry: Telemetry,
  ids: readonly ContestantId[] = CONTESTANT_IDS,
): Promise<BuiltContestants> {
  const { tracerProvider, meterProvider, loggerProvider } = telemetry;
  const contestants: Contestant[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const want = new Set(ids);

  if (want.has("none")) contestants.push({ id: "none", label: "no callbacks", kind: "baseline" });
  if (want.has("noop"))
    contestants.push({
      id: "noop",
      label: "no-op handler",
      callbacks: [new NoopHandler()],
      kind: "baseline",
    });
  if (want.has("minimal")) {
    contestants.push({
      id: "minimal",
      label: "minimal span handler",
      callbacks: [new MinimalSpanHandler(tracerProvider)],
      kind: "baseline",
    });
  }
  if (want.has("minimal-tracer")) {
    contestants.push({
      id: "minimal-tracer",
      label: "minimal span handler on `BaseTracer` (reference)",
      callbacks: [new BaseTracerSpanHandler(tracerProvider)],
      kind: "baseline",
    });
  }

  const variants = [
    { id: "ours", label: "**langchain-opentelemetry** (defaults)", options: {} },
    {
      id: "ours-content",
      label: "**langchain-opentelemetry**, captureContent",
      options: { captureContent: true },
    },
    // Informational: the cost of making a run's span the active context while it runs (issue
    // 12) is the difference between the defaults and this.
    {
      id: "ours-no-run-context",
      label: "langchain-opentelemetry, runContext: false",
      options: { runContext: false },
    },
    // Informational: what the spans alone cost (the part comparable with the minimal handler).
    {
      id: "ours-spans",
      label: "langchain-opentelemetry, spans only (metrics, logs off)",
      options: { metrics: false, logs: false },
    },
    // Informational: the opt-in for the latest GenAI conventions, and both at once.
    {
      id: "ours-latest",
      label: 'langchain-opentelemetry, latest GenAI conventions (`genAiSemconv: "latest"`)',
      options: { genAiSemconv: "latest" },
    },
    {
      id: "ours-dual",
      label: 'langchain-opentelemetry, both conventions (`genAiSemconv: "dual"`)',
      options: { genAiSemconv: "dual" },
    },
  ] as const;
  if (variants.some((v) => want.has(v.id)) || want.has("minimal-emitting")) {
    const loaded = await loadOurs();
    if (want.has("minimal-emitting")) {
      if ("error" in loaded) skipped.push({ id: "minimal-emitting", reason: loaded.error });
      else {
        const rec = await recordInvoke(loaded.ctor);
        contestants.push({
          id: "minimal-emitting",
          label:
            "minimal span handler + our attributes, metric points and log record as constants (in-situ SDK floor)",
          callbacks: [emittingMinimalHandler(tracerProvider, meterProvider, loggerProvider, rec)],
          kind: "baseline",
        });
      }
    }
    for (const v of variants) {
      if (!want.has(v.id)) continue;
      if ("error" in loaded) {
        skipped.push({ id: v.id, reason: loaded.error });
        continue;
      }
      const handler = new loaded.ctor({
        tracerProvider,
        meterProvider,
        loggerProvider,
        ...v.options,
      });
      contestants.push({
        id: v.id,
        label: v.label,
        callbacks: [handler],
        ours: handler,
        kind: "ours",
      });
    }
  }

  // A/B: BENCH_OURS_ALT=/path/to/handler.ts adds that handler (defaults) as "ours-alt".
  const alt = process.env.BENCH_OURS_ALT;
  if (want.has("ours-alt") && alt) {
    const loaded = await loadOurs(alt, OURS_ALT_BUNDLE);
    if ("error" in loaded) skipped.push({ id: "ours-alt", reason: loaded.error });
    else {
      const handler = new loaded.ctor({ tracerProvider, meterProvider, loggerProvider });
      contestants.push({
        id: "ours-alt",
        label: `ours-alt (${alt})`,
        callbacks: [handler],
        ours: handler,
        kind: "ours",
      });
    }
  }

  if (want.has("openllmetry")) {
    try {
      const { LangChainInstrumentation } = await importByName(
        "@traceloop/instrumentation-langchain",
      );
      let instrumentation: any;
      const patched = await capturePatch(
        () => {
          // The constructor patches the CallbackManager (CJS via require, ESM via a dynamic import);
          // manuallyInstrument is the documented path for ESM apps. The flag prevents a double patch.
          instrumentation = new LangChainInstrumentation();
          instrumentation.setTracerProvider(tracerProvider);
          instrumentation.manuallyInstrument({ callbackManagerModule: CallbackManagerModule });
        },
        () => (CM as any)._traceloopPatched === true,
      );
      // Let the constructor's own dynamic-import patch attempt settle (it sees the flag and skips).
      await new Promise((r) => setTimeout(r, 50));
      if (CM._configureSync === patched) throw new Error("late re-patch");
      contestants.push({
        id: "openllmetry",
        label: "OpenLLMetry-JS",
        ...swapIn(patched),
        kind: "competitor",
      });
      void instrumentation;
    } catch (err) {
      skipped.push({ id: "openllmetry", reason: (err as Error).message });
    }
  }

  if (want.has("openinference")) {
    try {
      const { LangChainInstrumentation } = await importByName(
        "@arizeai/openinference-instrumentation-langchain",
      );
      const patched = await capturePatch(
        () => {
          const instrumentation = new LangChainInstrumentation({ tracerProvider });
          instrumentation.manuallyInstrument(CallbackManagerModule);
        },
        () => true,
      );
      contestants.push({
        id: "openinference",
        label: "OpenInference",
        ...swapIn(patched),
        kind: "competitor",
      });
    } catch (err) {
      skipped.push({ id: "openinference", reason: (err as Error).message });
    }
  }

  if (want.has("langfuse")) {
    try {
      const { CallbackHandler } = await importByName("@langfuse/langchain");
      const { setLangfuseTracerProvider } = await importByName("@langfuse/tracing");
      // Instead of the LangfuseSpanProcessor (network export), Langfuse's tracer uses our provider.
      setLangfuseTracerProvider(tracerProvider);
      contestants.push({
        id: "langfuse",
        label: "Langfuse CallbackHandler",
        callbacks: [new CallbackHandler()],
        kind: "competitor",
      });
    } catch (err) {
      skipped.push({ id: "langfuse", reason: (err as Error).message });
    }
  }

  const order = new Map<string, number>(CONTESTANT_IDS.map((id, i) => [id, i]));
  contestants.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return { contestants, skipped };
}

/**
 * For a process that measures one contestant (leak check, CPU profile): the environment isolated,
 * fresh telemetry, and that contestant alone; throws when it cannot be set up.
 */
export async function buildSoleContestant(
  id: ContestantId,
): Promise<{ telemetry: Telemetry; contestant: Contestant }> {
  isolateEnvironment();
  const telemetry = createTelemetry();
  const { contestants, skipped } = await buildContestants(telemetry, [id]);
  const contestant = contestants[0];
  if (contestant === undefined) throw new Error(skipped[0]?.reason ?? "not built");
  return { telemetry, contestant };
}
