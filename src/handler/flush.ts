import { diag } from "@opentelemetry/api";
import { PACKAGE_NAME } from "../util/package.js";

/**
 * Flushes each provider that can be flushed (through the global proxies to their delegates);
 * a failing flush is a warning, never an error for the caller.
 */
export async function flushProviders(providers: readonly unknown[]): Promise<void> {
  await Promise.all(
    providers.map(async (p) => {
      const target = (p as { getDelegate?: () => unknown })?.getDelegate?.() ?? p;
      const flush = (target as { forceFlush?: () => Promise<void> } | undefined)?.forceFlush;
      if (typeof flush === "function") {
        try {
          await flush.call(target);
        } catch (e) {
          diag.warn(`${PACKAGE_NAME}: forceFlush failed: ${String(e)}`);
        }
      }
    }),
  );
}
