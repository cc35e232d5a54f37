/**
 * No credential is printed, thrown or exported: URL userinfo, credential query parameters and
 * header values are redacted in setup warnings, the shutdown summary, the doctor, the console
 * exporter, thrown TelemetryConfigError messages, the printed resolved configuration, and in every
 * span, metric point and log record, with content capture on and off.
 */
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { redactText, redactUrl } from "../src/util/redact.js";
import { resolveTelemetryConfig, TelemetryConfigError } from "../src/setup/config.js";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { runDoctor } from "../src/setup/doctor.js";
import { createConsoleExporters } from "../src/setup/console-exporters.js";
import { refusedUrl, startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { ScriptedChatModel } from "./helpers/models.js";
import { envWithoutOtel } from "./helpers/env.js";

const USER_SECRET = "hunter2pass";
const QUERY_SECRET = "qs-secret-77";
const HEADER_SECRET = "hdr-secret-99";
const SECRETS = [USER_SECRET, QUERY_SECRET, HEADER_SECRET];

/** `base` (`http://host:port`) with basic-auth userinfo and a credential query parameter. */
const withCredentials = (base: string, path = "/base"): string => {
  const u = new URL(base);
  return `${u.protocol}//otlpuser:${USER_SECRET}@${u.host}${path}?api_key=${QUERY_SECRET}&region=eu`;
};
const secretHeaders = { Authorization: `Bearer ${HEADER_SECRET}`, "X-Scope-OrgID": "tenant-a" };

function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS)
    expect(text.includes(secret), `${where} contains ${secret}:\n${text}`).toBe(false);
}

let telemetry: TelemetryHandle | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver?.close();
  receiver = undefined;
});

describe("redactUrl", () => {
  it.each([
    ["http://user:pass@collector:4318/v1/traces", "http://***@collector:4318/v1/traces"],
    ["https://apikeyonly@gw.example/otlp", "https://***@gw.example/otlp"],
    [
      "http://c:4318/v1/logs?api_key=k1&x=1&TOKEN=t2",
      "http://c:4318/v1/logs?api_key=***&x=1&TOKEN=***",
    ],
    [
      "http://c/?key=a&apikey=b&access_token=c&sig=d&signature=e&password=f&secret=g",
      "http://c/?key=***&apikey=***&access_token=***&sig=***&signature=***&password=***&secret=***",
    ],
    [
      "http://c/?x_api_key=a&client_secret=b&auth-token=c&keyboard=d",
      "http://c/?x_api_key=***&client_secret=***&auth-token=***&keyboard=d",
    ],
    ["http://c/path#access_token=abc", "http://c/path#access_token=***"],
    ["http://collector:4318/v1/traces", "http://collector:4318/v1/traces"],
    ["http://host/@scope/pkg?x=1", "http://host/@scope/pkg?x=1"],
    ["not a url ://u:p@x?token=t", "not a url ://***@x?token=***"],
    // Not parsable: everything before the last @ goes (a password may hold a space or a slash).
    ["http://u:pa ss@h:4318/x?token=t", "http://***@h:4318/x?token=***"],
    ["http://u:pa/ss@h:4318/x", "http://***@h:4318/x"],
    // Parses, but as scheme "user:" without an authority.
    ["user:pass@collector:4318", "***@collector:4318"],
  ])("%s -> %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it("redacts every URL inside free text and each known secret, and leaves file URLs of stacks alone", () => {
    const text = `failed: POST http://u:${USER_SECRET}@h:1/v1?token=${QUERY_SECRET} ("echo Bearer ${HEADER_SECRET}") at file:///app/node_modules/@langchain/core/x.js:1:2`;
    expect(redactText(text, [`Bearer ${HEADER_SECRET}`])).toBe(
      'failed: POST http://***@h:1/v1?token=*** ("echo ***") at file:///app/node_modules/@langchain/core/x.js:1:2',
    );
  });
});

describe("setup warnings and the shutdown summary", () => {
  it("print the endpoint redacted on connection refused, and the summary too", async () => {
    const warnings: string[] = [];
    const endpoint = withCredentials(await refusedUrl());
    telemetry = setupTelemetry({
      disableBatch: true,
      endpoint,
      headers: secretHeaders,
      timeoutMillis: 300,
      onWarning: (m) => warnings.push(m),
      metrics: false,
      logs: false,
    });
    const model = new ScriptedChatModel({ model: "m", replies: [{ text: "hi" }] });
    await model.invoke("a");
    await model.invoke("b");
    await telemetry.forceFlush();
    await telemetry.shutdown();
    telemetry = undefined;
    const host = new URL(endpoint).host;
    expect(warnings[0]).toContain(
      `traces export to http://***@${host}/base/v1/traces?api_key=***&region=eu failed: connection refused.`,
    );
    expect(
      warnings.some(
        (w) =>
          w.startsWith("traces: ") &&
          w.includes(
            `exports failed in total to http://***@${host}/base/v1/traces?api_key=***&region=eu`,
          ),
      ),
    ).toBe(true);
    expectNoSecret(warnings.join("\n"), "warnings");
  });

  it("scrub a header value that a rejecting receiver echoes back in its body", async () => {
    receiver = await startOtlpReceiver({
      routes: {
        "/base/v1/traces": (r) => ({
          status: 401,
          body: `bad credentials: ${String(r.headers.authorization)}`,
        }),
      },
    });
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      disableBatch: true,
      endpoint: withCredentials(receiver.url),
      headers: secretHeaders,
      onWarning: (m) => warnings.push(m),
      metrics: false,
      logs: false,
    });
    await new ScriptedChatModel({ model: "m", replies: [{ text: "hi" }] }).invoke("a");
    await telemetry.forceFlush();
    expect(receiver.requestsTo("/base/v1/traces")).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 401 Unauthorized ("bad credentials: ***")');
    expectNoSecret(warnings.join("\n"), "warnings");
  });
});

describe("configuration errors and the printed configuration", () => {
  it("TelemetryConfigError messages quote URLs redacted", () => {
    const bad = `ftp://otlpuser:${USER_SECRET}@collector:21/x?token=${QUERY_SECRET}`;
    expect(() => resolveTelemetryConfig({ endpoint: bad }, {})).toThrow(TelemetryConfigError);
    expect(() => resolveTelemetryConfig({ endpoint: bad }, {})).toThrow(
      'endpoint must be an http:// or https:// URL, got "ftp://***@collector:21/x?token=***"',
    );
    // Environment values are warned about (and ignored), never thrown: redacted the same way.
    const fromEnv = resolveTelemetryConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: bad }).warnings;
    expect(fromEnv[0]).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    const traces = resolveTelemetryConfig({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: bad }).warnings;
    expect(traces[0]).toContain('got "ftp://***@collector:21/x?token=***"');
    expectNoSecret([...fromEnv, ...traces].join("\n"), "warnings");
  });

  it.each([
    [
      "an invalid port",
      `http://otlpuser:${USER_SECRET}@collector:99999?token=${QUERY_SECRET}`,
      /^endpoint is not a valid URL: "http:\/\/\*\*\*@collector:99999\?token=\*\*\*"/,
    ],
    [
      "a password with a slash",
      `http://otlpuser:a/${USER_SECRET}@collector:4318`,
      /^endpoint is not a valid URL: "http:\/\/\*\*\*@collector:4318"/,
    ],
    [
      "no scheme",
      `otlpuser:${USER_SECRET}@collector:4318`,
      /^endpoint must be an http:\/\/ or https:\/\/ URL, got "\*\*\*@collector:4318" \(missing "http:\/\/"\?\)$/,
    ],
  ])(
    "TelemetryConfigError quotes an unparsable URL conservatively redacted (%s)",
    (_, endpoint, expected) => {
      let message = "";
      try {
        resolveTelemetryConfig({ endpoint }, {});
      } catch (error) {
        expect(error).toBeInstanceOf(TelemetryConfigError);
        message = (error as Error).message;
      }
      expect(message).toMatch(expected);
      expectNoSecret(message, "error message");
    },
  );

  it("TelemetryConfigError names a wrong header option by its kind, never by its value", () => {
    const wrong: Array<[Record<string, unknown>, RegExp]> = [
      [
        { headers: `Authorization=Bearer ${HEADER_SECRET}` },
        /^headers must be an object of string values, got a string$/,
      ],
      [
        { traces: { headers: { "X-Api-Key": 8675309 } } },
        /^traces\.headers\["X-Api-Key"\] must be a string, got a number$/,
      ],
    ];
    for (const [options, expected] of wrong) {
      let message = "";
      try {
        resolveTelemetryConfig(options as never, {});
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(expected);
      expectNoSecret(message, "error message");
      expect(message).not.toContain("8675309");
    }
  });

  it("warnings about invalid header variables never echo a header value", () => {
    const cases: Record<string, string> = {
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization Bearer ${HEADER_SECRET}`,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: `Authorization=Bearer%ZZ${HEADER_SECRET}`,
    };
    for (const [name, value] of Object.entries(cases)) {
      const [message] = resolveTelemetryConfig(
        {},
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
          [name]: value,
        },
      ).warnings;
      expect(message, name).toMatch(new RegExp(`^${name}: entry 1`));
      expectNoSecret(message, name);
    }
  });

  it("the resolved configuration keeps the real URL and headers but prints redacted", () => {
    const endpoint = withCredentials("http://collector:4318");
    const config = resolveTelemetryConfig({ endpoint, headers: secretHeaders }, {});
    // The exporters need the real values.
    expect(config.traces.url).toBe(
      `http://otlpuser:${USER_SECRET}@collector:4318/base/v1/traces?api_key=${QUERY_SECRET}&region=eu`,
    );
    expect(config.traces.headers.Authorization).toBe(`Bearer ${HEADER_SECRET}`);
    const printed = [
      inspect(config, { depth: 5 }),
      JSON.stringify(config),
      inspect(config.logs),
    ].join("\n");
    expectNoSecret(printed, "printed config");
    expect(JSON.parse(JSON.stringify(config.traces))).toMatchObject({
      url: "http://***@collector:4318/base/v1/traces?api_key=***&region=eu",
      headers: { Authorization: "B***", "X-Scope-OrgID": "t***" },
    });
    // Spreading or comparing sees only the fields.
    expect(Object.keys(config.traces)).not.toContain("toJSON");
  });
});

describe("the doctor", () => {
  it("prints every signal's URL redacted and header values masked, also a response echoing them", async () => {
    receiver = await startOtlpReceiver({
      routes: {
        "/base/v1/logs": (r) => ({
          status: 400,
          body: `rejected ${String(r.headers.authorization)} at ${withCredentials("http://echo:1")}`,
        }),
      },
    });
    const lines: string[] = [];
    const code = await runDoctor({
      env: envWithoutOtel(),
      options: { endpoint: withCredentials(receiver.url), headers: secretHeaders },
      out: (l) => lines.push(l),
      timeoutMillis: 2000,
    });
    expect(code).toBe(1);
    const text = lines.join("\n");
    expectNoSecret(text, "doctor output");
    for (const signal of ["traces", "metrics", "logs"]) {
      expect(text).toContain(
        `  url      http://***@127.0.0.1:${receiver.port}/base/v1/${signal}?api_key=***&region=eu`,
      );
    }
    expect(text).toContain("  headers  Authorization: B***, X-Scope-OrgID: t***");
    expect(text).toContain(
      "  body     rejected *** at http://***@echo:1/base?api_key=***&region=eu",
    );
  });

  it("prints an invalid environment value redacted", async () => {
    const lines: string[] = [];
    const code = await runDoctor({
      env: envWithoutOtel({
        OTEL_EXPORTER_OTLP_ENDPOINT: `grpc://u:${USER_SECRET}@c:4317?token=${QUERY_SECRET}`,
      }),
      out: (l) => lines.push(l),
    });
    expect(code).toBe(2);
    expect(lines[2]).toMatch(/^warning: OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    expectNoSecret(lines.join("\n"), "doctor output");
  });
});

describe("exported telemetry", () => {
  for (const captureContent of [false, true]) {
    it(`carries no credential from a model's base URL or an error message (capture ${captureContent ? "on" : "off"})`, async () => {
      receiver = await startOtlpReceiver();
      const modelUrl = withCredentials("http://model.internal:8443", "/v1");
      telemetry = setupTelemetry({
        disableBatch: true,
        endpoint: receiver.url,
        headers: secretHeaders,
        onWarning: () => {},
        handlerOptions: { captureContent },
      });
      const failure = new Error(`request to ${modelUrl} failed`);
      const ok = new ScriptedChatModel({
        model: "m",
        baseURL: modelUrl,
        replies: [{ text: "fine", inputTokens: 3, outputTokens: 2 }],
      });
      const failing = new ScriptedChatModel({
        model: "m",
        baseURL: modelUrl,
        replies: [{ text: "", error: failure }],
      });
      const fetcher = tool(
        async () => {
          throw new Error(`GET ${modelUrl}/docs returned 403`);
        },
        { name: "fetch_docs", description: "fetch", schema: z.object({}) },
      );
      await ok.invoke("hello");
      await expect(failing.invoke("hello")).rejects.toThrow();
      await expect(fetcher.invoke({})).rejects.toThrow();
      await telemetry.forceFlush();
      const bodies = receiver.requests.map((r) => r.body.toString("utf8"));
      const all = bodies.join("\n");
      // Everything was exported (spans, metrics, logs), host and port of the model are there...
      for (const path of ["/v1/traces", "/v1/metrics", "/v1/logs"])
        expect(receiver.requestsTo(path).length, path).toBeGreaterThan(0);
      expect(all).toContain("model.internal");
      expect(all).toContain("http://***@model.internal:8443/v1?api_key=***&region=eu failed");
      // ...its credentials are not, nor the header value quoted in the error's message.
      expectNoSecret(all, "exported telemetry");
    });
  }

  for (const captureContent of [false, true]) {
    it(`the console exporter prints no credential (capture ${captureContent ? "on" : "off"})`, async () => {
      const lines: string[] = [];
      const exporters = createConsoleExporters((l) => lines.push(l));
      const modelUrl = withCredentials("http://model.internal:8443", "/v1");
      telemetry = setupTelemetry({
        onWarning: () => {},
        disableBatch: true,
        headers: secretHeaders,
        handlerOptions: { captureContent },
        traces: { exporter: exporters.spanExporter },
        metrics: { exporter: exporters.metricExporter },
        logs: { exporter: exporters.logExporter },
      });
      const failing = new ScriptedChatModel({
        model: "m",
        baseURL: modelUrl,
        replies: [{ text: "", error: new Error(`request to ${modelUrl} failed`) }],
      });
      await expect(failing.invoke("hello")).rejects.toThrow();
      // A span of another instrumentation whose status message quotes the URL as it was requested.
      const span = telemetry.tracerProvider.getTracer("undici-like").startSpan("GET");
      span.setStatus({ code: 2, message: `fetch ${modelUrl} failed` });
      span.end();
      await telemetry.shutdown();
      telemetry = undefined;
      const text = lines.join("\n");
      expect(text).toContain(
        "request to http://***@model.internal:8443/v1?api_key=***&region=eu failed",
      );
      expect(text).toContain(
        "fetch http://***@model.internal:8443/v1?api_key=***&region=eu failed",
      );
      expectNoSecret(text, "console output");
    });
  }
});
