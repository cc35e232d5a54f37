/**
 * `npx langchain-opentelemetry doctor` and {@link runDoctor}: resolves the same configuration as
 * `setupTelemetry()` (the environment, plus the options an app passes in code), checks each
 * enabled signal's endpoint with the official OpenTelemetry exporters and prints per signal the
 * final URL, the headers sent (values masked), the HTTP status and what to do about it. By
 * default the check is an empty OTLP export request (valid, stores nothing); a sample span,
 * metric point and log record are sent only with `sendSample` (`--send-sample`), and the report
 * says so. The exit code is non-zero when any signal fails.
 *
 * @packageDocumentation
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";
import {
  resolveTelemetryConfig,
  type ResolvedSignalConfig,
  type ResolvedTelemetryConfig,
  type SetupTelemetryOptions,
  type Signal,
} from "./config.js";
import { exportEmpty, exportSample, type ExportOutcome } from "./doctor-export.js";
import { hintsFor } from "./doctor-hints.js";
import { maskHeaders, redactText, redactUrl } from "../util/redact.js";

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** Environment to read the `OTEL_*` configuration from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * The options the app passes to `setupTelemetry()`: for an app configured in code, pass the
   * same object (`runDoctor({ options: telemetryOptions })`) and the doctor checks exactly that
   * configuration. They win over the environment, as in `setupTelemetry()`. The CLI fills them
   * from `--endpoint` or from the module given with `--options`.
   */
  options?: SetupTelemetryOptions;
  /** Receives each output line. Default: stdout (a closed stdout, as in `doctor | head`, ends the output quietly). */
  out?: (line: string) => void;
  /**
   * Upper bound for each export, retries included. Default: the configured timeout, at most
   * 5000 ms (`DEFAULT_DOCTOR_TIMEOUT_MILLIS`), so an unreachable endpoint does not hang the check.
   */
  timeoutMillis?: number;
  /**
   * Send one sample span ("langchain-opentelemetry doctor"), metric point
   * (`langchain_opentelemetry.doctor.checks`) and log record per signal, under the
   * configuration's `service.name`: they are stored in the backends. Default: `false`, an empty
   * export request per signal that stores nothing.
   */
  sendSample?: boolean;
}

/** The doctor waits at most this long per signal unless told otherwise. */
const DEFAULT_DOCTOR_TIMEOUT_MILLIS = 5_000;

/** Outcome of checking one signal. */
export interface SignalCheck {
  signal: Signal;
  /** `ok`: the receiver accepted the export; `skipped`: signal off, console or custom exporter. */
  outcome: "ok" | "failed" | "skipped";
  /** The URL posted to, redacted (userinfo and credential query values `***`, see `redactUrl`). Every printed line is redacted too. */
  url?: string;
  /** Header names with masked values, exactly the headers the exporter was given. */
  maskedHeaders: Record<string, string>;
  /** Last HTTP status seen for this signal's URL, if a response came back. */
  status?: number;
  statusText?: string;
  /** Error code or message when no response came back (`ECONNREFUSED`, TLS codes, timeout). */
  error?: string;
  /** Response body (first 200 characters) of a rejected export. */
  responseBody?: string;
  hints: string[];
}

/**
 * Runs the checks and prints the report.
 *
 * @returns the process exit code: 0 when every enabled OTLP signal was accepted (or nothing had
 * to be checked), 1 when any export failed, 2 when the configuration itself is invalid (an
 * invalid option, or an invalid environment value that setupTelemetry() would ignore).
 */
export async function runDoctor(opts: DoctorOptions = {}): Promise<number> {
  const write = opts.out ?? stdoutLines();
  const env = opts.env ?? process.env;
  let config: ResolvedTelemetryConfig;
  try {
    config = resolveTelemetryConfig(opts.options ?? {}, env);
  } catch (error) {
    write(`langchain-opentelemetry doctor`);
    write(`configuration error: ${redactText(errorMessage(error))}`);
    return 2;
  }
  // Every line is redacted: URLs anywhere in it (an error message, a response body) and every
  // configured header value, which a receiver may echo back.
  const secrets = [config.traces, config.metrics, config.logs].flatMap((c) =>
    Object.values(c.headers),
  );
  const out = (line: string): void => write(redactText(line, secrets));
  out(`langchain-opentelemetry doctor  (service.name=${config.serviceName})`);
  out(
    opts.sendSample
      ? `sending one sample span, metric point and log record per signal, as service.name=${config.serviceName}: they are stored in the backends`
      : "checking each endpoint with an empty export request: nothing is stored (--send-sample sends one sample span, metric point and log record instead)",
  );
  // What setupTelemetry() would warn about at startup (invalid values are ignored there too).
  for (const warning of config.warnings) out(`warning: ${warning}`);
  const checks = await withResponseRecorder((recorder) =>
    Promise.all(
      [config.traces, config.metrics, config.logs].map((signalConfig) =>
        checkSignal({ env, config, signalConfig, recorder, opts }),
      ),
    ),
  );
  for (const check of checks) printCheck(check, out);
  return verdict(config, checks, out);
}

/** The last line, and the exit code. */
function verdict(
  config: ResolvedTelemetryConfig,
  checks: readonly SignalCheck[],
  out: (line: string) => void,
): number {
  const failed = checks.filter((c) => c.outcome === "failed").map((c) => c.signal);
  out("");
  if (config.invalidEnvironment.length > 0) {
    out("invalid environment values: setupTelemetry() ignores them (see the warnings above)");
    return 2;
  }
  if (failed.length > 0) {
    out(
      `${failed.length} of ${checks.filter((c) => c.outcome !== "skipped").length} checked signals failed: ${failed.join(", ")}`,
    );
    return 1;
  }
  if (checks.every((c) => c.outcome === "skipped")) {
    out("nothing was sent: no signal exports over OTLP with this configuration");
  } else {
    out("all checked signals were accepted");
  }
  return 0;
}

/**
 * Lines to stdout. A reader that goes away (`doctor | head`) makes the next write fail with EPIPE,
 * emitted on `process.stdout`: without a listener that is an uncaught exception. The output then
 * ends quietly; the checks finish and the exit code stays theirs.
 */
function stdoutLines(): (line: string) => void {
  let closed = false;
  process.stdout.on("error", () => {
    closed = true;
  });
  return (line) => {
    if (closed) return;
    try {
      process.stdout.write(`${line}\n`);
    } catch {
      closed = true;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// One signal

interface CheckInput {
  env: NodeJS.ProcessEnv;
  config: ResolvedTelemetryConfig;
  signalConfig: ResolvedSignalConfig;
  recorder: ResponseRecorder;
  opts: DoctorOptions;
}

async function checkSignal(input: CheckInput): Promise<SignalCheck> {
  const { signalConfig, recorder, opts } = input;
  const base: SignalCheck = {
    signal: signalConfig.signal,
    outcome: "skipped",
    maskedHeaders: maskHeaders(signalConfig.headers),
    hints: [],
  };
  const skipped = skippedCheck(base, input.env, signalConfig);
  if (skipped !== undefined || signalConfig.url === undefined) return skipped ?? base;
  const url = signalConfig.url;
  const printedUrl = redactUrl(url);
  const timeoutMillis =
    opts.timeoutMillis ?? Math.min(signalConfig.timeoutMillis, DEFAULT_DOCTOR_TIMEOUT_MILLIS);
  const cfg = { ...signalConfig, timeoutMillis };
  let result: ExportOutcome;
  try {
    result = await (opts.sendSample ? exportSample(input.config, cfg) : exportEmpty(cfg));
  } catch (error) {
    const message = errorMessage(error);
    return { ...base, url: printedUrl, outcome: "failed", error: message, hints: [message] };
  }
  const response = recorder.last(url);
  const check: SignalCheck = {
    ...base,
    url: printedUrl,
    outcome: result.ok ? "ok" : "failed",
    status: response?.status ?? result.errorStatus,
    statusText: response?.statusText,
    responseBody: result.errorBody?.slice(0, 200),
  };
  if (!result.ok && check.status === undefined)
    check.error = result.errorCode ?? result.errorMessage;
  check.hints = result.ok ? [] : hintsFor(check, signalConfig);
  if (!result.ok && !opts.sendSample && check.status === 400) {
    check.hints.push(
      "the empty export request was rejected: a receiver may refuse an empty payload; --send-sample checks with one sample record",
    );
  }
  return check;
}

/** The check of a signal that is not exported over OTLP (off, console, custom exporter). */
function skippedCheck(
  base: SignalCheck,
  env: NodeJS.ProcessEnv,
  signalConfig: ResolvedSignalConfig,
): SignalCheck | undefined {
  const { signal } = signalConfig;
  if (!signalConfig.enabled) {
    return {
      ...base,
      hints: [
        `${signal} are turned off (option false, OTEL_${signal.toUpperCase()}_EXPORTER=none, OTEL_SDK_DISABLED=true, or an invalid endpoint variable)`,
      ],
    };
  }
  if (signalConfig.mode === "console") {
    const selector = `OTEL_${signal.toUpperCase()}_EXPORTER`;
    const values = (env[selector] ?? "").toLowerCase().split(",");
    if (values.map((v) => v.trim()).includes("console")) {
      return {
        ...base,
        hints: [`${selector}=console: this signal is printed to the console, nothing to check`],
      };
    }
    return {
      ...base,
      hints: [
        "no endpoint configured: setupTelemetry() prints this signal to the console (the embedded default)",
        "set OTEL_EXPORTER_OTLP_ENDPOINT (or pass --endpoint, or your app's options) to send over OTLP",
      ],
    };
  }
  if (signalConfig.mode === "custom") {
    return {
      ...base,
      hints: ["a custom exporter instance is configured: the doctor cannot check it"],
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HTTP status capture

interface RecordedResponse {
  status: number;
  statusText?: string;
}

interface ResponseRecorder {
  /** Last response received for exactly this URL. */
  last(url: string): RecordedResponse | undefined;
}

/**
 * A successful export reports no status, and a retryable one (429, 502, 503, 504) reports none
 * either once retries run out. Node's `http.client.response.finish` diagnostics channel sees every
 * response of every request, so the doctor can show the real status of each signal's URL.
 */
async function withResponseRecorder<T>(
  run: (recorder: ResponseRecorder) => Promise<T>,
): Promise<T> {
  const responses = new Map<string, RecordedResponse>();
  const onResponse = (message: unknown): void => {
    try {
      const { request, response } = message as {
        request: ClientRequest;
        response: IncomingMessage;
      };
      const host = request.getHeader("host");
      const key = `${request.protocol}//${String(host)}${request.path}`;
      responses.set(key, { status: response.statusCode ?? 0, statusText: response.statusMessage });
    } catch {}
  };
  diagnosticsChannel.subscribe("http.client.response.finish", onResponse);
  try {
    return await run({
      last(url) {
        const u = new URL(url);
        return responses.get(`${u.protocol}//${u.host}${u.pathname}${u.search}`);
      },
    });
  } finally {
    diagnosticsChannel.unsubscribe("http.client.response.finish", onResponse);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function printCheck(check: SignalCheck, out: (line: string) => void): void {
  const label = check.signal.padEnd(8);
  const verdict = check.outcome === "ok" ? "OK" : check.outcome === "failed" ? "FAIL" : "SKIP";
  let detail = "";
  if (check.status !== undefined)
    detail = `HTTP ${check.status}${check.statusText ? ` ${check.statusText}` : ""}`;
  else if (check.error !== undefined) detail = check.error;
  out("");
  out(`${label} ${verdict}${detail ? `  ${detail}` : ""}`);
  if (check.url !== undefined) out(`  url      ${check.url}`);
  if (check.outcome !== "skipped" || Object.keys(check.maskedHeaders).length > 0) {
    const headers = Object.entries(check.maskedHeaders).map(([k, v]) => `${k}: ${v}`);
    out(`  headers  ${headers.length > 0 ? headers.join(", ") : "(none)"}`);
  }
  if (check.responseBody) out(`  body     ${check.responseBody.trim().replace(/\s+/g, " ")}`);
  for (const hint of check.hints) out(`  -> ${hint}`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
