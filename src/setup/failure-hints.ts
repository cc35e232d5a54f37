/**
 * What a failed export means and what to do about it, in one sentence pair: shared by the export
 * warnings, the startup endpoint check and the doctor, so all three give the same advice.
 */
import type { Signal } from "./options.js";
import { redactUrl } from "../util/redact.js";

/** What is known about a failed export, for {@link describeExportFailure}. */
export interface ExportFailureInfo {
  signal: Signal;
  /** The URL posted to; undefined for a custom exporter. */
  url?: string;
  /** The error from the exporter's result callback. */
  error?: unknown;
  /** The configured timeout, for the "retried until timeout" wording. */
  timeoutMillis?: number;
}

/** Node error codes of a failed TLS handshake or an untrusted certificate (shared with the doctor). */
export const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/**
 * Status and hint for a failed export, as one sentence pair: `"<status>. <hint>"`. Exported so the
 * doctor can print the same advice.
 */
export function describeExportFailure(info: ExportFailureInfo): { status: string; hint: string } {
  const err = info.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = err?.code;
  const message =
    typeof err?.message === "string" ? err.message : String(info.error ?? "unknown error");
  if (typeof code === "number")
    return describeHttpStatus(info, code, message, typeof err?.data === "string" ? err.data : "");
  if (typeof code === "string") return describeNetworkError(info, code, message);
  if (/retryable status/i.test(message)) {
    return {
      status: "the receiver kept answering 429/502/503/504",
      hint: `It is overloaded or restarting; the exporter retried with backoff for ${info.timeoutMillis ?? "the"} ms and gave up on this batch. Raise the timeout or check the receiver's health.`,
    };
  }
  if (/concurrent export limit/i.test(message)) {
    // The OTLP exporters allow 30 requests in flight; past that they fail at once (nothing waits).
    return {
      status: "too many exports in flight (30 requests waiting for the receiver)",
      hint: `The receiver answers slowly or not at all, so requests pile up and new ones are dropped. Check the receiver; with disableBatch every span and log record is its own request, so use batching (the default) in servers.`,
    };
  }
  if (/timed out/i.test(message)) {
    return {
      status: `no answer within ${info.timeoutMillis ?? "the"} ms`,
      hint: "The receiver accepted the connection but did not answer in time; check it is an OTLP/HTTP endpoint (port 4318) and not overloaded, or raise timeoutMillis.",
    };
  }
  return {
    status: message,
    hint: "See the error above; set a diag logger (diag.setLogger) for the exporter's own details.",
  };
}

function describeHttpStatus(
  info: ExportFailureInfo,
  status: number,
  statusText: string,
  body: string,
): { status: string; hint: string } {
  const excerpt = body.trim().slice(0, 200);
  const statusLine = `HTTP ${status}${statusText && statusText !== String(status) ? ` ${statusText}` : ""}${excerpt ? ` (${JSON.stringify(excerpt)})` : ""}`;
  const s = info.signal;
  let hint: string;
  if (status === 404) {
    if (s === "metrics") {
      hint =
        "This endpoint does not accept OTLP metrics; Tempo accepts traces only; Prometheus wants /api/v1/otlp/v1/metrics with --web.enable-otlp-receiver, Thanos Receive /api/v1/otlp (use metrics.url for it as-is).";
    } else if (s === "logs") {
      hint =
        'This endpoint does not accept OTLP logs; Loki wants /otlp/v1/logs (logs.endpoint "https://loki/otlp"); Tempo accepts traces only.';
    } else {
      hint =
        'This endpoint does not accept OTLP traces; Tempo and the Collector want /v1/traces on port 4318 (traces.endpoint "http://tempo:4318").';
    }
  } else if (status === 401 || status === 403) {
    hint =
      s === "logs"
        ? "Loki needs X-Scope-OrgID when auth is on; set it in logs.headers (plus any Authorization the gateway wants)."
        : `The receiver refused the credentials; set the tenant/auth headers in ${s}.headers (Tempo: X-Scope-OrgID, Thanos: THANOS-TENANT, or Authorization). Headers of one signal are never sent to another.`;
  } else if (status === 400 && /encoding|content.?type/i.test(body) && /protobuf/i.test(body)) {
    // A receiver that takes OTLP/HTTP in protobuf only says so with a 400, not a 415
    // (VictoriaLogs: "json encoding isn't supported ... Use protobuf encoding").
    hint = `The receiver does not accept this encoding; use protocol "http/protobuf" for ${s} (${s}.protocol, or OTEL_EXPORTER_OTLP_${s.toUpperCase()}_PROTOCOL). VictoriaLogs, for one, takes OTLP logs in protobuf only.`;
  } else if (status === 400) {
    hint =
      s === "logs"
        ? "The receiver rejected the payload; Loki rejects lines over 64 KB or more than 128 structured-metadata entries."
        : "The receiver rejected the payload; see its answer above.";
  } else if (status === 413) {
    hint =
      'The request is too large for the receiver; lower the batch size or enable compression "gzip".';
  } else if (status === 415) {
    hint =
      'The receiver does not accept this encoding; try protocol "http/protobuf" (or "http/json").';
  } else if (status === 405) {
    hint = "The URL does not accept POST; it is probably not an OTLP/HTTP endpoint.";
  } else {
    hint = "Check the receiver's logs.";
  }
  return { status: statusLine, hint };
}

function describeNetworkError(
  info: ExportFailureInfo,
  code: string,
  message: string,
): { status: string; hint: string } {
  const host = hostOf(info.url);
  if (code === "ECONNREFUSED") {
    return {
      status: "connection refused",
      hint: `Nothing is listening at ${host}; start the collector/backend or fix the ${info.signal} endpoint (OTLP/HTTP is usually port 4318).`,
    };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const where = info.url === undefined ? "the URL" : redactUrl(info.url);
    return {
      status: `host not found (${code})`,
      hint: `The host name in ${where} does not resolve from here.`,
    };
  }
  if (TLS_ERROR_CODES.has(code) || /ssl|tls|certificate/i.test(message)) {
    return {
      status: `TLS error (${code}: ${message})`,
      hint: "An https URL pointing at a plain-http port, or a certificate Node does not trust: use http://, or set NODE_EXTRA_CA_CERTS / OTEL_EXPORTER_OTLP_CERTIFICATE to the CA file.",
    };
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return {
      status: `connection reset (${code})`,
      hint: `${host} closed the connection; a proxy or a non-OTLP server may be in the way.`,
    };
  }
  if (code === "ETIMEDOUT" || code === "ENETUNREACH" || code === "EHOSTUNREACH") {
    return {
      status: `network unreachable (${code})`,
      hint: `${host} cannot be reached from here (firewall, VPN, wrong host).`,
    };
  }
  return {
    status: `${code}: ${message}`,
    hint: "A network error; check the URL and the network path to the receiver.",
  };
}

function hostOf(url: string | undefined): string {
  if (url === undefined) return "the receiver";
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
