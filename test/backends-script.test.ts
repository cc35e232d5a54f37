/**
 * scripts/backends.ts without building anything (the builds themselves run in `npm run
 * test:backends`): it fails clearly when Go is missing, keeps its cache outside the repository,
 * one folder per pinned version, and counts a backend as built only when that version's stamp
 * and binary are both there.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BACKENDS, binaryPath, cacheRoot } from "../scripts/backends.js";
import { repoRoot } from "./helpers/example-runner.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function script(args: string[], env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/backends.ts", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "lcotel-backends-test-"));
  dirs.push(d);
  return d;
}

describe("scripts/backends.ts", () => {
  it("install fails with exit 1 and says what is missing when Go is not there (no silent skip)", () => {
    const cache = tempDir();
    const r = script(["install"], {
      LANGCHAIN_OTEL_BACKENDS_DIR: cache,
      GO: undefined,
      PATH: dirname(process.execPath), // node only
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[backends] Go was not found");
    expect(r.stderr).toContain("needs Go 1.26 or newer on PATH (or its path in $GO)");
    expect(readdirSync(cache)).toEqual([]);
  });

  it("install names a wrong $GO the same way", () => {
    const r = script(["install"], {
      LANGCHAIN_OTEL_BACKENDS_DIR: tempDir(),
      GO: "/nonexistent/bin/go",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Go was not found (/nonexistent/bin/go:");
  });

  it("caches under $XDG_CACHE_HOME/langchain-opentelemetry/backends/<name>-<version>, outside the repository", () => {
    const xdg = tempDir();
    const env = { XDG_CACHE_HOME: xdg, LANGCHAIN_OTEL_BACKENDS_DIR: undefined };
    const r = script(["paths"], env);
    expect(r.code).toBe(0);
    const root = join(xdg, "langchain-opentelemetry", "backends");
    expect(r.stdout.trim().split("\n")).toEqual(
      Object.entries(BACKENDS).map(
        ([name, b]) =>
          `${name}\t${b.version}\t${join(root, `${name}-${b.version}`, name)}\tmissing`,
      ),
    );
    expect(cacheRoot({ XDG_CACHE_HOME: xdg })).toBe(root);
    expect(binaryPath("jaeger").startsWith(repoRoot)).toBe(false);
  });

  it("counts a backend as built only with the binary and a stamp of the pinned version", () => {
    const cache = tempDir();
    const { module, version } = BACKENDS.victorialogs;
    const dir = join(cache, `victorialogs-${version}`);
    mkdirSync(dir, { recursive: true });
    const status = () =>
      script(["paths"], { LANGCHAIN_OTEL_BACKENDS_DIR: cache })
        .stdout.split("\n")
        .find((l) => l.startsWith("victorialogs\t"))
        ?.split("\t")[3];

    writeFileSync(join(dir, "victorialogs"), "");
    expect(status()).toBe("missing"); // no stamp: an interrupted build
    writeFileSync(join(dir, "build-info.json"), JSON.stringify({ module, version: "v1.0.0" }));
    expect(status()).toBe("missing"); // another version's stamp
    writeFileSync(join(dir, "build-info.json"), JSON.stringify({ module, version }));
    expect(status()).toBe("built");
    rmSync(join(dir, "victorialogs"));
    expect(status()).toBe("missing");
    expect(existsSync(dir)).toBe(true);
  });
});
