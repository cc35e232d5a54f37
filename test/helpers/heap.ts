/**
 * Heap measurement for the leak checks: `gc` made callable in this process (vitest's forks do not
 * run with `--expose-gc`), and the heap used after collecting twice.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** `process.memoryUsage().heapUsed` after two full collections (the second frees what finalizers released). */
export function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
