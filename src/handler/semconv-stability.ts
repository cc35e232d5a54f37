/**
 * Which GenAI conventions the handler emits, resolved once at construction: the `genAiSemconv`
 * option, else `OTEL_SEMCONV_STABILITY_OPT_IN`. The conventions' transition plan (v1.41.0, which
 * the standalone GenAI conventions keep without a value of their own) says an instrumentation
 * keeps emitting the version it emitted by default and emits the latest one, and only that, for
 * `gen_ai_latest_experimental`. Emitting both, for migrations, is ours:
 * `gen_ai_latest_experimental/dup`, after the `http/dup` and `database/dup` values of the HTTP and
 * database transitions.
 */
import { diag } from "@opentelemetry/api";
import { PACKAGE_NAME } from "../util/package.js";

/**
 * `v1.41`: the GenAI conventions v1.41.0 (the default). `latest`: the latest standalone GenAI
 * conventions instead. `dual`: both, each signal under both names where they differ.
 */
export type GenAiSemconv = "v1.41" | "latest" | "dual";

export const SEMCONV_OPT_IN_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN";
/** The conventions' value: the latest GenAI conventions, not the old ones. */
export const GEN_AI_LATEST = "gen_ai_latest_experimental";
/** Ours (see above): both. */
export const GEN_AI_LATEST_DUP = "gen_ai_latest_experimental/dup";

/** What to emit: `v141` the v1.41.0 names, `latest` the latest ones (both in dual mode). */
export interface SemconvMode {
  readonly name: GenAiSemconv;
  readonly v141: boolean;
  readonly latest: boolean;
}

const MODES: Record<GenAiSemconv, SemconvMode> = {
  "v1.41": Object.freeze({ name: "v1.41", v141: true, latest: false }),
  latest: Object.freeze({ name: "latest", v141: false, latest: true }),
  dual: Object.freeze({ name: "dual", v141: true, latest: true }),
};

/**
 * The mode `OTEL_SEMCONV_STABILITY_OPT_IN` asks for: a comma-separated list (spaces and case
 * ignored, other categories' values such as `http` ignored); `/dup` wins when both GenAI values
 * are listed, as for HTTP. `v1.41` when unset or unreadable.
 */
export function semconvFromEnv(value = readEnv()): GenAiSemconv {
  if (!value) return "v1.41";
  const values = value.split(",").map((v) => v.trim().toLowerCase());
  if (values.includes(GEN_AI_LATEST_DUP)) return "dual";
  if (values.includes(GEN_AI_LATEST)) return "latest";
  return "v1.41";
}

function readEnv(): string | undefined {
  try {
    return process.env[SEMCONV_OPT_IN_ENV];
  } catch {
    return undefined;
  }
}

/**
 * The option when it is one of the three values, else (unset, or a typo: warned once) the
 * environment's.
 */
export function resolveSemconvMode(option: unknown): SemconvMode {
  if (option === "v1.41" || option === "latest" || option === "dual") return MODES[option];
  if (option !== undefined)
    diag.warn(
      `${PACKAGE_NAME}: genAiSemconv must be "v1.41", "latest" or "dual"; ignored, ` +
        `using ${SEMCONV_OPT_IN_ENV}`,
    );
  return MODES[semconvFromEnv()];
}
