/**
 * Install matrix (issue 3): the packed tarball installed into scratch apps on the two
 * OpenTelemetry JS lines that cannot be mixed:
 *   2.x: @opentelemetry/api 1.9.0 + @opentelemetry/sdk-trace-node 2.12.0
 *   3.x: @opentelemetry/api 1.10.0 + @opentelemetry/sdk-trace 3.1.1 (npm's `latest`)
 * Each must install without ERESOLVE, with exactly one copy of @opentelemetry/api and a clean
 * `npm ls`, and the handler must trace with the app's own provider.
 *
 * Needs the npm registry for the 3.x packages (npm's cache is preferred: `--prefer-offline`);
 * skipped with a message when the registry cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
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
    deps: { "@opentelemetry/api": "1.9.0", "@opentelemetry/sdk-trace-node": "2.12.0" },
    sdkPackage: "@opentelemetry/sdk-trace-node",
    providerClass: "BasicTracerProvider",
    line: "2.x",
  },
  {
    name: "OpenTelemetry JS 3.x (api 1.10.0, sdk-trace 3.1.1)",
    deps: { "@opentelemetry/api": "1.10.0", "@opentelemetry/sdk-trace": "3.1.1" },
    sdkPackage: "@opentelemetry/sdk-trace",
    providerClass: "TracerProvider",
    line: "3.x",
  },
];

const registry = await runCommand(
  "npm",
  ["view", "@opentelemetry/sdk-trace@3.1.1", "version", "--prefer-offline"],
  repoRoot,
);
const registryReachable = registry.code === 0 && registry.stdout.trim() === "3.1.1";
if (!registryReachable) {
  console.warn(
    `install-matrix: npm registry unreachable, skipping the 2.x/3.x install matrix:\n${registry.stderr.slice(0, 500)}`,
  );
}

/** Exported by the package yet? (The setup part of the matrix runs once index.ts exports it.) */
const exportsSetup = /\bsetupTelemetry\b/.test(
  readFileSync(join(repoRoot, "src", "index.ts"), "utf8"),
);

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

describe.skipIf(!registryReachable)("install matrix", () => {
  let packed: PackedPackage;
  beforeAll(async () => {
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

    it.skipIf(!exportsSetup)(
      "setupTelemetry() works out of the box: the trace is printed on the embedded default, with no warning",
      async () => {
        await writeFile(
          join(app, "setup.mjs"),
          `import { setupTelemetry } from "langchain-opentelemetry/setup";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatPromptTemplate } from "@langchain/core/prompts";
const telemetry = setupTelemetry({ serviceName: "matrix", disableBatch: true });
const chain = ChatPromptTemplate.fromMessages([["human", "Say {word}"]]).pipe(new FakeListChatModel({ responses: ["hello"] }));
await chain.invoke({ word: "hi" });
await telemetry.shutdown();
`,
        );
        const result = await runCommand("node", ["setup.mjs"], app, envWithoutOtel());
        // The SDK is bundled, so both lines work without installing anything else.
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/trace [0-9a-f]{32}\n└─ invoke_workflow RunnableSequence/);
        expect(result.stderr).not.toMatch(/already registered|warn/i);
      },
    );
  });
});
