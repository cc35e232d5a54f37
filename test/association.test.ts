import { context, diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { traceTask, traceWorkflow } from "../src/annotate/annotate.js";
import {
  ASSOCIATION_KEY,
  AssociationLogRecordProcessor,
  AssociationSpanProcessor,
  getAssociationAttributes,
  getAssociationProperties,
  MAX_ASSOCIATION_PROPERTIES,
  MAX_ASSOCIATION_VALUE_LENGTH,
  setAssociationProperties,
  withAssociationProperties,
  type AssociationProperties,
} from "../src/annotate/association.js";
import { OpenTelemetryCallbackHandler } from "../src/handler/handler.js";
import { only } from "./helpers/spans.js";

const exporter = new InMemorySpanExporter();
// The association processor first, as documented; it only adds attributes at start.
const provider = new NodeTracerProvider({
  spanProcessors: [new AssociationSpanProcessor(), new SimpleSpanProcessor(exporter)],
});
const tracerProvider = provider;
const otherInstrumentation = provider.getTracer("some-http-instrumentation");

const logExporter = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({
  processors: [
    new AssociationLogRecordProcessor(),
    new SimpleLogRecordProcessor({ exporter: logExporter }),
  ],
});

const warnings: string[] = [];
const diagLogger: DiagLogger = {
  error: () => {},
  warn: (msg: string) => void warnings.push(msg),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  diag.setLogger(diagLogger, DiagLogLevel.WARN);
});
afterEach(() => {
  exporter.reset();
  logExporter.reset();
  warnings.length = 0;
});
afterAll(async () => {
  await provider.shutdown();
  await loggerProvider.shutdown();
  diag.disable();
  context.disable();
});

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}
function byName(name: string): ReadableSpan {
  return only(spans(), name);
}
/** The attributes the association set on the active context (for the validation tests). */
function inScope(props: AssociationProperties): Record<string, unknown> {
  return withAssociationProperties(props, () => ({
    ...getAssociationAttributes(context.active()),
  }));
}

describe("withAssociationProperties", () => {
  it("runs fn with thisArg and arguments and returns its value", () => {
    const self = { k: 2 };
    const out = withAssociationProperties(
      { user_id: "u1" },
      function (this: { k: number }, a: number, b: number) {
        return this.k * (a + b);
      },
      self,
      3,
      4,
    );
    expect(out).toBe(14);
  });

  it("annotated spans started in the scope carry langchain_otel.association.<key>", async () => {
    await withAssociationProperties(
      { user_id: "u-42", tenant: "acme", premium: true, tier: 3 },
      () => traceWorkflow("w", async () => "ok", { tracerProvider })(),
    );
    const attrs = byName("invoke_workflow w").attributes;
    expect(attrs["langchain_otel.association.user_id"]).toBe("u-42");
    expect(attrs["langchain_otel.association.tenant"]).toBe("acme");
    expect(attrs["langchain_otel.association.premium"]).toBe(true);
    expect(attrs["langchain_otel.association.tier"]).toBe(3);
  });

  it("AssociationSpanProcessor puts them on spans of other instrumentations started in the scope, across awaits", async () => {
    await withAssociationProperties({ user_id: "u-7" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      otherInstrumentation.startSpan("GET /inventory").end();
    });
    otherInstrumentation.startSpan("outside").end();
    expect(byName("GET /inventory").attributes).toEqual({
      "langchain_otel.association.user_id": "u-7",
    });
    expect(byName("outside").attributes).toEqual({});
  });

  it("the processor keeps an attribute the span was started with", () => {
    withAssociationProperties({ session_id: "from-scope" }, () => {
      otherInstrumentation
        .startSpan("own", { attributes: { "gen_ai.conversation.id": "own-id" } })
        .end();
    });
    expect(byName("own").attributes).toEqual({
      "gen_ai.conversation.id": "own-id",
      "langchain_otel.association.session_id": "from-scope",
    });
  });

  it("nested scopes merge, the inner value wins, and the outer scope is intact afterwards", () => {
    withAssociationProperties({ user_id: "outer", tenant: "acme" }, () => {
      withAssociationProperties({ user_id: "inner", request_id: "r1" }, () => {
        expect(getAssociationProperties()).toEqual({
          user_id: "inner",
          tenant: "acme",
          request_id: "r1",
        });
      });
      expect(getAssociationProperties()).toEqual({ user_id: "outer", tenant: "acme" });
    });
    expect(getAssociationProperties()).toEqual({});
  });

  it("a wrapper's associationProperties option applies to its span and to everything inside it", () => {
    const inner = traceTask("inner", () => 1, { tracerProvider });
    withAssociationProperties({ user_id: "u1" }, () =>
      traceWorkflow("w", () => inner(), {
        tracerProvider,
        associationProperties: { tenant: "t1" },
      })(),
    );
    for (const name of ["invoke_workflow w", "task inner"]) {
      expect(byName(name).attributes["langchain_otel.association.user_id"]).toBe("u1");
      expect(byName(name).attributes["langchain_otel.association.tenant"]).toBe("t1");
    }
  });

  it("setAssociationProperties returns a new context and leaves the given one unchanged", () => {
    const base = context.active();
    const ctx = setAssociationProperties(base, { user_id: "u" });
    expect(ctx).not.toBe(base);
    expect(base.getValue(ASSOCIATION_KEY)).toBeUndefined();
    expect(getAssociationAttributes(ctx)).toEqual({ "langchain_otel.association.user_id": "u" });
  });
});

describe("gen_ai.conversation.id", () => {
  it.each([
    ["conversation_id", { conversation_id: "c1" }, "c1"],
    ["session_id", { session_id: "s1" }, "s1"],
    ["thread_id", { thread_id: "t1" }, "t1"],
    ["sessionId (camelCase)", { sessionId: "s2" }, "s2"],
    ["a number", { thread_id: 17 }, "17"],
  ])("is set from %s", (_label, props, expected) => {
    expect(inScope(props)["gen_ai.conversation.id"]).toBe(expected);
  });

  it("prefers conversation_id over session_id over thread_id, also across nested scopes", () => {
    expect(
      inScope({ thread_id: "t", session_id: "s", conversation_id: "c" })["gen_ai.conversation.id"],
    ).toBe("c");
    expect(inScope({ thread_id: "t", session_id: "s" })["gen_ai.conversation.id"]).toBe("s");
    withAssociationProperties({ session_id: "s" }, () => {
      expect(inScope({ thread_id: "t" })["gen_ai.conversation.id"]).toBe("s");
    });
  });

  it("is not set without such a key", () => {
    expect(inScope({ user_id: "u" })["gen_ai.conversation.id"]).toBeUndefined();
  });
});

describe("validation", () => {
  it("drops non-primitive and non-finite values with one diag warning naming them", () => {
    const attrs = inScope({
      ok: "yes",
      obj: { a: 1 } as unknown as string,
      arr: [1, 2] as unknown as string,
      fn: (() => 1) as unknown as string,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      big: 10n as unknown as number,
      sym: Symbol("s") as unknown as string,
    });
    expect(attrs).toEqual({ "langchain_otel.association.ok": "yes" });
    expect(warnings).toHaveLength(1);
    for (const key of ["obj", "arr", "fn", "nan", "inf", "big", "sym"])
      expect(warnings[0]).toContain(`"${key}"`);
  });

  it("skips null and undefined silently", () => {
    expect(inScope({ a: null, b: undefined, c: "c" })).toEqual({
      "langchain_otel.association.c": "c",
    });
    expect(warnings).toEqual([]);
  });

  it("sanitises keys to [a-zA-Z0-9_.-] and drops empty or over-long keys", () => {
    const attrs = inScope({
      "user id!": "a",
      "tenant.name-x_1": "b",
      "": "c",
      ["k".repeat(65)]: "d",
      ["k".repeat(64)]: "e",
    });
    expect(attrs).toEqual({
      "langchain_otel.association.user_id_": "a",
      "langchain_otel.association.tenant.name-x_1": "b",
      [`langchain_otel.association.${"k".repeat(64)}`]: "e",
    });
    expect(warnings).toHaveLength(1);
  });

  it(`cuts string values at ${MAX_ASSOCIATION_VALUE_LENGTH} characters`, () => {
    const attrs = inScope({ note: "x".repeat(MAX_ASSOCIATION_VALUE_LENGTH + 500) });
    expect(attrs["langchain_otel.association.note"]).toBe("x".repeat(MAX_ASSOCIATION_VALUE_LENGTH));
  });

  it("never splits a surrogate pair when cutting a value", () => {
    const value = "x".repeat(MAX_ASSOCIATION_VALUE_LENGTH - 1) + "😀" + "y";
    const attrs = inScope({ note: value });
    expect(attrs["langchain_otel.association.note"]).toBe(
      "x".repeat(MAX_ASSOCIATION_VALUE_LENGTH - 1),
    );
  });

  it(`keeps at most ${MAX_ASSOCIATION_PROPERTIES} properties, nested scopes counted together, overriding allowed`, () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < MAX_ASSOCIATION_PROPERTIES - 2; i++) many[`k${i}`] = "v";
    withAssociationProperties(many, () => {
      const attrs = inScope({ k0: "override", extra1: "1", extra2: "2", extra3: "3" });
      const keys = Object.keys(attrs);
      expect(keys).toHaveLength(MAX_ASSOCIATION_PROPERTIES);
      expect(attrs["langchain_otel.association.k0"]).toBe("override");
      expect(attrs["langchain_otel.association.extra3"]).toBeUndefined();
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"extra3"');
  });

  it("never throws: a non-object is ignored with a warning and fn still runs", () => {
    for (const bad of [null, "str", 5, ["a"]]) {
      expect(withAssociationProperties(bad as unknown as AssociationProperties, () => "ran")).toBe(
        "ran",
      );
    }
    expect(warnings).toHaveLength(4);
    expect(getAssociationProperties()).toEqual({});
  });

  it("an object with a throwing getter is ignored with a warning", () => {
    const hostile = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    expect(withAssociationProperties(hostile, () => getAssociationProperties())).toEqual({});
    expect(warnings).toHaveLength(1);
  });
});

describe("AssociationLogRecordProcessor", () => {
  const logger = loggerProvider.getLogger("app");

  it("puts the properties of the emit context on log records", () => {
    withAssociationProperties({ user_id: "u-9", session_id: "s-9" }, () => {
      logger.emit({ body: "hello", attributes: { level: "info" } });
    });
    logger.emit({ body: "outside" });
    const [inside, outside] = logExporter.getFinishedLogRecords();
    expect(inside.attributes).toEqual({
      level: "info",
      "langchain_otel.association.user_id": "u-9",
      "langchain_otel.association.session_id": "s-9",
      "gen_ai.conversation.id": "s-9",
    });
    expect(outside.attributes).toEqual({});
  });

  it("uses a context passed explicitly to emit, and keeps attributes the record already has", () => {
    const ctx = setAssociationProperties(context.active(), {
      user_id: "explicit",
      conversation_id: "c",
    });
    logger.emit({ body: "x", context: ctx, attributes: { "gen_ai.conversation.id": "own" } });
    expect(logExporter.getFinishedLogRecords()[0].attributes).toEqual({
      "gen_ai.conversation.id": "own",
      "langchain_otel.association.user_id": "explicit",
      "langchain_otel.association.conversation_id": "c",
    });
  });
});

describe("with LangChain and OpenTelemetryCallbackHandler", () => {
  /** A request: workflow wrapper > chain (chat model, then a tool that calls a wrapped task). */
  function buildApp(handler: OpenTelemetryCallbackHandler) {
    const model = new FakeListChatModel({ responses: ["draft"] });
    const lookup = traceTask(
      "lookup",
      async (q: string) => {
        await new Promise((r) => setTimeout(r, q.length % 3));
        otherInstrumentation.startSpan("db.query").end();
        return `found:${q}`;
      },
      { tracerProvider },
    );
    const search = tool(async ({ q }: { q: string }) => lookup(q), {
      name: "search",
      description: "search",
      schema: z.object({ q: z.string() }),
    });
    const chain = RunnableLambda.from(async (q: string) => {
      const draft = await model.invoke(q);
      return search.invoke({ q: `${q}:${String(draft.content)}` });
    }).withConfig({ runName: "answer" });
    return traceWorkflow(
      "request",
      async (q: string) => chain.invoke(q, { callbacks: [handler] }),
      { tracerProvider },
    );
  }

  it("every span of the request carries the properties: wrappers, the handler's LangChain spans, other instrumentations", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      metrics: false,
      logs: false,
    });
    const app = buildApp(handler);
    await withAssociationProperties({ user_id: "u-1", session_id: "s-1" }, () => app("q"));
    expect(spans().filter((s) => s.attributes["gen_ai.operation.name"] === "chat")).toHaveLength(1);
    const others = spans().filter((s) => s.attributes["gen_ai.operation.name"] !== "chat");
    expect(others.map((s) => s.name).sort()).toEqual(
      [
        "db.query",
        "execute_tool search",
        "invoke_workflow answer",
        "invoke_workflow request",
        "task lookup",
      ].sort(),
    );
    for (const span of spans()) {
      expect(span.attributes["langchain_otel.association.user_id"], span.name).toBe("u-1");
      expect(span.attributes["gen_ai.conversation.id"], span.name).toBe("s-1");
    }
  });

  it("20 concurrent requests with different user ids: every span carries its own request's id, none another's", async () => {
    const handler = new OpenTelemetryCallbackHandler({
      tracerProvider,
      metrics: false,
      logs: false,
    });
    const app = buildApp(handler);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withAssociationProperties({ user_id: `user-${i}` }, () => app(`q${i}`)),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `found:q${i}:draft`));
    const traces = new Map<string, ReadableSpan[]>();
    for (const span of spans()) {
      const id = span.spanContext().traceId;
      traces.set(id, [...(traces.get(id) ?? []), span]);
    }
    expect(traces.size).toBe(20);
    const seen = new Set<string>();
    for (const group of traces.values()) {
      expect(group).toHaveLength(6);
      const root = group.find((s) => s.name === "invoke_workflow request");
      const user = root?.attributes["langchain_otel.association.user_id"] as string;
      expect(user).toMatch(/^user-\d+$/);
      seen.add(user);
      for (const span of group)
        expect(
          span.attributes["langchain_otel.association.user_id"],
          `${span.name} of ${user}`,
        ).toBe(user);
    }
    expect(seen.size).toBe(20);
    expect(handler.openRunCount).toBe(0);
  });
});

describe("outside any scope", () => {
  it("no association attributes are added to spans", () => {
    traceTask("t", () => 1, { tracerProvider })();
    expect(byName("task t").attributes).toEqual({
      "langchain_otel.span.kind": "task",
      "langchain_otel.task.name": "t",
    });
  });
});
