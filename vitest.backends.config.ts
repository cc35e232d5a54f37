import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * `npm run test:backends`: the tests against real Prometheus, Jaeger and VictoriaLogs, built from
 * their Go modules by scripts/backends.ts (cached outside the repository) and started once for the
 * whole run by test/backends/global-setup.ts. Not part of the default `vitest run`.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/backends/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    globalSetup: ["test/backends/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // One file at a time: the backends and the 2 cores are shared.
    fileParallelism: false,
  },
});
