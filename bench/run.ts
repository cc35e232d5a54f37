/**
 * `npm run bench`: langchain-opentelemetry against no callbacks, a no-op handler, a minimal
 * one-span-per-run handler and the published LangChain.js integrations, on the same SDK
 * pipelines. Writes bench/results.md and prints the budget as PASS/FAIL lines.
 * `BENCH_QUICK=1` for a smoke run (numbers not meaningful).
 */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import {
  buildContestants,
  checkSingleCopies,
  installedVersion,
  type Contestant,
} from "./contestants.js";
import type { LeakResult } from "./leak.js";
import { loadOurs } from "./ours.js";
import { measureImportTimes, type ImportTimes } from "./import-time.js";
import { measureSdkFloor, type SdkFloor } from "./sdk-floor.js";
import { fmt, fmtBytes, fmtRatio, median, quantile, table } from "./stats.js";
import { createTelemetry, isolateEnvironment, type Telemetry } from "./telemetry.js";
import { agentOnce, buildAgent, buildChain, invokeOnce, streamOnce } from "./workloads.js";

const QUICK = process.env.BENCH_QUICK === "1";
const benchDir = dirname(fileURLToPath(import.meta.url));

interface Workload {
  id: "invoke" | "stream" | "agent" | "concurrent";
  label: string;
  /** Calls of `run` per sample. */
  batch: number;
  /** Invokes per call of `run` (200 for the concurrent workload). */
  perRun: number;
  rounds: number;
  warmup: number;
  run(c: Contestant): Promise<unknown>;
}

const chain = buildChain(50);
const agent = buildAgent();

const WORKLOADS: Workload[] = [
  {
    id: "invoke",
    label: "`prompt | model | parser` invoke",
    batch: QUICK ? 30 : 100,
    perRun: 1,
    rounds: QUICK ? 3 : 51,
    warmup: QUICK ? 50 : 600,
    run: (c) => invokeOnce(chain, c.callbacks),
  },
  {
    id: "stream",
    label: "same chain streamed (50 chunks)",
    batch: QUICK ? 5 : 8,
    perRun: 1,
    rounds: QUICK ? 3 : 15,
    warmup: QUICK ? 10 : 30,
    run: (c) => streamOnce(chain, c.callbacks),
  },
  {
    id: "agent",
    label: "`createAgent`, two tool calls then answer",
    batch: QUICK ? 3 : 5,
    perRun: 1,
    rounds: QUICK ? 3 : 15,
    warmup: QUICK ? 5 : 20,
    run: (c) => agentOnce(agent, c.callbacks),
  },
  {
    id: "concurrent",
    label: "200 concurrent invokes",
    batch: 1,
    perRun: 200,
    rounds: QUICK ? 3 : 15,
    warmup: QUICK ? 1 : 3,
    run: (c) => Promise.all(Array.from({ length: 200 }, () => invokeOnce(chain, c.callbacks))),
  },
];

const LEAK_N = QUICK ? 2_000 : 10_000;

interface Census {
  spans: number;
  spanAttributes: number;
  traces: number;
  logRecords: number;
  metricPoints: number;
}

/** Runs a contestant `n` times on a workload and counts what reaches the exporters, per run. */
async function census(
  telemetry: Telemetry,
  c: Contestant,
  w: Workload,
  n: number,
): Promise<Census> {
  const { counts } = telemetry;
  await telemetry.flush();
  counts.reset();
  counts.trackTraces = true;
  c.enter?.();
  try {
    for (let i = 0; i < n; i++) await w.run(c);
    await awaitAllCallbacks();
  } finally {
    c.exit?.();
  }
  await telemetry.flush();
  counts.trackTraces = false;
  const per = n * w.perRun;
  const result = {
    spans: counts.spans / per,
    spanAttributes: counts.spanAttributes / per,
    traces: counts.traceIds.size / per,
    logRecords: counts.logRecords / per,
    // Metric points are aggregated (cumulative): series in the export, not per invoke.
    metricPoints: counts.metricPoints,
  };
  counts.reset();
  return result;
}

interface Sample {
  /** Process CPU time (user + system), µs per invoke: robust to other processes on the machine. */
  cpu: number;
  /** Wall-clock time, µs per invoke. */
  wall: number;
}

/** One timed sample: `batch` calls, background callbacks drained, µs per invoke. */
async function sample(telemetry: Telemetry, c: Contestant, w: Workload): Promise<Sample> {
  // No forced GC here: the sweeping a full GC leaves to background threads would land in the
  // sample's CPU time (it tripled the figures in a test). Rotation spreads GC cost instead.
  c.enter?.();
  let wall: bigint;
  let cpu: NodeJS.CpuUsage;
  try {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < w.batch; i++) await w.run(c);
    // Handlers without awaitHandlers run on LangChain's background queue: their work is part of the cost.
    await awaitAllCallbacks();
    wall = process.hrtime.bigint() - t0;
    cpu = process.cpuUsage(c0);
  } finally {
    c.exit?.();
  }
  // Export the batch outside the timed region so it does not land in the next contestant's sample.
  await telemetry.flush();
  const n = w.batch * w.perRun;
  return { cpu: (cpu.user + cpu.system) / n, wall: Number(wall) / 1000 / n };
}

async function timeWorkload(
  telemetry: Telemetry,
  contestants: Contestant[],
  w: Workload,
): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>(contestants.map((c) => [c.id, []]));
  for (const c of contestants) {
    c.enter?.();
    try {
      for (let i = 0; i < w.warmup; i++) await w.run(c);
      await awaitAllCallbacks();
    } finally {
      c.exit?.();
    }
  }
  for (let r = 0; r < w.rounds; r++) {
    // Rotate the order each round so no contestant always follows the same one.
    for (let j = 0; j < contestants.length; j++) {
      const c = contestants[(j + r) % contestants.length];
      samples.get(c.id)!.push(await sample(telemetry, c, w));
    }
  }
  return samples;
}

function runLeakChild(id: string): Promise<LeakResult> {
  const execArgv = process.execArgv.includes("--expose-gc")
    ? process.execArgv
    : ["--expose-gc", ...process.execArgv];
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...execArgv, join(benchDir, "leak.ts"), id, String(LEAK_N)],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: process.env,
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", () => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as LeakResult);
      } catch {
        resolve({
          id,
          n: LEAK_N,
          heapAfterWarmup: NaN,
          heapAtN: NaN,
          heapAt2N: NaN,
          growth: NaN,
          error: out.slice(-300),
        });
      }
    });
  });
}

function gitDescribe(): string {
  try {
    // The last commit that changed src/ (HEAD moves with unrelated commits).
    const sha = execFileSync("git", ["log", "-1", "--format=%h", "--", "../src"], {
      cwd: benchDir,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "../src"], {
      cwd: benchDir,
      encoding: "utf8",
    }).trim();
    return dirty === "" ? sha : `${sha} + uncommitted changes in src/`;
  } catch {
    return "unknown";
  }
}

const loadStart = loadavg()[0];
/** Load at the end of the timed workloads (the heap checks that follow run two processes at once). */
let loadTimed = Number.NaN;

async function main(): Promise<void> {
  isolateEnvironment();
  const started = Date.now();
  const log = (msg: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);

  const copies = checkSingleCopies();
  if (copies.length > 0) {
    for (const p of copies) log(`DUPLICATE PACKAGE COPY: ${p}`);
    throw new Error(
      "more than one copy of @langchain/core or @opentelemetry/api: fix bench/node_modules (npm ci --prefix bench)",
    );
  }
  log("one copy each of @langchain/core and @opentelemetry/api");

  const telemetry = createTelemetry();
  const { contestants, skipped } = await buildContestants(telemetry);
  for (const s of skipped) log(`skipped ${s.id}: ${s.reason}`);
  log(`contestants: ${contestants.map((c) => c.id).join(", ")}${QUICK ? " (BENCH_QUICK)" : ""}`);

  // Census: what each contestant exports per run, and a check that each actually traces.
  const censusBy = new Map<string, Map<string, Census>>();
  for (const w of WORKLOADS) {
    const m = new Map<string, Census>();
    for (const c of contestants)
      m.set(c.id, await census(telemetry, c, w, w.id === "concurrent" ? 1 : 10));
    censusBy.set(w.id, m);
  }
  for (const c of contestants) {
    if (c.id !== "none" && c.id !== "noop" && censusBy.get("invoke")!.get(c.id)!.spans === 0) {
      log(`WARNING: ${c.id} exported no spans on the plain invoke: its setup does not work`);
    }
  }
  log("census done");

  const timings = new Map<string, Map<string, Sample[]>>();
  for (const w of WORKLOADS) {
    timings.set(w.id, await timeWorkload(telemetry, contestants, w));
    log(`timed ${w.id}`);
  }

  loadTimed = loadavg()[0];

  // The SDK's own cost of what our defaults emit per plain invoke, replayed without LangChain.
  let floor: SdkFloor | undefined;
  const loaded = await loadOurs();
  if (!("error" in loaded)) {
    floor = await measureSdkFloor(loaded.ctor, QUICK ? 5 : 51, 100);
    log("timed the SDK floor");
  }

  const openRuns = contestants
    .filter((c) => c.ours)
    .map((c) => `${c.id}: ${c.ours!.openRunCount ?? "?"}`);
  if (openRuns.length > 0) log(`our open runs after timing: ${openRuns.join(", ")}`);

  // Heap checks in fresh processes, two at a time (heap sizes do not depend on CPU contention).
  const leaks = new Map<string, LeakResult>();
  const queue = [...contestants];
  await Promise.all(
    [0, 1].map(async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const r = await runLeakChild(c.id);
        leaks.set(c.id, r);
        log(`leak check ${c.id}: ${fmtBytes(r.growth)}${r.error ? ` (${r.error})` : ""}`);
      }
    }),
  );

  const imports = measureImportTimes(QUICK ? 3 : 7);
  log("timed the imports");

  const report = buildReport(contestants, skipped, censusBy, timings, leaks, floor);
  report.markdown = report.markdown.replace("## Budget", `${importSection(imports)}## Budget`);
  writeFileSync(join(benchDir, QUICK ? "results-quick.md" : "results.md"), report.markdown);
  process.stdout.write(`${report.markdown}\n\n${report.budgetLines.join("\n")}\n`);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/${QUICK ? "results-quick.md" : "results.md"}`,
  );

  for (const c of contestants) await c.ours?.shutdown?.();
  await telemetry.shutdown();
  process.exit(0);
}

function buildReport(
  contestants: Contestant[],
  skipped: { id: string; reason: string }[],
  censusBy: Map<string, Map<string, Census>>,
  timings: Map<string, Map<string, Sample[]>>,
  leaks: Map<string, LeakResult>,
  floor: SdkFloor | undefined,
): { markdown: string; budgetLines: string[] } {
  const values = (w: string, id: string, clock: keyof Sample = "cpu") =>
    timings
      .get(w)
      ?.get(id)
      ?.map((s) => s[clock]) ?? [];
  const med = (w: string, id: string, clock: keyof Sample = "cpu") => {
    const s = values(w, id, clock);
    return s.length === 0 ? undefined : median(s);
  };
  const iqr = (w: string, id: string) => {
    const s = values(w, id);
    return s.length === 0 ? undefined : quantile(s, 0.75) - quantile(s, 0.25);
  };
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;

  const none = med("invoke", "none");
  const noop = med("invoke", "noop");
  const minimal = med("invoke", "minimal");
  const invokeRows = contestants.map((c) => {
    const m = med("invoke", c.id);
    const cen = censusBy.get("invoke")!.get(c.id)!;
    const above = m !== undefined && noop !== undefined && c.id !== "none" ? m - noop : undefined;
    const leak = leaks.get(c.id);
    return [
      c.label,
      fmt(m, 1),
      `±${fmt((iqr("invoke", c.id) ?? NaN) / 2, 1)}`,
      fmt(med("invoke", c.id, "wall"), 1),
      fmtRatio(ratio(m, none)),
      fmtRatio(ratio(m, minimal)),
      c.id === "none" ? "–" : fmt(above, 1),
      fmt(cen.spans, 1),
      fmt(cen.spanAttributes, 1),
      fmt(cen.traces, 1),
      fmt(cen.logRecords, 1),
      leak?.error ? "error" : fmtBytes(leak?.growth),
    ];
  });

  const otherRows = contestants.map((c) => {
    const cells = [c.label];
    for (const w of ["stream", "agent", "concurrent"]) {
      const m = med(w, c.id);
      cells.push(fmt(m, w === "concurrent" ? 1 : 0), fmtRatio(ratio(m, med(w, "none"))));
    }
    cells.push(
      fmt(censusBy.get("stream")!.get(c.id)!.spans, 1),
      fmt(censusBy.get("agent")!.get(c.id)!.spans, 1),
    );
    cells.push(fmt(censusBy.get("agent")!.get(c.id)!.traces, 1));
    return cells;
  });

  // Budget.
  const budgetLines: string[] = [];
  const ours = med("invoke", "ours");
  const competitors = contestants.filter((c) => c.kind === "competitor");
  const cheapest = competitors
    .map((c) => ({ c, m: med("invoke", c.id)! }))
    .sort((a, b) => a.m - b.m)[0];
  if (ours === undefined || noop === undefined || minimal === undefined) {
    budgetLines.push("FAIL budget: our handler did not run (see skipped contestants)");
  } else {
    const oursAbove = ours - noop;
    const minimalAbove = minimal - noop;
    const limit1 = 1.5 * minimalAbove;
    budgetLines.push(
      `${oursAbove <= limit1 ? "PASS" : "FAIL"} cost above no-op: ours ${fmt(oursAbove, 1)} µs <= 1.5 × minimal handler's ${fmt(minimalAbove, 1)} µs = ${fmt(limit1, 1)} µs`,
    );
    if (cheapest === undefined) {
      budgetLines.push("FAIL cost vs competitors: no competitor ran");
    } else {
      const compAbove = cheapest.m - noop;
      const limit2 = 0.5 * compAbove;
      budgetLines.push(
        `${oursAbove <= limit2 ? "PASS" : "FAIL"} cost above no-op: ours ${fmt(oursAbove, 1)} µs <= 0.5 × cheapest competitor's (${cheapest.c.label}) ${fmt(compAbove, 1)} µs = ${fmt(limit2, 1)} µs`,
      );
    }
  }
  const spansOnly = med("invoke", "ours-spans");
  if (spansOnly !== undefined && noop !== undefined && minimal !== undefined) {
    budgetLines.push(
      `INFO spans only (metrics: false, logs: false): ours ${fmt(spansOnly - noop, 1)} µs above no-op = ${fmtRatio((spansOnly - noop) / (minimal - noop))} the minimal handler's; metrics and log records add ${fmt((ours ?? NaN) - spansOnly, 1)} µs`,
    );
  }
  for (const id of ["ours-latest", "ours-dual"]) {
    const parts = WORKLOADS.map((wl) => {
      const v = med(wl.id, id);
      const d = med(wl.id, "ours");
      return v === undefined || d === undefined
        ? undefined
        : `${wl.id} ${fmt(v, 1)} µs vs ${fmt(d, 1)} µs (${v >= d ? "+" : ""}${fmt(((v - d) / d) * 100, 1)} %)`;
    }).filter((p) => p !== undefined);
    if (parts.length > 0)
      budgetLines.push(
        `INFO ${id === "ours-latest" ? "latest GenAI conventions (opt-in)" : "both conventions (dual)"} vs defaults, per invoke: ${parts.join("; ")}`,
      );
  }
  const noRunContext = med("invoke", "ours-no-run-context");
  if (noRunContext !== undefined && ours !== undefined) {
    const agentOn = med("agent", "ours");
    const agentOff = med("agent", "ours-no-run-context");
    budgetLines.push(
      `INFO run context (a run's span active while it runs): ${fmt(ours - noRunContext, 1)} µs per plain invoke${agentOn !== undefined && agentOff !== undefined ? `, ${fmt(agentOn - agentOff, 1)} µs per agent run` : ""} (defaults vs runContext: false)`,
    );
  }
  const tracerRef = med("invoke", "minimal-tracer");
  if (tracerRef !== undefined && noop !== undefined && ours !== undefined) {
    budgetLines.push(
      `INFO reference: a minimal span handler on LangChain's \`BaseTracer\` adds ${fmt(tracerRef - noop, 1)} µs above no-op; ours with defaults is ${fmtRatio((ours - noop) / (tracerRef - noop))} that`,
    );
  }
  const emitting = med("invoke", "minimal-emitting");
  if (emitting !== undefined && noop !== undefined && minimal !== undefined) {
    const ratio = (emitting - noop) / (minimal - noop);
    budgetLines.push(
      `INFO in-situ SDK floor: the minimal handler making our SDK calls as constants (same attributes, histogram points, log record; no code of ours) adds ${fmt(emitting - noop, 1)} µs above no-op = ${fmtRatio(ratio)} the minimal handler's${ours !== undefined ? ` (ours with defaults: ${fmtRatio((ours - noop) / (minimal - noop))})` : ""}${ratio > 1.5 ? ": above 1.5×, so no handler that emits this data meets the first line on this run" : ""}`,
    );
  }
  if (floor !== undefined) {
    budgetLines.push(
      `INFO isolated SDK floor (a lower bound; no LangChain, no handler code): the SDK calls of what our defaults emit per invoke cost ${fmt(floor.logs, 1)} µs vs ${fmt(floor.bare, 1)} µs for the minimal handler's bare spans (${fmtRatio(floor.logs / floor.bare)}); the ${floor.points} histogram points and ${floor.records} log record account for ${fmt(floor.logs - floor.attributes, 1)} µs of it`,
    );
  }
  const leak = leaks.get("ours");
  if (leak === undefined || leak.error || !Number.isFinite(leak.growth)) {
    budgetLines.push(`FAIL heap growth: ours not measured${leak?.error ? ` (${leak.error})` : ""}`);
  } else {
    budgetLines.push(
      `${leak.growth < 1024 * 1024 ? "PASS" : "FAIL"} heap growth over invokes ${LEAK_N + 1}-${2 * LEAK_N}: ours ${fmtBytes(leak.growth)} < 1 MB${leak.openRuns !== undefined ? ` (open runs after: ${leak.openRuns})` : ""}`,
    );
  }
  if (QUICK) budgetLines.push("(BENCH_QUICK=1: smoke run, numbers not meaningful)");

  const cpu = cpus();
  const versions = [
    "@langchain/core",
    "langchain",
    "@langchain/langgraph",
    "@opentelemetry/api",
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/sdk-metrics",
    "@opentelemetry/sdk-logs",
    "@traceloop/instrumentation-langchain",
    "@arizeai/openinference-instrumentation-langchain",
    "@langfuse/langchain",
  ].map((p) => `\`${p}\` ${installedVersion(p)}`);

  const w = Object.fromEntries(WORKLOADS.map((x) => [x.id, x]));
  const markdown = [
    `# Benchmark results${QUICK ? " (BENCH_QUICK smoke run: not meaningful)" : ""}`,
    "",
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu[0]?.model ?? "?"}, ${cpu.length} cores, ${platform()} ${release()}`,
    `- Node ${process.version}; load average (1 min) ${loadStart.toFixed(1)} at start, ${loadTimed.toFixed(1)} at the end of the timed workloads${loadStart > cpu.length || loadTimed > cpu.length ? " (other processes competed for the CPUs: absolute numbers are inflated, compare ratios)" : ""}`,
    `- langchain-opentelemetry: src at ${gitDescribe()}`,
    `- Packages: ${versions.join(", ")}`,
    `- Samples: interleaved rounds (order rotated each round); invoke ${w.invoke.rounds} × ${w.invoke.batch}, stream ${w.stream.rounds} × ${w.stream.batch}, agent ${w.agent.rounds} × ${w.agent.batch}, concurrent ${w.concurrent.rounds} × 200; heap: ${LEAK_N} + ${LEAK_N} invokes in a fresh process per contestant`,
    ...(skipped.length > 0
      ? [`- Not run: ${skipped.map((s) => `${s.id} (${s.reason})`).join("; ")}`]
      : []),
    "",
    `## Plain invoke: ${w.invoke.label} (4 runs per invoke)`,
    "",
    table(
      [
        "contestant",
        "CPU µs/invoke (median)",
        "± (IQR/2)",
        "wall µs/invoke (median)",
        "× no callbacks",
        "× minimal",
        "µs above no-op",
        "spans/invoke",
        "span attrs/invoke",
        "traces/invoke",
        "log records/invoke",
        `heap growth, invokes ${LEAK_N / 1000}k→${(2 * LEAK_N) / 1000}k`,
      ],
      invokeRows,
    ),
    "",
    "## Other workloads (CPU µs per run, median)",
    "",
    table(
      [
        "contestant",
        "stream (50 chunks)",
        "× none",
        "agent (2 tools)",
        "× none",
        "200 concurrent, per invoke",
        "× none",
        "spans/stream",
        "spans/agent run",
        "traces/agent run",
      ],
      otherRows,
    ),
    "",
    ...(floor === undefined
      ? []
      : [
          "## The SDK's own cost of what our defaults emit (isolated replay)",
          "",
          "One plain invoke of our handler (defaults) is recorded, then only its OpenTelemetry SDK calls are replayed in a loop on pipelines like the bench's: no LangChain, no handler code. Each step adds one kind of call to the previous one; the first is what the minimal handler asks of the SDK. Isolated loops run hot in the CPU caches, so these are lower bounds of the same calls' cost inside an invoke (compare the minimal handler's row above).",
          "",
          table(
            ["step", "SDK calls per invoke", "CPU µs/invoke (median)", "added by the step"],
            [
              [
                "bare spans (what the minimal handler emits)",
                `${floor.spans} spans`,
                fmt(floor.bare, 1),
                "–",
              ],
              [
                "+ our span attributes",
                `${floor.spanAttributes} attributes`,
                fmt(floor.attributes, 1),
                fmt(floor.attributes - floor.bare, 1),
              ],
              [
                "+ our histogram points",
                `${floor.points} \`record\` calls`,
                fmt(floor.metrics, 1),
                fmt(floor.metrics - floor.attributes, 1),
              ],
              [
                "+ our log records",
                `${floor.records} \`emit\` call${floor.records === 1 ? "" : "s"}`,
                fmt(floor.logs, 1),
                fmt(floor.logs - floor.metrics, 1),
              ],
            ],
          ),
          "",
        ]),
    "## Budget",
    "",
    ...budgetLines.map((l) => `- ${l}`),
    "",
    "Times are process CPU time (user + system) per invoke, median over the rounds; the wall-clock median is shown next to it for the plain invoke. traces/invoke above 1 means the integration's spans of one invoke do not share a trace (no nesting). The competitors capture prompts and completions by default; compare them with our captureContent row. Method: bench/README.md.",
    "",
  ].join("\n");
  return { markdown, budgetLines };
}

/** The import-time table: built `dist/` entries, each imported in fresh Node processes. */
function importSection(imports: ImportTimes): string {
  return [
    "## Import time (built `dist/`, fresh process, median)",
    "",
    table(
      ["entry", `ms (median of ${imports.runs} processes)`],
      imports.medians.map((m) => [m.label, fmt(m.ms, 1)]),
    ),
    "",
    "",
  ].join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
