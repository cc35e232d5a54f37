/**
 * Import time of the package's entries as an app sees them: the built `dist/` (tsup, into
 * `bench/node_modules/.ours/pkg/`, where bare imports resolve to the bench's packages), imported
 * in a fresh Node process each time; the median of several processes. `@langchain/core`'s
 * callback base, which the root entry needs anyway, is the floor.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./stats.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoDir = join(benchDir, "..");
const PKG_DIR = join(benchDir, "node_modules", ".ours", "pkg");

export interface ImportTimes {
  /** Median milliseconds per specifier (`langchain-opentelemetry`, `.../setup`, the floor). */
  medians: { label: string; ms: number }[];
  runs: number;
}

function importOnce(url: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: PKG_DIR,
    encoding: "utf8",
  });
  return Number(out);
}

/** Builds dist/ into the bench's scratch package and times a fresh import of each entry. */
export function measureImportTimes(runs = 7): ImportTimes {
  mkdirSync(PKG_DIR, { recursive: true });
  execFileSync(
    join(repoDir, "node_modules", ".bin", "tsup"),
    ["--out-dir", join(PKG_DIR, "dist")],
    {
      cwd: repoDir,
      stdio: "ignore",
    },
  );
  copyFileSync(join(repoDir, "package.json"), join(PKG_DIR, "package.json"));
  const targets = [
    {
      label: "`langchain-opentelemetry` (handler, global attach, annotations)",
      url: join(PKG_DIR, "dist", "index.js"),
    },
    {
      label: "`langchain-opentelemetry/setup` (the bundled SDK)",
      url: join(PKG_DIR, "dist", "setup.js"),
    },
    {
      label: "`@langchain/core/callbacks/base` alone (floor)",
      url: "@langchain/core/callbacks/base",
    },
  ];
  const medians = targets.map(({ label, url }) => {
    const spec = url.startsWith("/") ? pathToFileURL(url).href : url;
    const samples = Array.from({ length: runs }, () => importOnce(spec));
    return { label, ms: median(samples) };
  });
  return { medians, runs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = measureImportTimes(Number(process.argv[2] ?? 7));
  for (const m of r.medians) process.stdout.write(`${m.ms.toFixed(1)} ms  ${m.label}\n`);
}
