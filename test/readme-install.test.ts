/**
 * The README's install commands and quick-start programs, run as an npm user would: each
 * `<!-- install:... -->` command is run (with the packed tarball in place of the registry's
 * `langchain-opentelemetry`) in a scratch app, and each `<!-- quickstart:... -->` program is run
 * there as it is written. Per OpenTelemetry line: installs cleanly (exit 0, no ERESOLVE, one
 * `@opentelemetry/api`, of that line) and the programs print what the README says.
 *
 * Needs the npm registry (the commands install from it, npm's cache preferred); CI always reaches it.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAndPack, repoRoot, runCommand, type PackedPackage } from "./helpers/pack.js";
import { envWithoutOtel } from "./helpers/env.js";

/** The fenced block right after `<!-- {marker} -->` in the README. */
async function block(marker: string): Promise<string> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const at = readme.indexOf(`<!-- ${marker} -->`);
  if (at === -1) throw new Error(`README has no <!-- ${marker} --> block`);
  const m = /```[a-z]*\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!m) throw new Error(`no fenced block after <!-- ${marker} -->`);
  return m[1];
}

/** Runs a README `npm install ...` line in `app`, the package itself from the tarball. */
async function runInstall(app: string, marker: string, tarball: string) {
  const words = (await block(marker)).trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(["npm", "install"]);
  const args = words.slice(2).map((w) => (w === "langchain-opentelemetry" ? tarball : w));
  return runCommand(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", ...args],
    app,
  );
}

async function apiVersions(app: string): Promise<string[]> {
  const ls = await runCommand(
    "npm",
    ["ls", "--all", "--parseable", "--long", "@opentelemetry/api"],
    app,
  );
  return [
    ...new Set(
      ls.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(":")[1]),
    ),
  ];
}

async function runProgram(app: string, marker: string) {
  const file = `${marker.replace(/\W/g, "_")}.mjs`;
  await writeFile(join(app, file), await block(marker));
  return runCommand("node", [file], app, envWithoutOtel());
}

let packed: PackedPackage;
beforeAll(async () => {
  packed = await buildAndPack();
}, 120_000);
afterAll(async () => {
  await packed?.cleanup();
});

describe.each([
  { line: "3.x", api: /^@opentelemetry\/api@1\.10\.\d+$/ },
  { line: "2.x", api: /^@opentelemetry\/api@1\.9\.\d+$/ },
])("the README on OpenTelemetry JS $line", ({ line, api }) => {
  let app: string;
  beforeAll(async () => {
    app = join(packed.root, `readme-app-${line}`);
    await mkdir(app);
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }),
    );
  });

  it("the install command installs cleanly: one @opentelemetry/api, of this line", async () => {
    const install = await runInstall(app, `install:${line}`, packed.tarball);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout + install.stderr).not.toContain("ERESOLVE");
    const versions = await apiVersions(app);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(api);
  }, 180_000);

  it("the setupTelemetry() quick start runs and prints its trace to stderr", async () => {
    const result = await runProgram(app, "quickstart:setup");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("Rome, for the spring light.");
    expect(result.stderr).toMatch(
      /trace [0-9a-f]{32}\n└─ invoke_workflow RunnableSequence .*\n {3}├─ ChatPromptTemplate .*\n {3}└─ chat /,
    );
    expect(result.stderr).toContain("gen_ai.client.inference.operation.details");
    expect(result.stderr).toContain("gen_ai.client.operation.duration [s]");
    expect(result.stderr).not.toMatch(/warn/i);
  }, 60_000);

  it("the own-SDK install command and quick start work: the chain nests under the app's span", async () => {
    const install = await runInstall(app, `install:own-sdk-${line}`, packed.tarball);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout + install.stderr).not.toContain("ERESOLVE");
    const versions = await apiVersions(app);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(api);
    const result = await runProgram(app, `quickstart:own-sdk-${line}`);
    expect(result.code, result.stderr).toBe(0);
    // ConsoleSpanExporter prints each span; one trace for the whole request.
    const names = [...result.stdout.matchAll(/name: '([^']+)'/g)].map((m) => m[1]);
    expect(names).toEqual(
      expect.arrayContaining(["ChatPromptTemplate", "chat", "invoke_workflow RunnableSequence"]),
    );
    const traces = new Set(
      [...result.stdout.matchAll(/traceId: '([0-9a-f]{32})'/g)].map((m) => m[1]),
    );
    expect(traces.size).toBe(1);
    if (line === "3.x") expect(names).toContain("handle_request");
  }, 180_000);
});
