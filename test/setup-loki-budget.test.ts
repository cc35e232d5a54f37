/**
 * The Loki budget holds with 32 association properties and 80 resource attributes: a local
 * receiver that enforces Loki's per-line limits (128 structured-metadata entries, 64 KiB; the
 * record's attributes, the resource's, scope name and version, trace and span ids, severity)
 * accepts every export, each record's attributes stay within 40 KiB, and what was dropped to fit
 * is warned through onWarning (no diag logger), then counted at shutdown.
 */
import { afterEach, describe, expect, it } from "vitest";
import { withAssociationProperties } from "../src/annotate/association.js";
import { setupTelemetry, type TelemetryHandle } from "../src/setup/setup.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { pingChain } from "./helpers/langchain-fixtures.js";

let receiver: OtlpReceiver | undefined;
let telemetry: TelemetryHandle | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await receiver?.close();
  receiver = undefined;
});

type KeyValue = { key: string; value: Record<string, unknown> };
const text = (v: Record<string, unknown>): string => {
  const inner = Object.values(v)[0];
  return typeof inner === "string" ? inner : JSON.stringify(inner);
};
const bytes = (kvs: KeyValue[]) =>
  kvs.reduce((n, kv) => n + Buffer.byteLength(kv.key) + Buffer.byteLength(text(kv.value)), 0);

/** Loki's verdict on one OTLP/JSON logs request: the first line over a limit, or undefined. */
function lokiRejects(body: any): string | undefined {
  for (const rl of body.resourceLogs) {
    const resource: KeyValue[] = rl.resource.attributes;
    for (const sl of rl.scopeLogs) {
      for (const lr of sl.logRecords) {
        const fixed = 6; // scope_name, scope_version, trace_id, span_id, severity_text, severity_number
        const entries = resource.length + lr.attributes.length + fixed;
        const size = bytes(resource) + bytes(lr.attributes) + 200;
        if (entries > 128) return `${entries} > 128 entries`;
        if (size > 64 * 1024) return `${size} bytes > 64 KiB`;
      }
    }
  }
  return undefined;
}

const big = (i: number) => `${String(i).padStart(4, "0")}-${"v".repeat(1000)}`;

describe("the Loki record budget", () => {
  it("holds with 32 association properties (1 KB each) and 80 resource attributes", async () => {
    const rejected: string[] = [];
    receiver = await startOtlpReceiver({
      routes: {
        "/otlp/v1/logs": (r) => {
          const why = lokiRejects(r.json);
          if (why) rejected.push(why);
          return why ? { status: 400, body: why } : { status: 204 };
        },
      },
    });
    const resourceAttributes: Record<string, string> = {};
    for (let i = 0; i < 80; i++) resourceAttributes[`deployment.attr_${i}`] = `value-${i}`;
    const properties: Record<string, string> = {};
    for (let i = 0; i < 32; i++) properties[`prop_${i}`] = big(i);
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      global: false,
      resourceAttributes,
      traces: false,
      metrics: false,
      logs: { endpoint: `${receiver.url}/otlp` },
      captureContent: true,
      startupCheck: false,
      onWarning: (m) => warnings.push(m),
    });
    const handler = telemetry.handler;
    await withAssociationProperties(properties, async () => {
      for (let i = 0; i < 3; i++)
        await pingChain().invoke({ question: "x".repeat(20_000) }, { callbacks: [handler] });
    });
    await telemetry.forceFlush();

    const requests = receiver.requestsTo("/otlp/v1/logs");
    const records = requests.flatMap((r) =>
      r.json.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords)),
    );
    expect(records.length).toBeGreaterThan(0);
    expect(rejected).toEqual([]);
    expect(requests.every((r) => r.status === 204)).toBe(true);
    expect(requests[0].json.resourceLogs[0].resource.attributes.length).toBeGreaterThanOrEqual(80);
    for (const record of records) {
      expect(bytes(record.attributes)).toBeLessThanOrEqual(40 * 1024);
      // The conventions' attributes are kept first.
      const keys = record.attributes.map((kv: KeyValue) => kv.key);
      expect(keys).toContain("gen_ai.operation.name");
      // Association properties that fit are there; the processor added none on top.
      expect(
        keys.filter((k: string) => k.startsWith("langchain_otel.association.")).length,
      ).toBeGreaterThan(0);
    }
    const dropWarnings = warnings.filter((w) => w.startsWith("log records: attributes dropped"));
    expect(dropWarnings).toHaveLength(1);
    expect(dropWarnings[0]).toMatch(
      // 36 = 128 - 8 fixed - 84 resource attributes (the 80, service.name, 3 telemetry.sdk.*).
      /^log records: attributes dropped to fit the record budget \(36 entries, 40960 bytes, what a 128-entry \/ 64 KiB Loki line leaves after the resource attributes\): gen_ai\.client\.inference\.operation\.details lost langchain_otel\.association\.prop_\d+/,
    );
    await telemetry.shutdown();
    telemetry = undefined;
    expect(warnings.at(-1)).toMatch(
      /^log records: \d+ attributes dropped from \d+ records to fit the record budget\.$/,
    );
  });

  it("a record that fits is sent whole, with no warning", async () => {
    receiver = await startOtlpReceiver();
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      global: false,
      traces: false,
      metrics: false,
      logs: { endpoint: receiver.url },
      startupCheck: false,
      onWarning: (m) => warnings.push(m),
    });
    await withAssociationProperties({ user_id: "u-1", session_id: "s-1" }, () =>
      pingChain().invoke({ question: "ping" }, { callbacks: [telemetry!.handler] }),
    );
    await telemetry.forceFlush();
    const [record] = receiver
      .requestsTo("/v1/logs")
      .flatMap((r) => r.json.resourceLogs[0].scopeLogs[0].logRecords);
    const attrs = Object.fromEntries(
      record.attributes.map((kv: KeyValue) => [kv.key, text(kv.value)]),
    );
    expect(attrs["langchain_otel.association.user_id"]).toBe("u-1");
    expect(attrs["gen_ai.conversation.id"]).toBe("s-1");
    expect(warnings).toEqual([]);
  });

  it("association properties past the 32 allowed are warned through onWarning (no diag logger), once", async () => {
    const warnings: string[] = [];
    telemetry = setupTelemetry({
      global: false,
      traces: false,
      metrics: false,
      logs: false,
      onWarning: (m) => warnings.push(m),
    });
    const many: Record<string, string> = {};
    for (let i = 0; i < 34; i++) many[`p${i}`] = "v";
    for (let i = 0; i < 3; i++) withAssociationProperties(many, () => undefined);
    expect(warnings).toEqual([
      'association properties dropped (values must be strings, finite numbers or booleans; keys 1-64 characters; at most 32 properties): "p32", "p33". Further warnings of this kind are not repeated.',
    ]);
  });
});
