/**
 * Builds the package into a scratch directory and packs it with `npm pack`, without touching the
 * checkout's own `dist/` (other tests and the demo may be using it). Used by the packaging and
 * install-matrix tests.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

export interface PackedPackage {
  /** Scratch root; remove with {@link cleanup}. */
  root: string;
  /** The staged package folder (package.json, dist/, docs) that was packed. */
  stageDir: string;
  /** Absolute path of the `.tgz` made by `npm pack`. */
  tarball: string;
  cleanup(): Promise<void>;
}

/** `tsup --out-dir <scratch>/package/dist`, then `npm pack` of the staged folder. */
export async function buildAndPack(): Promise<PackedPackage> {
  const root = await mkdtemp(join(tmpdir(), "lco-pack-"));
  const stageDir = join(root, "package");
  await run(bin("tsup"), ["--out-dir", join(stageDir, "dist")], {
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
  for (const file of ["package.json", "README.md", "CHANGELOG.md", "LICENSE"]) {
    if (existsSync(join(repoRoot, file))) await cp(join(repoRoot, file), join(stageDir, file));
  }
  await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", root], {
    cwd: stageDir,
    env: quietNpmEnv(),
  });
  const tarball = (await readdir(root)).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack produced no tarball in ${root}`);
  return {
    root,
    stageDir,
    tarball: join(root, tarball),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Version of a package installed in the checkout (so scratch apps install exactly what we test with). */
export async function installedVersion(name: string): Promise<string> {
  const pkg = JSON.parse(
    await readFile(join(repoRoot, "node_modules", name, "package.json"), "utf8"),
  ) as { version: string };
  return pkg.version;
}

/** Environment for npm in scratch dirs: no audit/fund chatter, no update check. */
function quietNpmEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_loglevel: "warn",
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, never throws on a non-zero exit: the caller asserts on the result. */
export async function runCommand(
  cmd: string,
  args: string[],
  cwd: string,
  env = quietNpmEnv(),
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === "number" ? e.code : 1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? String(error),
    };
  }
}

export { bin as repoBin };

/**
 * Source of a script that runs a traced chain (prompt -> FakeListChatModel -> parser) with the
 * packed handler and the app's own tracer provider (`providerClass` from `sdkPackage`: 2.x
 * `BasicTracerProvider`, 3.x `@opentelemetry/sdk-trace` `TracerProvider`), and prints JSON:
 * `{ output, resolved, spans: [[name, parentName|null, traceIdMatchesRoot]] }`.
 */
export function tracedChainScript(
  kind: "esm" | "cjs",
  sdkPackage: string,
  providerClass = "BasicTracerProvider",
  line: "2.x" | "3.x" = "2.x",
): string {
  // 3.x span processors take an options object; 2.x ones take the exporter itself.
  const processorArg = line === "3.x" ? "{ exporter }" : "exporter";
  const imports =
    kind === "esm"
      ? `import { OpenTelemetryCallbackHandler } from "langchain-opentelemetry";
import { ${providerClass} as AppTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "${sdkPackage}";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
const resolved = import.meta.resolve("langchain-opentelemetry");`
      : `const { OpenTelemetryCallbackHandler } = require("langchain-opentelemetry");
const { ${providerClass}: AppTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require("${sdkPackage}");
const { FakeListChatModel } = require("@langchain/core/utils/testing");
const { ChatPromptTemplate } = require("@langchain/core/prompts");
const { StringOutputParser } = require("@langchain/core/output_parsers");
const resolved = require.resolve("langchain-opentelemetry");`;
  return `${imports}
async function main() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new AppTracerProvider({ spanProcessors: [new SimpleSpanProcessor(${processorArg})] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider });
  const chain = ChatPromptTemplate.fromMessages([["human", "Say {word}"]])
    .pipe(new FakeListChatModel({ responses: ["hello"] }))
    .pipe(new StringOutputParser());
  const output = await chain.invoke({ word: "hi" }, { callbacks: [handler] });
  await handler.forceFlush();
  const spans = exporter.getFinishedSpans();
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
  const rows = spans
    .map((s) => [s.name, s.parentSpanContext ? names.get(s.parentSpanContext.spanId) ?? "?" : null])
    .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  console.log(JSON.stringify({ output, resolved, traceCount: traceIds.size, spans: rows }));
}
main().catch((error) => { console.error(error); process.exit(1); });
`;
}

/** The spans {@link tracedChainScript} must report, sorted by name. */
export const EXPECTED_CHAIN_SPANS = [
  ["ChatPromptTemplate", "invoke_workflow RunnableSequence"],
  ["StrOutputParser", "invoke_workflow RunnableSequence"],
  ["chat", "invoke_workflow RunnableSequence"],
  ["invoke_workflow RunnableSequence", null],
];
