/**
 * `process.env` for tests: a snapshot to put back after a test that sets variables, and the
 * environment without any `OTEL_*` variable, so a developer's own collector settings cannot change
 * what a test sees.
 */

/** Copies `process.env` now; the returned function puts that copy back (removing keys added since). */
export function snapshotEnv(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}

/** Deletes every `OTEL_*` variable from `process.env`. */
export function clearOtelEnv(): void {
  for (const key of Object.keys(process.env)) if (key.startsWith("OTEL_")) delete process.env[key];
}

/** A copy of `process.env` without any `OTEL_*` variable, plus `extra` (for child processes). */
export function envWithoutOtel(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OTEL_")) env[k] = v;
  return { ...env, ...extra };
}
