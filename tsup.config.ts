import { fileURLToPath } from "node:url";
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
  esbuildPlugins: [
    {
      // The CommonJS build loads LangChain's context modules with require (no top-level await).
      name: "langchain-context-cjs",
      setup(build) {
        if (build.initialOptions.format !== "cjs") return;
        build.onResolve({ filter: /\/langchain-context\.js$/ }, () => ({
          path: fileURLToPath(new URL("./src/util/langchain-context.cjs.ts", import.meta.url)),
        }));
      },
    },
  ],
  esbuildOptions(options, ctx) {
    // Which build this is (run-scope/install.ts: which copy of @langchain/core is our own).
    options.define = { ...options.define, __LCO_FORMAT__: JSON.stringify(ctx.format) };
    // Packages that are not dependencies/peerDependencies get bundled; bundled CommonJS code
    // (the OpenTelemetry SDK) calls require("@opentelemetry/api"), which an ES module does not
    // have ("Dynamic require ... is not supported"). Give the ESM build a real require that
    // resolves from the installed package, so externals stay the app's own copies.
    // The CommonJS build has no import.meta: src/util/load.ts sees it empty and uses require.
    if (ctx.format === "cjs") options.logOverride = { "empty-import-meta": "silent" };
    if (ctx.format === "esm") {
      options.banner = {
        js: 'import { createRequire as __lcoCreateRequire } from "node:module";\nconst require = __lcoCreateRequire(import.meta.url);',
      };
    }
  },
});
