/**
 * Packaging (issue 6): the packed tarball has ESM, CommonJS and types that resolve (publint,
 * arethetypeswrong), and works when installed into a fresh project next to `@langchain/core`,
 * from both `import` and `require`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  EXPECTED_CHAIN_SPANS,
  buildAndPack,
  installedVersion,
  repoBin,
  runCommand,
  tracedChainScript,
  type PackedPackage,
} from "./helpers/pack.js";
import { startOtlpReceiver } from "./helpers/otlp-receiver.js";

let packed: PackedPackage;
beforeAll(async () => {
  packed = await buildAndPack();
}, 120_000);
afterAll(async () => {
  await packed?.cleanup();
});

describe("packed package", () => {
  it("contains the ESM, CommonJS, type and CLI files the exports map and bin point to", async () => {
    const list = await runCommand("tar", ["-tzf", packed.tarball], packed.root);
    const files = list.stdout.split("\n").filter(Boolean).sort();
    for (const f of [
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.d.cts",
      "dist/cli.js",
      "package.json",
    ]) {
      expect(files).toContain(`package/${f}`);
    }
    expect(
      files.filter((f) => f.startsWith("package/src/") || f.startsWith("package/test/")),
    ).toEqual([]);
  });

  it("passes publint --strict", async () => {
    const result = await runCommand(repoBin("publint"), ["--strict", packed.stageDir], packed.root);
    expect(result.stderr + result.stdout).toContain("All good!");
    expect(result.code).toBe(0);
  }, 60_000);

  it("passes arethetypeswrong on the tarball (node10, node16 CJS/ESM, bundler)", async () => {
    const result = await runCommand(
      repoBin("attw"),
      [packed.tarball, "--format", "ascii"],
      packed.root,
    );
    expect(result.stdout).toContain("No problems found");
    expect(result.code).toBe(0);
  }, 60_000);

  describe("installed into a fresh project", () => {
    let app: string;
    beforeAll(async () => {
      app = join(packed.root, "app");
      await mkdir(app);
      await writeFile(
        join(app, "package.json"),
        JSON.stringify({ name: "app", version: "1.0.0", private: true }),
      );
      // Same versions as the checkout: the npm cache already holds them (prefer-offline), and CI
      // can reach the registry for anything it lacks.
      const deps = await Promise.all(
        ["@langchain/core", "@opentelemetry/api", "@opentelemetry/sdk-trace-base"].map(
          async (p) => `${p}@${await installedVersion(p)}`,
        ),
      );
      const install = await runCommand(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", packed.tarball, ...deps],
        app,
      );
      if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
      await writeFile(
        join(app, "traced.mjs"),
        tracedChainScript("esm", "@opentelemetry/sdk-trace-base"),
      );
      await writeFile(
        join(app, "traced.cjs"),
        tracedChainScript("cjs", "@opentelemetry/sdk-trace-base"),
      );
    }, 120_000);

    it("runs a traced chain through `import` (dist/index.js)", async () => {
      const result = await runCommand("node", ["traced.mjs"], app);
      expect(result.stderr).toBe("");
      const report = JSON.parse(result.stdout);
      expect(report.resolved).toMatch(/node_modules\/langchain-opentelemetry\/dist\/index\.js$/);
      expect(report.output).toBe("hello");
      expect(report.traceCount).toBe(1);
      expect(report.spans).toEqual(EXPECTED_CHAIN_SPANS);
    });

    it("runs a traced chain through `require` (dist/index.cjs)", async () => {
      const result = await runCommand("node", ["traced.cjs"], app);
      expect(result.stderr).toBe("");
      const report = JSON.parse(result.stdout);
      expect(report.resolved).toMatch(/node_modules\/langchain-opentelemetry\/dist\/index\.cjs$/);
      expect(report.output).toBe("hello");
      expect(report.traceCount).toBe(1);
      expect(report.spans).toEqual(EXPECTED_CHAIN_SPANS);
    });

    // The root entry is the handler, global attach and annotations: no OpenTelemetry SDK code.
    // A resolve hook (ESM) and require.cache (CommonJS) list every module the import loads.
    const SDK_MODULE =
      /@opentelemetry\/(sdk-|exporter-|otlp-|resources|core\/|context-async-hooks)|langchain-opentelemetry\/dist\/(setup|cli)/;
    it("`import` of the root entry loads no OpenTelemetry SDK module", async () => {
      await writeFile(
        join(app, "record-hooks.mjs"),
        `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.LOADED_LIST, result.url + "\\n");
  return result;
}
`,
      );
      await writeFile(
        join(app, "record.mjs"),
        `import { register } from "node:module";\nregister("./record-hooks.mjs", import.meta.url);\n`,
      );
      await writeFile(
        join(app, "root.mjs"),
        `import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";\nnew OpenTelemetryCallbackHandler();\n`,
      );
      const list = join(app, "loaded-esm.txt");
      const result = await runCommand("node", ["--import", "./record.mjs", "root.mjs"], app, {
        ...process.env,
        LOADED_LIST: list,
      });
      expect(result.stderr).toBe("");
      const loaded = (await readFile(list, "utf8")).split("\n").filter(Boolean);
      expect(
        loaded.some((url) => url.endsWith("/node_modules/langchain-opentelemetry/dist/index.js")),
      ).toBe(true);
      expect(loaded.filter((url) => SDK_MODULE.test(url))).toEqual([]);
    });

    it("`require` of the root entry loads no OpenTelemetry SDK module", async () => {
      await writeFile(
        join(app, "root.cjs"),
        `const { OpenTelemetryCallbackHandler } = require("langchain-opentelemetry");\nnew OpenTelemetryCallbackHandler();\nprocess.stdout.write(JSON.stringify(Object.keys(require.cache)));\n`,
      );
      const result = await runCommand("node", ["root.cjs"], app);
      expect(result.stderr).toBe("");
      const loaded: string[] = JSON.parse(result.stdout);
      expect(
        loaded.some((file) =>
          file.endsWith("/node_modules/langchain-opentelemetry/dist/index.cjs"),
        ),
      ).toBe(true);
      expect(loaded.filter((file) => SDK_MODULE.test(file))).toEqual([]);
    });

    // Global attach and the annotations load LangChain's context modules on first use, and the
    // logs API is loaded by the first handler that looks up the global logger provider.
    const LAZY_MODULE = /@langchain\/core\/dist\/(context|singletons)|@opentelemetry\/api-logs/;
    it("`import` of the root entry loads neither @langchain/core/context, nor singletons, nor api-logs", async () => {
      await writeFile(join(app, "root-only.mjs"), `import "langchain-opentelemetry";\n`);
      const list = join(app, "loaded-lazy.txt");
      const result = await runCommand("node", ["--import", "./record.mjs", "root-only.mjs"], app, {
        ...process.env,
        LOADED_LIST: list,
      });
      expect(result.stderr).toBe("");
      const loaded = (await readFile(list, "utf8")).split("\n").filter(Boolean);
      expect(loaded.some((url) => url.includes("@langchain/core/dist/callbacks/base"))).toBe(true);
      expect(loaded.filter((url) => LAZY_MODULE.test(url))).toEqual([]);
    });

    for (const format of ["esm", "cjs"] as const) {
      it(`registerGlobalHandler from ${format === "esm" ? "`import`" : "`require`"} attaches to the app's own LangChain (its configure hooks)`, async () => {
        const load =
          format === "esm"
            ? `import { OpenTelemetryCallbackHandler, registerGlobalHandler } from "langchain-opentelemetry";\nimport { RunnableLambda } from "@langchain/core/runnables";\n`
            : `const { OpenTelemetryCallbackHandler, registerGlobalHandler } = require("langchain-opentelemetry");\nconst { RunnableLambda } = require("@langchain/core/runnables");\n`;
        const file = join(app, `global.${format === "esm" ? "mjs" : "cjs"}`);
        await writeFile(
          file,
          `${load}const handler = new OpenTelemetryCallbackHandler();
let open = -1;
registerGlobalHandler(handler);
RunnableLambda.from(async () => { open = handler.openRunCount; return 1; })
  .invoke(0)
  .then(() => process.stdout.write(JSON.stringify({ open, after: handler.openRunCount })));
`,
        );
        const result = await runCommand("node", [file], app);
        expect(result.stderr).toBe("");
        expect(JSON.parse(result.stdout)).toEqual({ open: 1, after: 0 });
      });
    }

    it("`langchain-opentelemetry/setup` works from `import` and `require`, sharing the root's handler class", async () => {
      const check = (format: "esm" | "cjs") => {
        const load =
          format === "esm"
            ? `import { setupTelemetry } from "langchain-opentelemetry/setup";\nimport { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";\n`
            : `const { setupTelemetry } = require("langchain-opentelemetry/setup");\nconst { OpenTelemetryCallbackHandler } = require("langchain-opentelemetry");\n`;
        return `${load}const handle = setupTelemetry({ traces: false, metrics: false, logs: false, global: false });
process.stdout.write(String(handle.handler instanceof OpenTelemetryCallbackHandler));
handle.shutdown();
`;
      };
      await writeFile(join(app, "setup.mjs"), check("esm"));
      await writeFile(join(app, "setup.cjs"), check("cjs"));
      for (const file of ["setup.mjs", "setup.cjs"]) {
        const result = await runCommand("node", [file], app);
        expect(result.stderr).toBe("");
        expect(result.stdout).toBe("true");
      }
    });

    it("installs the doctor as the `langchain-opentelemetry` bin", async () => {
      const result = await runCommand(
        join(app, "node_modules", ".bin", "langchain-opentelemetry"),
        ["doctor"],
        app,
        {
          PATH: process.env.PATH,
        },
      );
      expect(result.stdout).toContain(
        "langchain-opentelemetry doctor  (service.name=unknown_service:node)",
      );
      expect(result.stdout).toContain(
        "nothing was sent: no signal exports over OTLP with this configuration",
      );
      expect(result.code).toBe(0);
    });

    it("the installed doctor exports to a receiver (the bundled SDK and exporters load without being installed)", async () => {
      const receiver = await startOtlpReceiver();
      try {
        const result = await runCommand(
          join(app, "node_modules", ".bin", "langchain-opentelemetry"),
          ["doctor", "--endpoint", receiver.url, "--timeout", "2000"],
          app,
          { PATH: process.env.PATH },
        );
        expect(result.stdout).toContain("traces   OK  HTTP 200 OK");
        expect(result.stdout).toContain("metrics  OK  HTTP 200 OK");
        expect(result.stdout).toContain("logs     OK  HTTP 200 OK");
        expect(result.code).toBe(0);
        expect(receiver.requests.map((r) => r.path).sort()).toEqual([
          "/v1/logs",
          "/v1/metrics",
          "/v1/traces",
        ]);
      } finally {
        await receiver.close();
      }
    });
  });
});
