/**
 * Install matrix (issue 3): the packed tarball installed into scratch apps on the two
 * OpenTelemetry JS lines that cannot be mixed:
 *   2.x: @opentelemetry/api 1.9.0 + @opentelemetry/sdk-trace-node 2.12.0
 *   3.x: @opentelemetry/api 1.10.0 + @opentelemetry/sdk-trace 3.1.1 (npm's `latest`)
 * Each must install without ERESOLVE, with exactly one copy of @opentelemetry/api and a clean
 * `npm ls`, and the handler must trace with the app's own provider.
 *
 * What is checked follows the package's own exports, read from the installed tarball: every entry
 * of its `exports` map must load from `import` and `require` with the same names, and
 * `setupTelemetry` is tested from whichever entry exports it (the test fails if none does).
 *
 * Needs the npm registry for the 3.x packages (npm's cache is preferred: `--prefer-offline`). CI
 * always reaches it, so an unreachable registry fails the test with a message saying so; nothing
 * here is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  EXPECTED_CHAIN_SPANS,
  buildAndPack,
  installedVersion,
  repoRoot,
  runCommand,
  tracedChainScript,
  type CommandResult,
  type PackedPackage,
} from "./helpers/pack.js";
import { envWithoutOtel } from "./helpers/env.js";

interface Line {
  name: string;
  deps: Record<string, string>;
  sdkPackage: string;
  providerClass: string;
  line: "2.x" | "3.x";
}

const LINES: Line[] = [
  {
    name: "OpenTelemetry JS 2.x (api 1.9.0, sdk-trace-node 2.12.0)",
    deps: {
      "@opentelemetry/api": "1.9.0",
      "@opentelemetry/sdk-trace-node": "2.12.0",
      "@opentelemetry/context-async-hooks": "2.12.0",
    },
    sdkPackage: "@opentelemetry/sdk-trace-node",
    providerClass: "BasicTracerProvider",
    line: "2.x",
  },
  {
    name: "OpenTelemetry JS 3.x (api 1.10.0, sdk-trace 3.1.1)",
    deps: {
      "@opentelemetry/api": "1.10.0",
      "@opentelemetry/sdk-trace": "3.1.1",
      "@opentelemetry/context-async-hooks": "3.1.1",
    },
    sdkPackage: "@opentelemetry/sdk-trace",
    providerClass: "TracerProvider",
    line: "3.x",
  },
];

/** Fails (never skips) when the registry cannot be reached: the matrix needs the 3.x packages. */
async function requireRegistry(): Promise<void> {
  const registry = await runCommand(
    "npm",
    ["view", "@opentelemetry/sdk-trace@3.1.1", "version", "--prefer-offline"],
    repoRoot,
  );
  if (registry.code !== 0 || registry.stdout.trim() !== "3.1.1") {
    throw new Error(
      "install-matrix: the npm registry is unreachable (`npm view @opentelemetry/sdk-trace@3.1.1 version` " +
        `exited ${registry.code}, printed ${JSON.stringify(registry.stdout.trim())}); this test needs it for the 3.x packages ` +
        `and CI always reaches it:\n${registry.stderr.slice(0, 500)}`,
    );
  }
}

/**
 * Source of a script that loads every entry of the installed package's `exports` map, by
 * `import` and by `require`, and prints `{ [specifier]: { esm: names, cjs: names } }`.
 */
const EXPORTS_SCRIPT = `import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("./node_modules/langchain-opentelemetry/package.json", import.meta.url), "utf8"));
const entries = typeof pkg.exports === "string" ? ["."] : Object.keys(pkg.exports ?? { ".": null });
const out = {};
for (const entry of entries) {
  if (entry === "./package.json") continue;
  const specifier = entry === "." ? pkg.name : pkg.name + entry.slice(1);
  const names = (m) => Object.keys(m).filter((k) => k !== "default" && k !== "__esModule" && k !== "module.exports").sort();
  out[specifier] = { esm: names(await import(specifier)), cjs: names(require(specifier)) };
}
console.log(JSON.stringify(out));
`;

/** A script calling setupTelemetry, imported (`esm`) or required (`cjs`) from `specifier`. */
function setupScript(kind: "esm" | "cjs", specifier: string): string {
  const imports =
    kind === "esm"
      ? `import { setupTelemetry } from ${JSON.stringify(specifier)};
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatPromptTemplate } from "@langchain/core/prompts";`
      : `const { setupTelemetry } = require(${JSON.stringify(specifier)});
const { FakeListChatModel } = require("@langchain/core/utils/testing");
const { ChatPromptTemplate } = require("@langchain/core/prompts");`;
  return `${imports}
(async () => {
  const telemetry = setupTelemetry({ serviceName: "matrix", disableBatch: true });
  const chain = ChatPromptTemplate.fromMessages([["human", "Say {word}"]]).pipe(new FakeListChatModel({ responses: ["hello"] }));
  await chain.invoke({ word: "hi" });
  await telemetry.shutdown();
})().catch((error) => { console.error(error); process.exit(1); });
`;
}

/**
 * A script (issue 12) in which spans made inside LangChain runs (a model's provider call, a tool
 * body, a lambda) are children of the run's span, with the app's own provider and
 * AsyncLocalStorage context manager: prints `[[span, parent]]` sorted by name.
 */
function nestedRunsScript(kind: "esm" | "cjs", line: Line): string {
  const processorArg = line.line === "3.x" ? "{ exporter }" : "exporter";
  const modules: [string, string][] = [
    ["langchain-opentelemetry", "OpenTelemetryCallbackHandler"],
    [
      line.sdkPackage,
      `${line.providerClass}: AppTracerProvider, InMemorySpanExporter, SimpleSpanProcessor`,
    ],
    ["@opentelemetry/api", "context, trace"],
    ["@opentelemetry/context-async-hooks", "AsyncLocalStorageContextManager"],
    ["@langchain/core/utils/testing", "FakeListChatModel"],
    ["@langchain/core/runnables", "RunnableLambda"],
    ["@langchain/core/tools", "tool"],
  ];
  const imports = modules
    .map(([m, names]) =>
      kind === "esm"
        ? `import { ${names.replace(/: /g, " as ")} } from "${m}";`
        : `const { ${names} } = require("${m}");`,
    )
    .join("\n");
  return `${imports}
async function main() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new AppTracerProvider({ spanProcessors: [new SimpleSpanProcessor(${processorArg})] });
  const tracer = tracerProvider.getTracer("app");
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider, metrics: false, logs: false });
  class ProviderModel extends FakeListChatModel {
    async _generate(...args) {
      tracer.startSpan("provider call").end();
      return super._generate(...args);
    }
  }
  const lookup = tool(async () => { tracer.startSpan("in tool").end(); return "ok"; }, { name: "lookup", description: "d" });
  const lambda = RunnableLambda.from(async (x) => { tracer.startSpan("in lambda").end(); return x; }).withConfig({ runName: "step" });
  const chain = lambda.pipe(new ProviderModel({ responses: ["hello"] }));
  await tracer.startActiveSpan("request", async (span) => {
    await chain.invoke("hi", { callbacks: [handler] });
    await lookup.invoke("x", { callbacks: [handler] });
    span.end();
  });
  const spans = exporter.getFinishedSpans();
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  const rows = spans
    .map((s) => [s.name, s.parentSpanContext ? names.get(s.parentSpanContext.spanId) ?? "?" : null])
    .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  await handler.shutdown();
  console.log(JSON.stringify(rows));
}
main().catch((error) => { console.error(error); process.exit(1); });
`;
}

/** What {@link nestedRunsScript} prints. */
const EXPECTED_NESTED_SPANS = [
  ["chat", "invoke_workflow RunnableSequence"],
  ["execute_tool lookup", "request"],
  ["in lambda", "step"],
  ["in tool", "execute_tool lookup"],
  ["invoke_workflow RunnableSequence", "request"],
  ["provider call", "chat"],
  ["request", null],
  ["step", "invoke_workflow RunnableSequence"],
];

/** Every physical copy of @opentelemetry/api under node_modules, with its version. */
async function apiCopies(dir: string): Promise<string[]> {
  const copies: string[] = [];
  const walk = async (nodeModules: string): Promise<void> => {
    if (!existsSync(nodeModules)) return;
    for (const entry of await readdir(nodeModules)) {
      if (entry.startsWith(".")) continue;
      const scoped = entry.startsWith("@")
        ? (await readdir(join(nodeModules, entry))).map((e) => `${entry}/${e}`)
        : [entry];
      for (const name of scoped) {
        const pkgDir = join(nodeModules, name);
        if (name === "@opentelemetry/api") {
          const { version } = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as {
            version: string;
          };
          copies.push(`${pkgDir.slice(dir.length + 1)}@${version}`);
        }
        await walk(join(pkgDir, "node_modules"));
      }
    }
  };
  await walk(join(dir, "node_modules"));
  return copies;
}

/** What each entry of the installed package's export map exports (cached per app). */
const exportsByApp = new Map<string, Promise<Record<string, { esm: string[]; cjs: string[] }>>>();
function exportedNames(app: string): Promise<Record<string, { esm: string[]; cjs: string[] }>> {
  let names = exportsByApp.get(app);
  if (!names) {
    names = (async () => {
      await writeFile(join(app, "exports.mjs"), EXPORTS_SCRIPT);
      const result = await runCommand("node", ["exports.mjs"], app, envWithoutOtel());
      if (result.code !== 0)
        throw new Error(`loading the package's exports failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, { esm: string[]; cjs: string[] }>;
    })();
    exportsByApp.set(app, names);
  }
  return names;
}

describe("install matrix", () => {
  let packed: PackedPackage;
  beforeAll(async () => {
    await requireRegistry();
    packed = await buildAndPack();
  }, 120_000);
  afterAll(async () => {
    await packed?.cleanup();
  });

  describe.each(LINES)("$name", (line) => {
    let app: string;
    let install: CommandResult;
    beforeAll(async () => {
      app = join(packed.root, `app-${line.sdkPackage.replace(/\W/g, "_")}`);
      await mkdir(app);
      const deps = { ...line.deps, "@langchain/core": await installedVersion("@langchain/core") };
      await writeFile(
        join(app, "package.json"),
        JSON.stringify({ name: "app", version: "1.0.0", private: true, dependencies: deps }),
      );
      install = await runCommand(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", packed.tarball],
        app,
      );
      await writeFile(
        join(app, "traced.mjs"),
        tracedChainScript("esm", line.sdkPackage, line.providerClass, line.line),
      );
      await writeFile(
        join(app, "traced.cjs"),
        tracedChainScript("cjs", line.sdkPackage, line.providerClass, line.line),
      );
    }, 120_000);

    it("installs without ERESOLVE", () => {
      expect(install.code, install.stderr).toBe(0);
      expect(install.stdout + install.stderr).not.toContain("ERESOLVE");
    });

    it("has exactly one copy of @opentelemetry/api, the app's, and a clean `npm ls`", async () => {
      expect(await apiCopies(app)).toEqual([
        `node_modules/@opentelemetry/api@${line.deps["@opentelemetry/api"]}`,
      ]);
      const ls = await runCommand("npm", ["ls", "--all", "--json", "@opentelemetry/api"], app);
      expect(ls.stderr).not.toMatch(/invalid|ELSPROBLEMS/);
      expect(ls.code).toBe(0);
    });

    it("traces a chain with the app's own provider, from import and from require", async () => {
      for (const script of ["traced.mjs", "traced.cjs"]) {
        const result = await runCommand("node", [script], app);
        expect(result.code, result.stderr).toBe(0);
        const report = JSON.parse(result.stdout);
        expect(report.output).toBe("hello");
        expect(report.traceCount).toBe(1);
        expect(report.spans).toEqual(EXPECTED_CHAIN_SPANS);
      }
    });

    it("spans made inside runs (provider call, tool body, lambda) nest under the run's span, from import and from require", async () => {
      for (const kind of ["esm", "cjs"] as const) {
        const file = `nested.${kind === "esm" ? "mjs" : "cjs"}`;
        await writeFile(join(app, file), nestedRunsScript(kind, line));
        const result = await runCommand("node", [file], app, envWithoutOtel());
        expect(result.code, `${file}: ${result.stderr}`).toBe(0);
        expect(JSON.parse(result.stdout), file).toEqual(EXPECTED_NESTED_SPANS);
      }
    });

    it("every entry of the package's export map loads from import and from require, with the same exports", async () => {
      const entries = await exportedNames(app);
      expect(Object.keys(entries)).toContain("langchain-opentelemetry");
      for (const [specifier, { esm, cjs }] of Object.entries(entries)) {
        expect(esm.length, `${specifier} exports something`).toBeGreaterThan(0);
        expect(cjs, `${specifier}: require gives what import gives`).toEqual(esm);
      }
      expect(entries["langchain-opentelemetry"].esm).toContain("OpenTelemetryCallbackHandler");
    });

    it("setupTelemetry() works out of the box from the entry that exports it: the trace is printed on the embedded default, with no warning", async () => {
      const entries = await exportedNames(app);
      const withSetup = Object.keys(entries).filter((specifier) =>
        entries[specifier].esm.includes("setupTelemetry"),
      );
      expect(
        withSetup,
        `no entry of the export map exports setupTelemetry: ${JSON.stringify(entries)}`,
      ).not.toEqual([]);
      for (const specifier of withSetup) {
        for (const kind of ["esm", "cjs"] as const) {
          const file = `setup-${specifier.replace(/\W/g, "_")}.${kind === "esm" ? "mjs" : "cjs"}`;
          await writeFile(join(app, file), setupScript(kind, specifier));
          const result = await runCommand("node", [file], app, envWithoutOtel());
          // The SDK is bundled, so both lines work without installing anything else.
          expect(result.code, `${file}: ${result.stderr}`).toBe(0);
          expect(result.stderr, file).toMatch(
            /trace [0-9a-f]{32}\n└─ invoke_workflow RunnableSequence/,
          );
          expect(result.stderr, file).not.toMatch(/already registered|warn/i);
        }
      }
    });
  });
});
