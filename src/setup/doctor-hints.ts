/**
 * What the doctor advises for a failed check, most specific first (the export warnings give the
 * same advice in one sentence, see failure-hints.ts).
 */
import type { ResolvedSignalConfig } from "./config.js";
import { TLS_ERROR_CODES } from "./failure-hints.js";
import type { SignalCheck } from "./doctor.js";

/** What to do about a failed check, most specific first. */
export function hintsFor(
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
