/**
 * setupTelemetry() puts the association processors first: a span or log record that another
 * instrumentation (or the app) starts inside withAssociationProperties() carries the properties,
 * and a span started outside the scope does not.
 */
import { trace } from "@opentelemetry/api";
import { logs, SeverityNumber } from "@opentelemetry/api-logs";
import { InMemoryLogRecordExporter } from "@opentelemetry/sdk-logs";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-node";
import { expect, it } from "vitest";
import { withAssociationProperties } from "../src/annotate/association.js";
import { setupTelemetry } from "../src/setup/setup.js";

it("spans and log records of any instrumentation inside the scope carry the association properties", async () => {
  const spans = new InMemorySpanExporter();
  const records = new InMemoryLogRecordExporter();
  const telemetry = setupTelemetry({
    disableBatch: true,
    global: false,
    traces: { exporter: spans },
    metrics: false,
    logs: { exporter: records },
  });
  try {
    const tracer = trace.getTracer("some-http-instrumentation");
    await withAssociationProperties({ user_id: "u-42", session_id: "s-7" }, async () => {
      tracer.startSpan("GET /weather").end();
      logs
        .getLogger("app")
        .emit({ severityNumber: SeverityNumber.INFO, body: "looked up the weather" });
    });
    tracer.startSpan("outside").end();
    await telemetry.forceFlush();

    const [inside, outside] = spans.getFinishedSpans();
    expect(inside.name).toBe("GET /weather");
    expect(inside.attributes["langchain_otel.association.user_id"]).toBe("u-42");
    expect(inside.attributes["langchain_otel.association.session_id"]).toBe("s-7");
    expect(inside.attributes["gen_ai.conversation.id"]).toBe("s-7");
    expect(outside.name).toBe("outside");
    expect(Object.keys(outside.attributes)).toEqual([]);

    const [record] = records.getFinishedLogRecords();
    expect(record.body).toBe("looked up the weather");
    expect(record.attributes["langchain_otel.association.user_id"]).toBe("u-42");
  } finally {
    await telemetry.shutdown();
  }
});
