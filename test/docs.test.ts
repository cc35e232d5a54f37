/**
 * API reference (issue 6): typedoc validates the TSDoc of the public API (src/index.ts, src/setup/index.ts) with the
 * project's typedoc.json (warnings are errors: broken `{@link}`s, public types that reference
 * something not exported). `--emit none` validates without writing docs/api/.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

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
