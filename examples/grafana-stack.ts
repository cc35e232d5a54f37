/**
 * The Grafana stack, each signal to its own backend with its own tenant header:
 * - traces  -> Tempo distributor (OTLP/HTTP on 4318), tenant header `X-Scope-OrgID`;
 * - metrics -> Thanos Receive (`/api/v1/otlp` on the remote-write port 19291), tenant header
 *   `THANOS-TENANT`. For a plain Prometheus started with `--web.enable-otlp-receiver`, use
 *   `http://prometheus:9090/api/v1/otlp/v1/metrics` and no header (Prometheus has no tenants);
 *   for Mimir, `http://mimir:8080/otlp/v1/metrics` with `X-Scope-OrgID`;
 * - logs    -> Loki gateway (`/otlp/v1/logs`), tenant header `X-Scope-OrgID`.
 *
 * Each signal's `headers` are sent to that signal's URL only: a tenant header never leaks to
 * another backend (unlike `OTEL_EXPORTER_OTLP_HEADERS`, which the raw OpenTelemetry exporters add
 * to every signal). Metrics are exported with cumulative temporality, which Prometheus and Thanos
 * require.
 *
 * The same configuration with environment variables only (then call `setupTelemetry()` with no
 * options) is in `grafana-stack.env.example`.
 *
 * Run against your stack: `TENANT=team-a npx tsx examples/grafana-stack.ts`. The URLs below are
 * the in-cluster defaults; `TEMPO_OTLP_URL`, `METRICS_OTLP_URL` and `LOKI_OTLP_URL` override them.
 * With the environment-variable form, `npx langchain-opentelemetry doctor` checks each backend
 * (URL, headers, HTTP status) before you run the app.
 */
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { setupTelemetry } from "langchain-opentelemetry/setup";
import { startFakeOpenAIServer } from "./support/fake-openai-server.js";
import { travelTools } from "./support/travel-tools.js";

const tenant = process.env.TENANT ?? "team-a";

const telemetry = setupTelemetry({
  serviceName: "travel-assistant",
  // The encoding all three backends accept.
  protocol: "http/protobuf",
  traces: {
    url: process.env.TEMPO_OTLP_URL ?? "http://tempo-distributor:4318/v1/traces",
    headers: { "X-Scope-OrgID": tenant },
  },
  metrics: {
    url: process.env.METRICS_OTLP_URL ?? "http://thanos-receive:19291/api/v1/otlp",
    headers: { "THANOS-TENANT": tenant },
  },
  logs: {
    url: process.env.LOKI_OTLP_URL ?? "http://loki-gateway/otlp/v1/logs",
    headers: { "X-Scope-OrgID": tenant },
  },
});
for (const signal of [telemetry.config.traces, telemetry.config.metrics, telemetry.config.logs]) {
  console.log(`${signal.signal} -> ${signal.url} (${Object.keys(signal.headers).join(", ")})`);
}

const openai = await startFakeOpenAIServer(); // stands in for the OpenAI API: no key, no network
try {
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "local",
    configuration: { baseURL: openai.baseURL },
  });
  const agent = createAgent({ model, tools: travelTools, name: "travel_assistant" });
  const result = await agent.invoke({
    messages: [{ role: "user", content: "Three days in Berlin: what should I pack?" }],
  });
  console.log(`agent: ${String(result.messages.at(-1)?.content)}`);
} finally {
  await telemetry.shutdown(); // flush before the process ends
  await openai.close();
}
