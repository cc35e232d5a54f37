/**
 * Leak check for one contestant, in its own process (started by run.ts with --expose-gc):
 * warm up, then N sequential plain invokes twice, heap measured after a forced GC before, between
 * and after. Prints one JSON line. Usage: `node --expose-gc --import tsx bench/leak.ts <id> <N>`.
 */
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { buildSoleContestant, CONTESTANT_IDS, type ContestantId } from "./contestants.js";
import { buildChain, invokeOnce } from "./workloads.js";

export interface LeakResult {
  id: string;
  n: number;
  heapAfterWarmup: number;
  heapAtN: number;
  heapAt2N: number;
  /** Growth over the second N invokes, bytes. */
  growth: number;
  openRuns?: number;
  error?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(flush: () => Promise<void>): Promise<number> {
  await awaitAllCallbacks();
  await flush();
  // Let timers/microtasks that release references run, then collect twice (weak refs, finalizers).
  await new Promise((r) => setTimeout(r, 20));
  gc!();
  await new Promise((r) => setTimeout(r, 0));
  gc!();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const id = process.argv[2] as ContestantId;
  const n = Number(process.argv[3] ?? 10_000);
  if (!CONTESTANT_IDS.includes(id)) throw new Error(`unknown contestant ${id}`);
  if (gc === undefined) throw new Error("run with --expose-gc");
  const { telemetry, contestant: c } = await buildSoleContestant(id);
  const chain = buildChain();
  c.enter?.();
  try {
    for (let i = 0; i < 1000; i++) await invokeOnce(chain, c.callbacks);
    const heapAfterWarmup = await settledHeap(telemetry.flush);
    for (let i = 0; i < n; i++) await invokeOnce(chain, c.callbacks);
    const heapAtN = await settledHeap(telemetry.flush);
    for (let i = 0; i < n; i++) await invokeOnce(chain, c.callbacks);
    const heapAt2N = await settledHeap(telemetry.flush);
    const result: LeakResult = {
      id,
      n,
      heapAfterWarmup,
      heapAtN,
      heapAt2N,
      growth: heapAt2N - heapAtN,
      openRuns: c.ours?.openRunCount,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    c.exit?.();
  }
  await c.ours?.shutdown?.();
  await telemetry.shutdown();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stdout.write(
    `${JSON.stringify({ id: process.argv[2], error: String((err as Error)?.message ?? err) })}\n`,
  );
  process.exit(1);
});
