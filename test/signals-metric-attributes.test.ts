/**
 * Every metric point's attributes (src/signals/metric-attributes.ts): model calls (shared,
 * frozen objects per combination), tools, agents and opted-in run metadata.
 */
import { describe, expect, it } from "vitest";
import {
  InferenceMetricAttributes,
  metadataMetricAttributes,
  operationMetricAttributes,
} from "../src/signals/metric-attributes.js";

const op = {
  operation: "chat",
  provider: "openai",
  requestModel: "gpt-4o-mini",
  serverAddress: "api.openai.com",
  serverPort: 443,
};

describe("model call metric attributes", () => {
  it("conventions attributes; one frozen object per combination, another with error.type", () => {
    const cache = new InferenceMetricAttributes();
    const a = cache.get(op, "gpt-4o-mini-2024", undefined);
    expect(a).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024",
      "server.address": "api.openai.com",
      "server.port": 443,
    });
    expect(Object.isFrozen(a)).toBe(true);
    expect(cache.get({ ...op }, "gpt-4o-mini-2024", undefined)).toBe(a);
    const failed = cache.get(op, undefined, "RateLimitError");
    expect(failed).not.toBe(a);
    expect(failed["error.type"]).toBe("RateLimitError");
    expect(failed["gen_ai.response.model"]).toBeUndefined();
  });

  it("opted-in metadata comes first and never overrides a conventions attribute (not cached)", () => {
    const cache = new InferenceMetricAttributes();
    const withMeta = { ...op, metricAttrs: { tenant: "a", "gen_ai.operation.name": "x" } };
    const a = cache.get(withMeta, undefined, undefined);
    expect(a.tenant).toBe("a");
    expect(a["gen_ai.operation.name"]).toBe("chat");
    expect(cache.get(withMeta, undefined, undefined)).not.toBe(a);
  });
});

describe("tool and agent metric attributes", () => {
  it("a tool: name, type function, calling agent, error", () => {
    expect(
      operationMetricAttributes(
        { operation: "execute_tool", name: "search", agentName: "support" },
        "TimeoutError",
      ),
    ).toEqual({
      "gen_ai.tool.name": "search",
      "gen_ai.tool.type": "function",
      "gen_ai.agent.name": "support",
      "error.type": "TimeoutError",
    });
  });

  it("an agent: its name", () => {
    expect(
      operationMetricAttributes({ operation: "invoke_agent", name: "support" }, undefined),
    ).toEqual({ "gen_ai.agent.name": "support" });
  });
});

describe("opted-in run metadata", () => {
  it("only the listed keys; strings cut at 256 characters; numbers and booleans as they are", () => {
    const out = metadataMetricAttributes(
      { tenant: "t".repeat(300), tier: 2, beta: true, obj: { a: 1 }, other: "x" },
      ["tenant", "tier", "beta", "obj", "missing"],
    );
    expect(Object.keys(out!)).toEqual(["tenant", "tier", "beta"]);
    expect((out!.tenant as string).length).toBe(256);
    expect(out!.tier).toBe(2);
    expect(out!.beta).toBe(true);
    expect(metadataMetricAttributes({ tenant: "a" }, [])).toBeUndefined();
  });
});
