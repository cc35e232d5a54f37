import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", setup: "src/setup/index.ts", cli: "src/setup/cli.ts" },
  // The setup entry and the CLI reach the core through the package's own name: left external, so
  // an app that imports both entries has one handler class and one set of context keys.
  external: ["langchain-opentelemetry"],
  format: ["esm", "cjs"],
  dts: true,
  // No source maps in the package: the bundled SDK would make them over 1 MB each.
  sourcemap: false,
  clean: true,
  target: "node20",
  splitting: false,
  esbuildOptions(options, ctx) {
    // Packages that are not dependencies/peerDependencies get bundled; bundled CommonJS code
    // (the OpenTelemetry SDK) calls require("@opentelemetry/api"), which an ES module does not
    // have ("Dynamic require ... is not supported"). Give the ESM build a real require that
    // resolves from the installed package, so externals stay the app's own copies.
    if (ctx.format === "esm") {
      options.banner = {
        js: 'import { createRequire as __lcoCreateRequire } from "node:module";\nconst require = __lcoCreateRequire(import.meta.url);',
      };
    }
  },
});
