import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^langchain-opentelemetry\/setup$/,
        replacement: fileURLToPath(new URL("./src/setup/index.ts", import.meta.url)),
      },
      {
        find: /^langchain-opentelemetry$/,
        replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)),
      },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The real-backends tier runs on its own: npm run test:backends (vitest.backends.config.ts).
    exclude: ["test/backends/**", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
