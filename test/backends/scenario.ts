/**
 * The end-to-end scenario of the backends tier, run as a user's app would run: a child process
 * (`node --import tsx`), `setupTelemetry()` configured per signal as in examples/grafana-stack.ts
 * (traces with a tenant header, metrics to Prometheus' OTLP endpoint with THANOS-TENANT, logs to
 * VictoriaLogs), and the demo's agent (`createAgent`, `ChatOpenAI` against the scripted local
 * OpenAI-compatible server, the travel tools).
 *
 * Each round makes four requests, each with its own conversation id (`thread_id`), so a test can
 * find each request's trace and records in the backends:
 * - `agent`: the demo agent, as `npm run demo` runs it;
 * - `stream`: the same agent streamed token by token (time to first chunk, time per chunk);
 * - `tool-error`: an agent whose second tool throws (a failed `execute_tool`);
 * - `model-error`: an agent whose model answers HTTP 500 (a failed `chat`, an exception record).
 * Rounds are spaced by more than the metric export interval, so Prometheus sees the counters grow
 * (a `rate()` needs two points).
 *
 * Configuration: the JSON in BACKENDS_SCENARIO (see {@link ScenarioConfig}). Output on stdout:
 * `REQUEST {json}` after each request, and `SCENARIO {json}` listing them all at the end.
 */
import { ChatOpenAI } from "@langchain/openai";
import { createAgent, tool } from "langchain";
import { setupTelemetry } from "langchain-opentelemetry/setup";
import { z } from "zod";
import { startFakeOpenAIServer } from "../../examples/support/fake-openai-server.js";
import { getWeather, travelTools } from "../../examples/support/travel-tools.js";
import { startOpenAIMock } from "../helpers/openai-mock.js";

export type RequestKind = "agent" | "stream" | "tool-error" | "model-error";

export interface ScenarioConfig {
  serviceName: string;
  protocol: "http/protobuf" | "http/json";
  /** Each signal's OTLP URL; a signal without one is turned off. */
  tracesUrl?: string;
  metricsUrl?: string;
  logsUrl?: string;
  tenant: string;
  /** The logs signal's own protocol (VictoriaLogs accepts OTLP logs in protobuf only). */
  logsProtocol?: "http/protobuf" | "http/json";
  /** Headers for the logs signal (VictoriaLogs tenants: AccountID / ProjectID). */
  logsHeaders?: Record<string, string>;
  rounds: number;
  /** Which requests each round makes (default: all four). */
  kinds?: RequestKind[];
  pauseMs: number;
  metricExportIntervalMillis: number;
  timeoutMillis?: number;
}

export interface ScenarioRequest {
  kind: RequestKind;
  round: number;
  conversationId: string;
  ok: boolean;
}

export const AGENT_NAME = "travel_assistant";
export const FAILING_TOOL = "get_visa_rules";

const config = JSON.parse(process.env.BACKENDS_SCENARIO ?? "{}") as ScenarioConfig;

const telemetry = setupTelemetry({
  serviceName: config.serviceName,
  protocol: config.protocol,
  metricExportIntervalMillis: config.metricExportIntervalMillis,
  ...(config.timeoutMillis ? { timeoutMillis: config.timeoutMillis } : {}),
  traces: config.tracesUrl
    ? { url: config.tracesUrl, headers: { "X-Scope-OrgID": config.tenant } }
    : false,
  metrics: config.metricsUrl
    ? { url: config.metricsUrl, headers: { "THANOS-TENANT": config.tenant } }
    : false,
  logs: config.logsUrl
    ? {
        url: config.logsUrl,
        headers: config.logsHeaders ?? {},
        ...(config.logsProtocol ? { protocol: config.logsProtocol } : {}),
      }
    : false,
});

const visaRules = tool(
  async ({ city }: { city: string }): Promise<string> => {
    throw new Error(`the visa rules service is down (asked for ${city})`);
  },
  {
    name: FAILING_TOOL,
    description: "Visa rules for travelling to a city",
    schema: z.object({ city: z.string().describe("City name") }),
  },
);

const openai = await startFakeOpenAIServer();
const broken = await startOpenAIMock([{ status: 500, content: "the model is overloaded" }]);
const requests: ScenarioRequest[] = [];

function model(opts: { baseURL?: string } = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    temperature: 0,
    apiKey: "not-needed-for-the-local-server",
    maxRetries: 0,
    configuration: { baseURL: opts.baseURL ?? openai.baseURL },
  });
}

const agents: Record<RequestKind, ReturnType<typeof createAgent>> = {
  agent: createAgent({ model: model(), tools: travelTools, name: AGENT_NAME }),
  stream: createAgent({ model: model(), tools: travelTools, name: AGENT_NAME }),
  "tool-error": createAgent({ model: model(), tools: [getWeather, visaRules], name: AGENT_NAME }),
  "model-error": createAgent({
    model: model({ baseURL: broken.baseURL }),
    tools: travelTools,
    name: AGENT_NAME,
  }),
};

try {
  for (let round = 1; round <= config.rounds; round++) {
    for (const kind of config.kinds ?? (Object.keys(agents) as RequestKind[])) {
      const conversationId = `${config.serviceName}-${kind}-${round}`;
      let ok = true;
      try {
        const input = {
          messages: [
            { role: "user", content: "I am flying to Paris tomorrow. What should I expect?" },
          ],
        };
        const configurable = { thread_id: conversationId };
        if (kind === "stream") {
          // Token by token, as a chat UI consumes an agent (`streaming: true` on ChatOpenAI would
          // also stream, but makes it count prompt tokens with a tokenizer fetched at run time).
          const stream = await agents[kind].stream(input, { configurable, streamMode: "messages" });
          for await (const _chunk of stream);
        } else {
          await agents[kind].invoke(input, { configurable });
        }
      } catch {
        ok = false; // the model-error request fails, as the app would see it
      }
      requests.push({ kind, round, conversationId, ok });
      console.log(`REQUEST ${JSON.stringify({ kind, round, conversationId, ok })}`);
    }
    if (round < config.rounds) await new Promise((r) => setTimeout(r, config.pauseMs));
  }
} finally {
  await telemetry.shutdown();
  await openai.close();
  await broken.close();
}
console.log(`SCENARIO ${JSON.stringify({ requests })}`);
