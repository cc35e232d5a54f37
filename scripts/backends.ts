/**
 * Real OTLP backends, built from their Go modules: Prometheus 3 (metrics), Jaeger 2 (traces) and
 * VictoriaLogs (logs). Used by the backends test tier (`npm run test:backends`) and by the local
 * stack for users without Docker (`npm run stack`).
 *
 *   npx tsx scripts/backends.ts install [name...]   build each backend missing from the cache
 *   npx tsx scripts/backends.ts stack      start all three on 127.0.0.1, print OTEL_* variables
 *   npx tsx scripts/backends.ts paths      print where the binaries are (or would be)
 *
 * Each backend is built once per pinned version into
 * `${XDG_CACHE_HOME:-~/.cache}/langchain-opentelemetry/backends/<name>-<version>/` (override the
 * root with LANGCHAIN_OTEL_BACKENDS_DIR), outside the repository; changing a version below builds
 * the new one (so do its build tags), nothing else does. No code of these projects is in this repository: the module is
 * downloaded from the Go module proxy (`go mod download`), copied to a scratch folder and built
 * there with its own go.mod, replace directives included (which `go install pkg@version` refuses).
 * LANGCHAIN_OTEL_BACKENDS_GO_PROCS caps the build's parallelism (GOMAXPROCS and `go build -p`).
 *
 * Without Go on PATH (or in $GO) every command fails with an explanation: the tier never skips.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync } from "node:fs";
import { readFileSync, renameSync, rmSync, writeFileSync, chmodSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The backends and the exact module versions we test against. */
export const BACKENDS = {
  prometheus: {
    module: "github.com/prometheus/prometheus",
    // Prometheus 3.x is published as module versions v0.3xx (v0.316.0 is Prometheus 3.16).
    version: "v0.316.0",
    pkg: "./cmd/prometheus",
    // No service discovery plugins (Kubernetes, the clouds...): we only receive OTLP. Halves the
    // build.
    tags: ["remove_all_sd"],
  },
  jaeger: {
    module: "github.com/jaegertracing/jaeger",
    // Jaeger 2 (cmd/jaeger, an OpenTelemetry Collector distribution). v1.75.0: the newest release
    // approved for this project's machines (v1.76.0 is served but not approved there).
    version: "v1.75.0",
    pkg: "./cmd/jaeger",
    tags: [],
  },
  victorialogs: {
    module: "github.com/VictoriaMetrics/VictoriaLogs",
    version: "v1.52.1",
    pkg: "./app/victoria-logs",
    tags: [],
  },
} as const;

export type BackendName = keyof typeof BACKENDS;
export const BACKEND_NAMES = Object.keys(BACKENDS) as BackendName[];

const STAMP = "build-info.json";

/** Root of the binary cache (outside the repository). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANGCHAIN_OTEL_BACKENDS_DIR) return env.LANGCHAIN_OTEL_BACKENDS_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "langchain-opentelemetry", "backends");
}

/** Where the binary of `name` at its pinned version lives. */
export function binaryPath(name: BackendName): string {
  return join(cacheRoot(), `${name}-${BACKENDS[name].version}`, name);
}

function goCommand(): string {
  return process.env.GO || "go";
}

/** `go version` output, or a clear error when Go is missing. */
export function requireGo(): string {
  const go = goCommand();
  const r = spawnSync(go, ["version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      `Go was not found (${go}: ${r.error?.message ?? r.stderr.trim()}). The backends tier builds ` +
        `Prometheus, Jaeger and VictoriaLogs from their Go modules and needs Go 1.26 or newer on ` +
        `PATH (or its path in $GO), with access to the Go module proxy. Install Go and run ` +
        `\`npx tsx scripts/backends.ts install\` again.`,
    );
  }
  return r.stdout.trim();
}

function isBuilt(name: BackendName): boolean {
  const dir = join(cacheRoot(), `${name}-${BACKENDS[name].version}`);
  try {
    const stamp = JSON.parse(readFileSync(join(dir, STAMP), "utf8")) as Record<string, unknown>;
    return (
      stamp.module === BACKENDS[name].module &&
      stamp.version === BACKENDS[name].version &&
      JSON.stringify(stamp.tags ?? []) === JSON.stringify(BACKENDS[name].tags) &&
      existsSync(join(dir, name))
    );
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, {
    ...opts,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.error || r.status !== 0) {
    const err = (r.stderr ?? "").trim().split("\n").slice(-30).join("\n");
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${r.status}): ${r.error?.message ?? err}`,
    );
  }
  return r.stdout;
}

/** What one build took, in seconds. */
export interface BuildReport {
  name: BackendName;
  version: string;
  built: boolean;
  seconds: number;
}

/**
 * Builds `name` at its pinned version unless the cache already has it. Synchronous on purpose:
 * a build is a few minutes of `go build`, with nothing else to do meanwhile.
 */
export function installBackend(name: BackendName, log = console.error): BuildReport {
  const { module, version, pkg, tags } = BACKENDS[name];
  if (isBuilt(name)) return { name, version, built: false, seconds: 0 };
  const goVersion = requireGo();
  const started = Date.now();
  const procs = process.env.LANGCHAIN_OTEL_BACKENDS_GO_PROCS;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The module's own go.mod decides (replace directives included); its go.work lists folders
    // that module zips leave out, and its vendor/ folder is not in the zip either.
    GOWORK: "off",
    GOFLAGS: "-mod=mod",
    ...(procs ? { GOMAXPROCS: procs } : {}),
  };
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const scratch = mkdtempSync(join(root, `.build-${name}-`));
  try {
    log(`[backends] ${name} ${version}: go mod download ${module}@${version} (${goVersion})`);
    const info = JSON.parse(
      run(goCommand(), ["mod", "download", "-json", `${module}@${version}`], { cwd: scratch, env }),
    ) as { Dir?: string; Error?: string };
    if (!info.Dir)
      throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no Dir"}`);
    const src = join(scratch, "src");
    cpSync(info.Dir, src, { recursive: true });
    makeWritable(src); // the module cache is read-only; -mod=mod may update go.sum
    log(`[backends] ${name} ${version}: go build ${pkg} (a few minutes on a cold cache)`);
    const dir = join(root, `${name}-${version}`);
    mkdirSync(dir, { recursive: true });
    const tmpBinary = join(dir, `${name}.partial`);
    const args = ["build", "-trimpath", ...(procs ? ["-p", procs] : [])];
    if (tags.length) args.push("-tags", tags.join(","));
    args.push("-o", tmpBinary, pkg);
    run(goCommand(), args, { cwd: src, env });
    renameSync(tmpBinary, join(dir, name));
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(
      join(dir, STAMP),
      JSON.stringify(
        { module, version, pkg, tags, go: goVersion, seconds, builtAt: new Date() },
        null,
        2,
      ),
    );
    log(`[backends] ${name} ${version}: built in ${seconds} s -> ${join(dir, name)}`);
    return { name, version, built: true, seconds };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

/** Builds each of `names` (default: all) missing from the cache, one after the other. */
export function installBackends(
  names: readonly BackendName[] = BACKEND_NAMES,
  log = console.error,
): BuildReport[] {
  requireGo();
  return names.map((name) => installBackend(name, log));
}

// ---------------------------------------------------------------------------------------------
// Running

/** A free TCP port on 127.0.0.1 (or `preferred` when it is free). */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        const got = typeof address === "object" && address ? address.port : undefined;
        server.close(() => resolve(got));
      });
    });
  if (preferred) {
    const got = await tryPort(preferred);
    if (got) return got;
  }
  const got = await tryPort(0);
  if (!got) throw new Error("no free port on 127.0.0.1");
  return got;
}

/** A started backend. */
export interface RunningBackend {
  readonly name: BackendName;
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** OTLP/HTTP URL our exporters post to (signal path included). */
  readonly otlpUrl: string;
  /** Ports it listens on, by role. */
  readonly ports: Record<string, number>;
  readonly dataDir: string;
  /** Its stdout and stderr go here. */
  readonly logFile: string;
  /** Stops it (SIGTERM, then SIGKILL after 10 s); resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Data directory (created if missing). Default: a new temporary directory. */
  dataDir?: string;
  /** Ports to use instead of free ones (restarting on the same ports keeps clients working). */
  ports?: Record<string, number>;
  /** Prefer these ports when they are free (the local stack uses the usual ones). */
  preferredPorts?: Record<string, number>;
  readyTimeoutMs?: number;
  /** Prometheus only: its configuration file (default: {@link PROMETHEUS_CONFIG}). */
  configFile?: string;
  /** Prometheus only: start it with `--web.enable-otlp-receiver` (default true). */
  otlpReceiver?: boolean;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a caller forgot stop(): the wrapper's stdin closes with us anyway (see spawnGuarded).
  process.on("exit", () => {
    for (const child of running) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  });
}

/**
 * Spawns `binary` under a small bash guard that stops it when our stdin pipe closes, so a test
 * runner killed with SIGKILL cannot leave a backend running.
 */
function spawnGuarded(binary: string, args: string[], logFile: string, cwd: string): ChildProcess {
  const guard =
    'exec 3<&0; "$@" </dev/null & child=$!; ' +
    '{ cat <&3 >/dev/null; kill -TERM "$child" 2>/dev/null; } & ' +
    'wait "$child"; exit $?';
  const fd = openSync(logFile, "a");
  try {
    const child = spawn("bash", ["-c", guard, "backend", binary, ...args], {
      cwd,
      stdio: ["pipe", fd, fd],
      detached: true, // own process group, so stop() can kill the guard and the backend together
    });
    running.add(child);
    installExitHook();
    child.on("exit", () => running.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

async function waitReady(
  name: string,
  child: ChildProcess,
  urls: string[],
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited during start (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`,
      );
    }
    for (const url of [...pending]) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status < 500) pending.delete(url);
      } catch {}
    }
    if (!pending.size) break;
    if (Date.now() > deadline) {
      await stopper(child)(); // not left running after a failed start
      throw new Error(
        `${name} not ready after ${timeoutMs} ms (${[...pending].join(", ")}):\n${tail(logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      // The guard sends SIGTERM to the backend and exits with it (a signal to the guard itself
      // would end the guard first and resolve this too early).
      child.stdin?.end();
    });
    return stopping;
  };
}

async function ports(roles: string[], opts: StartOptions): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const role of roles)
    out[role] = opts.ports?.[role] ?? (await freePort(opts.preferredPorts?.[role]));
  return out;
}

function prepare(
  name: BackendName,
  opts: StartOptions,
): { binary: string; dataDir: string; logFile: string } {
  const binary = binaryPath(name);
  if (!isBuilt(name)) {
    throw new Error(
      `${name} ${BACKENDS[name].version} is not built: run \`npx tsx scripts/backends.ts install\` (needs Go).`,
    );
  }
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `lcotel-${name}-`));
  mkdirSync(dataDir, { recursive: true });
  return { binary, dataDir, logFile: join(dataDir, `${name}.log`) };
}

/**
 * A free port found by {@link freePort} can be taken by another process before the backend binds
 * it (other test suites run on this machine too): start again on new free ports, twice at most.
 * Ports given by the caller are never changed.
 */
async function retryOnPortClash(
  opts: StartOptions,
  start: (opts: StartOptions) => Promise<RunningBackend>,
): Promise<RunningBackend> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(opts);
    } catch (err) {
      const clash = /address already in use/.test(String((err as Error)?.message));
      if (!clash || opts.ports || attempt === 3) throw err;
    }
  }
}

/** examples/grafana/prometheus.yaml: the Prometheus configuration the Compose example uses. */
export const PROMETHEUS_CONFIG = fileURLToPath(
  new URL("../examples/grafana/prometheus.yaml", import.meta.url),
);

/** Prometheus 3 with the OTLP receiver (`/api/v1/otlp/v1/metrics`), cumulative temporality. */
export function startPrometheus(opts: StartOptions = {}): Promise<RunningBackend> {
  return retryOnPortClash(opts, startPrometheusOnce);
}

async function startPrometheusOnce(opts: StartOptions): Promise<RunningBackend> {
  const { binary, dataDir, logFile } = prepare("prometheus", opts);
  const p = await ports(["http"], opts);
  // The Compose example's own Prometheus configuration (OTLP resource-attribute promotion, the
  // out-of-order window), so the example and the queries are checked against the same server.
  const config = join(dataDir, "prometheus.yml");
  cpSync(opts.configFile ?? PROMETHEUS_CONFIG, config);
  const url = `http://127.0.0.1:${p.http}`;
  const child = spawnGuarded(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dataDir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${p.http}`,
      ...(opts.otlpReceiver === false ? [] : ["--web.enable-otlp-receiver"]),
      "--log.level=warn",
    ],
    logFile,
    dataDir,
  );
  await waitReady("prometheus", child, [`${url}/-/ready`], opts.readyTimeoutMs ?? 60_000, logFile);
  return {
    name: "prometheus",
    url,
    otlpUrl: `${url}/api/v1/otlp/v1/metrics`,
    ports: p,
    dataDir,
    logFile,
    stop: stopper(child),
  };
}

/**
 * Jaeger 2: OTLP/HTTP receiver, in-memory storage, query API. The tenant header the traces carry
 * (`X-Scope-OrgID`) is copied onto every span as the attribute `tenant` (attributes processor,
 * `from_context`), so a test can see which headers reached the traces backend.
 */
export function startJaeger(opts: StartOptions = {}): Promise<RunningBackend> {
  return retryOnPortClash(opts, startJaegerOnce);
}

async function startJaegerOnce(opts: StartOptions): Promise<RunningBackend> {
  const { binary, dataDir, logFile } = prepare("jaeger", opts);
  const p = await ports(["otlp", "query", "queryGrpc"], opts);
  const config = join(dataDir, "jaeger.yaml");
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [attributes/tenant, batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${p.query}
    grpc:
      endpoint: 127.0.0.1:${p.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlp}
        include_metadata: true
processors:
  attributes/tenant:
    actions:
      - key: tenant
        from_context: metadata.x-scope-orgid
        action: upsert
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const url = `http://127.0.0.1:${p.query}`;
  const child = spawnGuarded(binary, [`--config=${config}`], logFile, dataDir);
  await waitReady(
    "jaeger",
    child,
    [`${url}/api/services`, `http://127.0.0.1:${p.otlp}/v1/traces`],
    opts.readyTimeoutMs ?? 60_000,
    logFile,
  );
  return {
    name: "jaeger",
    url,
    otlpUrl: `http://127.0.0.1:${p.otlp}/v1/traces`,
    ports: p,
    dataDir,
    logFile,
    stop: stopper(child),
  };
}

/** VictoriaLogs: OTLP logs at `/insert/opentelemetry/v1/logs`, LogsQL at `/select/logsql/query`. */
export function startVictoriaLogs(opts: StartOptions = {}): Promise<RunningBackend> {
  return retryOnPortClash(opts, startVictoriaLogsOnce);
}

async function startVictoriaLogsOnce(opts: StartOptions): Promise<RunningBackend> {
  const { binary, dataDir, logFile } = prepare("victorialogs", opts);
  const p = await ports(["http"], opts);
  const url = `http://127.0.0.1:${p.http}`;
  const child = spawnGuarded(
    binary,
    [
      `-httpListenAddr=127.0.0.1:${p.http}`,
      `-storageDataPath=${join(dataDir, "data")}`,
      "-retentionPeriod=100y", // records carry their own timestamps; keep every one
      "-loggerLevel=WARN",
    ],
    logFile,
    dataDir,
  );
  await waitReady("victorialogs", child, [`${url}/health`], opts.readyTimeoutMs ?? 60_000, logFile);
  return {
    name: "victorialogs",
    url,
    otlpUrl: `${url}/insert/opentelemetry/v1/logs`,
    ports: p,
    dataDir,
    logFile,
    stop: stopper(child),
  };
}

export const START = {
  prometheus: startPrometheus,
  jaeger: startJaeger,
  victorialogs: startVictoriaLogs,
} as const;

/** The three backends together. */
export interface Stack {
  prometheus: RunningBackend;
  jaeger: RunningBackend;
  victorialogs: RunningBackend;
  stop(): Promise<void>;
}

/** Starts the three backends (in parallel), each with its own data directory. */
export async function startStack(
  opts: { preferredPorts?: Partial<Record<BackendName, Record<string, number>>> } = {},
): Promise<Stack> {
  const results = await Promise.allSettled(
    BACKEND_NAMES.map((name) => START[name]({ preferredPorts: opts.preferredPorts?.[name] })),
  );
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((b) => b.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [prometheus, jaeger, victorialogs] = started;
  return {
    prometheus,
    jaeger,
    victorialogs,
    stop: async () => {
      await Promise.all(started.map((b) => b.stop()));
      for (const b of started) rmSync(b.dataDir, { recursive: true, force: true });
    },
  };
}

/** The `OTEL_*` variables that send `npm run demo` (or any app) to the stack, as shell lines. */
export function stackEnv(stack: Stack): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: stack.jaeger.otlpUrl,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: stack.prometheus.otlpUrl,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: stack.victorialogs.otlpUrl,
    // Prometheus reads the last point of a series: export often so a short demo shows up.
    OTEL_METRIC_EXPORT_INTERVAL: "5000",
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

async function main(argv: string[]): Promise<number> {
  const [command = "install", ...rest] = argv;
  if (command === "install") {
    const unknown = rest.filter((n) => !(n in BACKENDS));
    if (unknown.length)
      throw new Error(`unknown backend ${unknown.join(", ")}: ${BACKEND_NAMES.join(", ")}`);
    const started = Date.now();
    const reports = installBackends(rest.length ? (rest as BackendName[]) : BACKEND_NAMES);
    for (const r of reports) {
      console.error(
        `[backends] ${r.name} ${r.version}: ${r.built ? `built in ${r.seconds} s` : "cached"} (${binaryPath(r.name)})`,
      );
    }
    console.error(`[backends] install took ${Math.round((Date.now() - started) / 1000)} s`);
    return 0;
  }
  if (command === "paths") {
    for (const name of BACKEND_NAMES) {
      console.log(
        `${name}\t${BACKENDS[name].version}\t${binaryPath(name)}\t${isBuilt(name) ? "built" : "missing"}`,
      );
    }
    return 0;
  }
  if (command === "stack") {
    installBackends();
    const stack = await startStack({
      preferredPorts: {
        prometheus: { http: 9090 },
        jaeger: { otlp: 4318, query: 16686, queryGrpc: 16685 },
        victorialogs: { http: 9428 },
      },
    });
    const env = stackEnv(stack);
    console.log("# Local backends are running (Ctrl-C stops them and deletes their data).");
    console.log(`# Jaeger UI/API:  ${stack.jaeger.url}  (e.g. ${stack.jaeger.url}/api/services)`);
    console.log(`# Prometheus:     ${stack.prometheus.url}  (PromQL at /api/v1/query)`);
    console.log(
      `# VictoriaLogs:   ${stack.victorialogs.url}  (LogsQL at /select/logsql/query, UI at /select/vmui)`,
    );
    console.log("# In another shell, paste these lines, then run: npm run demo");
    for (const [k, v] of Object.entries(env)) console.log(`export ${k}=${v}`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await stack.stop();
    return 0;
  }
  console.error(`unknown command ${command}: use install, stack or paths`);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[backends] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
