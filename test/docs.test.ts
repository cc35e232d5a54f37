/**
 * The docs stay true.
 * - API reference (issue 6): typedoc validates the TSDoc of the public API (src/index.ts,
 *   src/setup/index.ts) with the project's typedoc.json (warnings are errors: broken `{@link}`s,
 *   public types that reference something not exported). `--emit none` validates without writing
 *   docs/api/.
 * - The README is read on npm (issue 14): under 450 lines, every link absolute (or an anchor of the
 *   README itself), every link into the repository pointing at a file (and heading) that exists,
 *   every docs/ page linked, nothing that exists only in a clone (`npm run`, `examples/` paths).
 * - The reference pages in docs/ list exactly what the code has: every setupTelemetry option,
 *   per-signal option, handler option, environment variable read, metric; and every example query
 *   filters on the service name of the configuration shown next to it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_SIGNAL, KNOWN_TOP_LEVEL } from "../src/setup/config-code.js";
import * as S from "../src/semconv.js";

const root = join(import.meta.dirname, "..");
const REPO = "https://github.com/langchain-opentelemetry/langchain-opentelemetry";
const read = (file: string) => readFileSync(join(root, file), "utf8");
const readme = read("README.md");
const pages = readdirSync(join(root, "docs"))
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .map((f) => `docs/${f}`);

/** Markdown text outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's anchors of a page's headings. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} (.*)$/gm)) {
    const base = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every link target of a page (outside code). */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** Checks one link of `page`: an anchor of the page itself, or absolute; into the repo: the file (and heading) exists. */
function checkLink(page: string, target: string): string | undefined {
  if (target.startsWith("#"))
    return anchors(read(page)).has(target.slice(1))
      ? undefined
      : `${page}: no heading for ${target}`;
  if (!/^https?:\/\//.test(target))
    return `${page}: relative link ${target} (does not resolve on npm)`;
  const inRepo =
    /^https:\/\/github\.com\/langchain-opentelemetry\/langchain-opentelemetry\/(?:blob|tree)\/main\/([^#]*)(?:#(.*))?$/.exec(
      target,
    );
  if (!inRepo) return undefined;
  const [, path, anchor] = inRepo;
  if (!existsSync(join(root, path))) return `${page}: ${target} points at a missing file`;
  if (anchor && path.endsWith(".md") && !anchors(read(path)).has(anchor))
    return `${page}: ${target} points at a missing heading`;
  return undefined;
}

describe("typedoc API reference", () => {
  it("is configured to fail on warnings (broken links, missing exports)", () => {
    const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config.entryPoints).toEqual(["src/index.ts", "src/setup/index.ts"]);
    expect(config.out).toBe("docs/api");
    expect(config.treatWarningsAsErrors).toBe(true);
  });

  it("validates the TSDoc of the public API without a warning", () => {
    const bin = join(root, "node_modules", "typedoc", "bin", "typedoc");
    const result = spawnSync(process.execPath, [bin, "--emit", "none"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toMatch(/\[(warning|error)\]/);
    expect(result.status).toBe(0);
  }, 90_000);
});

describe("the README, as read on npm", () => {
  it("is a guide of under 450 lines", () => {
    expect(readme.split("\n").length).toBeLessThan(450);
  });

  it("every link works from the npm page: absolute, into files and headings that exist", () => {
    const problems = [...links(readme).map((t) => checkLink("README.md", t))].filter(Boolean);
    expect(problems).toEqual([]);
  });

  it("links every reference page in docs/", () => {
    for (const page of pages) expect(readme, page).toContain(`${REPO}/blob/main/${page}`);
  });

  it("shows no command that exists only in a clone of the repository", () => {
    expect(prose(readme)).not.toMatch(/npm run (demo|bench|test)\b/);
    expect(readme).not.toMatch(/npx tsx examples\//);
    expect(readme).not.toMatch(/```(sh|bash)\n[^`]*npm run demo/);
  });

  it("package.json names the repository, homepage and issue tracker the links use", () => {
    const pkg = JSON.parse(read("package.json")) as Record<string, any>;
    expect(pkg.repository).toEqual({ type: "git", url: `git+${REPO}.git` });
    expect(pkg.homepage).toBe(`${REPO}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPO}/issues` });
  });

  it("the example queries filter on the service name of the configuration shown", () => {
    const serviceName = /serviceName: "([^"]+)",\n\s+traces:/.exec(readme)?.[1];
    expect(serviceName).toBe("root_cause_analysis");
    for (const file of ["README.md", "docs/grafana.md"]) {
      const text = read(file);
      const services = [...text.matchAll(/(?:service_name|job)="([^"]+)"/g)].map((m) => m[1]);
      expect(services.length, file).toBeGreaterThan(0);
      expect(new Set(services), file).toEqual(new Set([serviceName]));
    }
  });
});

describe("the reference pages in docs/", () => {
  it("link absolutely, into files and headings that exist", () => {
    const problems = pages.flatMap((page) => links(read(page)).map((t) => checkLink(page, t)));
    expect(problems.filter(Boolean)).toEqual([]);
  });

  /** The first column of the markdown tables of `markdown`, backticks removed. */
  const firstColumn = (markdown: string): string[] =>
    [...markdown.matchAll(/^\| `([^`|]+)`(?:, `([^`|]+)`)* \|/gm)].flatMap((m) =>
      m[0]
        .split("|")[1]
        .split(",")
        .map((c) => c.trim().replace(/`/g, "")),
    );

  it("the configuration page lists every setupTelemetry option and per-signal option, and nothing else", () => {
    const config = read("docs/configuration.md");
    const setup = config.slice(config.indexOf("setupTelemetry(options?)"));
    const options = firstColumn(setup.slice(0, setup.indexOf("Per-signal options")));
    expect(new Set(options)).toEqual(new Set(KNOWN_TOP_LEVEL));
    const perSignal = setup.slice(setup.indexOf("Per-signal options"));
    const signalOptions = firstColumn(perSignal.slice(0, perSignal.indexOf("It returns a handle")));
    expect(new Set(signalOptions)).toEqual(new Set(KNOWN_SIGNAL));
  });

  it("the configuration page lists every handler option", () => {
    const source = read("src/handler/options.ts");
    const body = source.slice(
      source.indexOf("export interface OpenTelemetryCallbackHandlerOptions"),
    );
    const names = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
    const config = read("docs/configuration.md");
    const section = config.slice(config.indexOf("new OpenTelemetryCallbackHandler(options?)"));
    // Its first table: the options (the methods' table follows).
    const table = /(?:^\|.*\n)+/m.exec(section)![0];
    expect(new Set(firstColumn(table))).toEqual(new Set(names));
  });

  it("the configuration page names every environment variable setup reads", () => {
    const config = read("docs/configuration.md");
    const sources = readdirSync(join(root, "src/setup"))
      .filter((f) => f.startsWith("config"))
      .map((f) => read(`src/setup/${f}`))
      .join("\n");
    const variables = new Set(
      [...sources.matchAll(/"((?:OTEL|LANGCHAIN_OPENTELEMETRY)_[A-Z_]+)"/g)].map((m) => m[1]),
    );
    expect(variables.size).toBeGreaterThan(5);
    for (const v of variables) expect(config, v).toContain(`\`${v}`);
  });

  it("the metrics page (and, for the latest conventions, the conventions page) names every metric", () => {
    const metrics = read("docs/metrics.md") + read("docs/semantic-conventions.md");
    const names = Object.entries(S)
      .filter(([k, v]) => k.startsWith("METRIC_") && typeof v === "string")
      .map(([, v]) => v as string);
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names) expect(metrics, name).toContain(`\`${name}\``);
  });
});
