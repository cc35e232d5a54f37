/**
 * CPU profile of one contestant on the plain invoke. Usage (from the repo root, after a bench
 * install): `node --import tsx bench/profile.ts [contestant=ours] [invokes=30000]`.
 *
 * Re-runs itself under `node --cpu-prof`, then reports, for the samples whose stack passes
 * through the contestant's handler: the share of the total time, the top self-time functions of
 * our code (with their source file, from the bundle's `// src/<file>.ts` markers) and the top
 * self-time functions anywhere under the handler (OpenTelemetry SDK, LangChain...).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { buildSoleContestant, CONTESTANT_IDS, type ContestantId } from "./contestants.js";
import { OURS_ALT_BUNDLE, OURS_BUNDLE } from "./ours.js";
import { buildChain, invokeOnce } from "./workloads.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const profDir = join(benchDir, "profiles");

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function workload(id: ContestantId, n: number): Promise<void> {
  const { telemetry, contestant: c } = await buildSoleContestant(id);
  const chain = buildChain();
  c.enter?.();
  for (let i = 0; i < n; i++) {
    await invokeOnce(chain, c.callbacks);
    if (i % 1000 === 999) await telemetry.flush();
  }
  await awaitAllCallbacks();
  c.exit?.();
  await telemetry.shutdown();
  process.exit(0);
}

/** Maps a bundle line (1-based) to the `src/<file>.ts` section it belongs to. */
function bundleSections(bundle: string): (line: number) => string {
  const lines = readFileSync(bundle, "utf8").split("\n");
  const marks: { line: number; file: string }[] = [];
  lines.forEach((l, i) => {
    const m = /^\/\/ (?:.*\/)?(src\/[\w./-]+\.ts)$/.exec(l);
    if (m) marks.push({ line: i + 1, file: m[1] });
  });
  return (line) => {
    let file = "?";
    for (const mk of marks) if (mk.line <= line) file = mk.file;
    return file;
  };
}

function analyse(
  file: string,
  handlerMarker: (url: string) => boolean,
  bundle: string | undefined,
  invokes: number,
): void {
  const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const section = bundle !== undefined ? bundleSections(bundle) : () => "";

  let total = 0;
  let busy = 0;
  let underHandler = 0;
  const selfUnder = new Map<string, number>();
  const selfOurs = new Map<string, number>();
  const byEntry = new Map<string, number>();
  const inclusive = new Map<string, number>();
  /** The outermost frame of the handler's code on a sample's stack: the callback LangChain called. */
  const entryOf = (id: number): string | undefined => {
    let entry: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (handlerMarker(f.url)) entry = f.functionName || "(anonymous)";
    }
    return entry;
  };
  const memo = new Map<number, boolean>();
  const passesHandler = (id: number): boolean => {
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    const p = parent.get(id);
    const r = handlerMarker(node.callFrame.url) || (p !== undefined && passesHandler(p));
    memo.set(id, r);
    return r;
  };
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    total += dt;
    const id = prof.samples[i];
    if (byId.get(id)!.callFrame.functionName !== "(idle)") busy += dt;
    if (!passesHandler(id)) continue;
    underHandler += dt;
    const entry = entryOf(id) ?? "?";
    // Inclusive time of every function of the handler's code on the stack (counted once per sample),
    // and of the SDK calls it makes directly (the first non-handler frame above a handler frame).
    const seen = new Set<string>();
    for (
      let cur: number | undefined = id, below: CallFrame | undefined;
      cur !== undefined;
      below = byId.get(cur)!.callFrame, cur = parent.get(cur)
    ) {
      const f = byId.get(cur)!.callFrame;
      if (!handlerMarker(f.url)) continue;
      seen.add(`${f.functionName || "(anonymous)"}  ${section(f.lineNumber + 1)}`);
      if (below !== undefined && !handlerMarker(below.url))
        seen.add(
          `  -> ${below.functionName || "(anonymous)"}  ${shortUrl(below.url, below.lineNumber)} (called from ${f.functionName})`,
        );
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    byEntry.set(entry, (byEntry.get(entry) ?? 0) + dt);
    const f = byId.get(id)!.callFrame;
    const where = handlerMarker(f.url)
      ? `${section(f.lineNumber + 1)} (bundle line ${f.lineNumber + 1})`
      : shortUrl(f.url, f.lineNumber);
    const key = `${f.functionName || "(anonymous)"}  ${where}`;
    selfUnder.set(key, (selfUnder.get(key) ?? 0) + dt);
    if (handlerMarker(f.url)) selfOurs.set(key, (selfOurs.get(key) ?? 0) + dt);
  }
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1)}%`;
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, v]) => `  ${pct(v).padStart(6)}  ${key}`)
      .join("\n");
  const oursSelf = [...selfOurs.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    [
      `profile: ${file}`,
      `busy (non-idle) time: ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s, incl. process start-up; percentages below are of busy time`,
      `under the handler (inclusive): ${pct(underHandler)}, ≈ ${(underHandler / invokes).toFixed(1)} µs per invoke (sampled wall time: inflated when the machine is busy)`,
      `self time in the handler's own code: ${pct(oursSelf)}, ≈ ${(oursSelf / invokes).toFixed(1)} µs per invoke`,
      "",
      "inclusive time per callback entry point (outermost handler frame):",
      top(byEntry, 12),
      "",
      "inclusive time of the handler's functions, and of the library calls they make:",
      top(inclusive, 40),
      "",
      "top self time in the handler's own code:",
      top(selfOurs, 25),
      "",
      "top self time anywhere under the handler (its callees included):",
      top(selfUnder, 30),
      "",
    ].join("\n"),
  );
}

function shortUrl(url: string, line: number): string {
  const i = url.lastIndexOf("node_modules/");
  return `${i >= 0 ? url.slice(i + 13) : url.replace(/^file:\/\//, "")}:${line + 1}`;
}

async function main(): Promise<void> {
  const id = (process.argv[2] ?? "ours") as ContestantId;
  const n = Number(process.argv[3] ?? 30_000);
  if (!CONTESTANT_IDS.includes(id)) throw new Error(`unknown contestant ${id}`);
  if (process.env.BENCH_PROFILE_CHILD === "1") return workload(id, n);

  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const r = spawnSync(
    process.execPath,
    [
      "--cpu-prof",
      `--cpu-prof-dir=${profDir}`,
      "--cpu-prof-interval=100",
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      id,
      String(n),
    ],
    {
      stdio: "inherit",
      env: { ...process.env, BENCH_PROFILE_CHILD: "1" },
    },
  );
  if (r.status !== 0) throw new Error(`profiled run failed (${r.status})`);
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error("no profile written");
  const markers: Record<string, (url: string) => boolean> = {
    ours: (u) => u.includes("/.ours/handler.mjs"),
    "ours-content": (u) => u.includes("/.ours/handler.mjs"),
    "ours-spans": (u) => u.includes("/.ours/handler.mjs"),
    "ours-alt": (u) => u.includes("/.ours/alt/"),
    minimal: (u) => u.endsWith("/bench/baseline-handlers.ts"),
    openllmetry: (u) => u.includes("@traceloop/"),
    openinference: (u) => u.includes("@arizeai/"),
    langfuse: (u) => u.includes("@langfuse/"),
  };
  const marker = markers[id];
  if (marker === undefined) throw new Error(`no handler code to attribute for ${id}`);
  const bundle =
    id === "ours-alt" ? OURS_ALT_BUNDLE : id.startsWith("ours") ? OURS_BUNDLE : undefined;
  analyse(join(profDir, file), marker, bundle, n);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
