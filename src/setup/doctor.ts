/**
 * `npx langchain-opentelemetry doctor`: reads the same configuration as `setupTelemetry()`, sends
 * one small, valid OTLP export per enabled signal with the official OpenTelemetry exporters, and
 * prints per signal the final URL, the headers sent (values masked), the HTTP status and what to
 * do about it. The exit code is non-zero when any signal fails.
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
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  createOtlpLogExporter,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
} from "./exporters.js";
import { TLS_ERROR_CODES } from "./export-diagnostics.js";
import { maskHeaders, redactText, redactUrl } from "../util/redact.js";

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** Environment to read the `OTEL_*` configuration from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Explicit options (from CLI flags such as `--endpoint`); they win over the environment, as in `setupTelemetry()`. */
  options?: SetupTelemetryOptions;
  /** Receives each output line. Default: stdout (the report is the doctor's output). */
  out?: (line: string) => void;
  /**
   * Upper bound for each export, retries included. Default: the configured timeout, at most
   * 5000 ms (`DEFAULT_DOCTOR_TIMEOUT_MILLIS`), so an unreachable endpoint does not hang the check.
   */
  timeoutMillis?: number;
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
 * to be checked), 1 when any export failed, 2 when the configuration itself is invalid.
 */
export async function runDoctor(opts: DoctorOptions = {}): Promise<number> {
  const write = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
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
  // What setupTelemetry() would warn about at startup (invalid values are ignored there too).
  for (const warning of config.warnings) out(`warning: ${warning}`);
  const signals = [config.traces, config.metrics, config.logs];
  const checks = await withResponseRecorder((recorder) =>
    Promise.all(
      signals.map((signalConfig) =>
        checkSignal(env, config, signalConfig, recorder, opts.timeoutMillis),
      ),
    ),
  );
  for (const check of checks) printCheck(check, out);
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

// ---------------------------------------------------------------------------------------------
// One signal

async function checkSignal(
  env: NodeJS.ProcessEnv,
  config: ResolvedTelemetryConfig,
  signalConfig: ResolvedSignalConfig,
  recorder: ResponseRecorder,
  timeoutOverride: number | undefined,
): Promise<SignalCheck> {
  const { signal } = signalConfig;
  const base: SignalCheck = {
    signal,
    outcome: "skipped",
    maskedHeaders: maskHeaders(signalConfig.headers),
    hints: [],
  };
  if (!signalConfig.enabled) {
    return {
      ...base,
      hints: [
        `${signal} are turned off (option false, OTEL_${signal.toUpperCase()}_EXPORTER=none or OTEL_SDK_DISABLED=true)`,
      ],
    };
  }
  if (signalConfig.mode === "console") {
    const selector = `OTEL_${signal.toUpperCase()}_EXPORTER`;
    if (
      (env[selector] ?? "")
        .toLowerCase()
        .split(",")
        .map((v) => v.trim())
        .includes("console")
    ) {
      return {
        ...base,
        hints: [`${selector}=console: this signal is printed to the console, nothing to check`],
      };
    }
    return {
      ...base,
      hints: [
        "no endpoint configured: setupTelemetry() prints this signal to the console (the embedded default)",
        "set OTEL_EXPORTER_OTLP_ENDPOINT (or pass --endpoint) to send over OTLP",
      ],
    };
  }
  if (signalConfig.mode === "custom" || signalConfig.url === undefined) {
    return {
      ...base,
      hints: ["a custom exporter instance is configured: the doctor cannot check it"],
    };
  }
  const url = signalConfig.url;
  const printedUrl = redactUrl(url);
  const timeoutMillis =
    timeoutOverride ?? Math.min(signalConfig.timeoutMillis, DEFAULT_DOCTOR_TIMEOUT_MILLIS);
  let result: ExportOutcome;
  try {
    result = await exportOnce(config, { ...signalConfig, timeoutMillis });
  } catch (error) {
    return {
      ...base,
      url: printedUrl,
      outcome: "failed",
      error: errorMessage(error),
      hints: [errorMessage(error)],
    };
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
  return check;
}

interface ExportOutcome {
  ok: boolean;
  errorStatus?: number;
  errorBody?: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Exports one tiny span, metric point or log record with the exporter `setupTelemetry()` builds for
 * the signal (same URL, headers, encoding and compression).
 */
async function exportOnce(
  config: ResolvedTelemetryConfig,
  signalConfig: ResolvedSignalConfig,
): Promise<ExportOutcome> {
  const resource = resourceFromAttributes(config.resourceAttributes);
  switch (signalConfig.signal) {
    case "traces": {
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        resource,
        spanProcessors: [new SimpleSpanProcessor(memory)],
      });
      provider
        .getTracer("langchain-opentelemetry")
        .startSpan("langchain-opentelemetry doctor")
        .end();
      const exporter = createOtlpSpanExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(memory.getFinishedSpans(), cb));
    }
    case "metrics": {
      const reader = new OnDemandReader();
      const provider = new MeterProvider({ resource, readers: [reader] });
      provider
        .getMeter("langchain-opentelemetry")
        .createCounter("langchain_opentelemetry.doctor.checks")
        .add(1);
      const { resourceMetrics } = await reader.collect();
      const exporter = createOtlpMetricExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(resourceMetrics, cb));
    }
    case "logs": {
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor({ exporter: memory })],
      });
      provider
        .getLogger("langchain-opentelemetry")
        .emit({ severityNumber: 9, severityText: "INFO", body: "langchain-opentelemetry doctor" });
      const exporter = createOtlpLogExporter(signalConfig);
      return settle(exporter, (cb) => exporter.export(memory.getFinishedLogRecords(), cb));
    }
  }
}

/** A metric reader that only collects on demand, so the doctor controls the single export. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface ExportResultLike {
  code: number;
  error?: Error & { code?: number | string; data?: string };
}

/** Turns the exporter's result callback (the only place failures are reported) into an outcome. */
function settle(
  exporter: { shutdown(): Promise<void> },
  run: (cb: (result: ExportResultLike) => void) => void,
): Promise<ExportOutcome> {
  return new Promise<ExportOutcome>((resolve) => {
    run((result) => {
      void exporter.shutdown().catch(() => undefined);
      if (result.code === 0) return resolve({ ok: true });
      const error = result.error;
      const code = error?.code;
      // OTLPExporterError carries the HTTP status as a number and the response body as `data`;
      // network and TLS errors carry Node's string code (ECONNREFUSED, CERT_HAS_EXPIRED, ...).
      resolve({
        ok: false,
        errorStatus: typeof code === "number" ? code : undefined,
        errorBody: typeof error?.data === "string" ? error.data : undefined,
        errorCode: typeof code === "string" ? code : undefined,
        errorMessage: error?.message || "export failed",
      });
    });
  });
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
// Hints

/** What to do about a failed check, most specific first. */
function hintsFor(
  check: Pick<SignalCheck, "signal" | "status" | "error" | "url">,
  config: Pick<ResolvedSignalConfig, "headers">,
): string[] {
  const { signal, status, error } = check;
  const url = check.url ? new URL(check.url) : undefined;
  const hints: string[] = [];
  const envName = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}`;
  if (status === 404) {
    if (signal === "metrics") {
      hints.push(
        "this endpoint does not accept OTLP metrics. Tempo accepts traces only; Prometheus wants " +
          "/api/v1/otlp/v1/metrics (started with --web.enable-otlp-receiver); Thanos Receive wants /api/v1/otlp " +
          `(give the full URL with ${envName}_ENDPOINT or metrics.url, used as-is)`,
      );
    } else if (signal === "logs") {
      hints.push(
        `this endpoint does not accept OTLP logs. Loki wants /otlp/v1/logs (endpoint http://loki:3100/otlp, or ${envName}_ENDPOINT with the full URL)`,
      );
    } else {
      hints.push(
        `this endpoint does not accept OTLP traces. Tempo and the Collector take /v1/traces on port 4318`,
      );
    }
    hints.push(
      `OTEL_EXPORTER_OTLP_ENDPOINT and endpoint get /v1/${signal} appended; ${envName}_ENDPOINT and url are used as-is`,
    );
  } else if (status === 401 || status === 403) {
    if (signal === "logs")
      hints.push("Loki needs X-Scope-OrgID when auth is on (auth_enabled: true)");
    if (signal === "traces") hints.push("Tempo in multi-tenant mode needs X-Scope-OrgID");
    if (signal === "metrics")
      hints.push("Thanos Receive / Mimir need their tenant header (THANOS-TENANT, X-Scope-OrgID)");
    hints.push(
      Object.keys(config.headers).length === 0
        ? `no headers were sent: set ${envName}_HEADERS (e.g. X-Scope-OrgID=tenant) or ${signal}.headers`
        : `check the header values; set them per signal with ${envName}_HEADERS or ${signal}.headers`,
    );
  } else if (status === 400) {
    hints.push(
      "the receiver rejected the payload (see the response body). Prometheus needs cumulative temporality; Loki rejects lines over 64 KB or more than 128 structured-metadata entries",
    );
  } else if (status === 405) {
    hints.push("the path exists but does not take POST: this is probably not the OTLP path");
  } else if (status === 413) {
    hints.push("payload too large for the receiver: raise its limit or use compression gzip");
  } else if (status === 415) {
    hints.push(
      "the receiver does not accept this content type: try OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json)",
    );
  } else if (status === 429 || status === 502 || status === 503 || status === 504) {
    hints.push(
      "the receiver is overloaded or unavailable (retried until the timeout); check the backend's health and rate limits",
    );
  } else if (status !== undefined && status >= 500) {
    hints.push("the receiver failed with a server error; check its logs");
  } else if (error === "ECONNREFUSED") {
    hints.push(
      `nothing listens at ${url?.host ?? "this address"}: check the host and port (OTLP/HTTP is 4318 on the Collector and Tempo)`,
    );
    if (url?.port === "4317")
      hints.push("4317 is the OTLP/gRPC port; this package speaks OTLP/HTTP (4318)");
  } else if (error === "ENOTFOUND" || error === "EAI_AGAIN") {
    hints.push(`the host name ${url?.hostname ?? ""} does not resolve from here`);
  } else if (error !== undefined && TLS_ERROR_CODES.has(error)) {
    hints.push(
      error === "EPROTO" || error === "ERR_SSL_WRONG_VERSION_NUMBER"
        ? "TLS handshake failed: the server probably speaks plain HTTP; use http:// instead of https://"
        : `TLS certificate problem (${error}): use a certificate the system trusts, or point NODE_EXTRA_CA_CERTS at your CA bundle`,
    );
  } else if (error === "ECONNRESET") {
    hints.push(
      "the connection was reset: a proxy or the receiver closed it (wrong protocol, e.g. http:// against a TLS port?)",
    );
  } else if (error !== undefined && /timed out/i.test(error)) {
    hints.push(
      "no answer within the timeout: a firewall may drop the packets, or the receiver hangs",
    );
  }
  return hints;
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
