/**
 * AzureChatOpenAI (@langchain/openai 1.6) against a local server on Azure OpenAI's path
 * (`/openai/deployments/<deployment>/chat/completions?api-version=...`): provider
 * `azure.ai.openai`, server address from `azureOpenAIEndpoint`, response model, finish reason.
 * Pinned upstream behaviour: `bindTools` / `withConfig` return a plain ChatOpenAI whose serialized
 * form has no Azure settings, so from the callbacks alone those calls have no server address; with
 * the model object (`noteModelInstance`) they have.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureChatOpenAI } from "@langchain/openai";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { startOpenAIMock, type OpenAIMock } from "./helpers/openai-mock.js";
import { telemetry } from "./helpers/agent-kit.js";
import { allTelemetryText, only } from "./helpers/spans.js";

const API_KEY = "azure-test-SECRET321";

let mock: OpenAIMock;
beforeAll(async () => {
  mock = await startOpenAIMock();
});
afterAll(async () => {
  await mock.close();
});

function model() {
  return new AzureChatOpenAI({
    model: "gpt-4o",
    azureOpenAIApiKey: API_KEY,
    azureOpenAIEndpoint: `http://127.0.0.1:${mock.port}`,
    azureOpenAIApiDeploymentName: "my-gpt4o",
    azureOpenAIApiVersion: "2024-10-21",
    maxRetries: 0,
    temperature: 0.2,
    maxTokens: 64,
  });
}

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string() }),
});

const REQUEST = {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "azure.ai.openai",
  "gen_ai.request.model": "gpt-4o",
  "gen_ai.request.temperature": 0.2,
  "gen_ai.request.max_tokens": 64,
};

describe("AzureChatOpenAI against an Azure OpenAI deployment path", () => {
  it("plain: provider azure.ai.openai, server from azureOpenAIEndpoint (span and metric points), response model and id, finish reason; the key only in the api-key header", async () => {
    mock.replies = [
      {
        content: "Hello!",
        id: "chatcmpl-az1",
        model: "gpt-4o-2024-11-20",
        usage: { prompt_tokens: 25, completion_tokens: 12 },
      },
    ];
    const t = telemetry();
    await model().invoke("Say hello", { callbacks: [t.handler] });
    const request = mock.requests.at(-1)!;
    expect(request.url).toBe(
      "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
    );
    expect(request.headers["api-key"]).toBe(API_KEY);
    expect(only(t.spans(), "chat gpt-4o").attributes).toEqual({
      ...REQUEST,
      "server.address": "127.0.0.1",
      "server.port": mock.port,
      "gen_ai.response.model": "gpt-4o-2024-11-20",
      "gen_ai.response.id": "chatcmpl-az1",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 25,
      "gen_ai.usage.output_tokens": 12,
      "gen_ai.usage.cache_read.input_tokens": 0,
      "gen_ai.usage.reasoning.output_tokens": 0,
    });
    for (const p of await t.points("gen_ai.client.operation.duration"))
      expect(p.attributes).toMatchObject({
        "gen_ai.provider.name": "azure.ai.openai",
        "server.address": "127.0.0.1",
        "server.port": mock.port,
      });
    expect(allTelemetryText(t.spans())).not.toContain("SECRET321");
    await t.shutdown();
  });

  it("bindTools and withConfig: still Azure (provider from ls_provider); pinned: LangChain reports them serialized as a ChatOpenAI without the Azure settings", async () => {
    mock.replies = [
      {
        content: "Hello!",
        id: "chatcmpl-az2",
        model: "gpt-4o-2024-11-20",
        usage: { prompt_tokens: 25, completion_tokens: 12 },
      },
    ];
    const t = telemetry();
    const serialized: { id?: string[]; kwargs?: Record<string, unknown> }[] = [];
    const seen = BaseCallbackHandler.fromMethods({
      handleChatModelStart(llm) {
        serialized.push(llm as (typeof serialized)[number]);
      },
    });
    seen.awaitHandlers = true;
    await model()
      .bindTools([weather])
      .invoke("hi", { callbacks: [t.handler, seen] });
    await model()
      .withConfig({ tags: ["x"] })
      .invoke("hi", { callbacks: [t.handler, seen] });
    // Both calls went to the Azure deployment...
    expect(mock.requests.slice(-2).map((r) => r.url)).toEqual([
      "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
      "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
    ]);
    // ...but what the callbacks are given is a ChatOpenAI without azure_endpoint, so the
    // settings name no server (the next test: the model object does). When this fails,
    // @langchain/openai fixed it: expect server.* from the settings here.
    for (const llm of serialized) {
      expect(llm.id?.at(-1)).toBe("ChatOpenAI");
      expect(llm.kwargs).not.toHaveProperty("azure_endpoint");
      expect(llm.kwargs).not.toHaveProperty("deployment_name");
    }
    expect(serialized).toHaveLength(2);
    const spans = t.spans().filter((s) => s.name === "chat gpt-4o");
    expect(spans.map((s) => s.attributes["gen_ai.provider.name"])).toEqual([
      "azure.ai.openai",
      "azure.ai.openai",
    ]);
    await t.shutdown();
  });

  it("bindTools with the model object (noteModelInstance, as a wrapper of the model call passes it): the server from the Azure settings kept in the model's fields", async () => {
    mock.replies = [
      {
        content: "Hi",
        id: "chatcmpl-az3",
        model: "gpt-4o-2024-11-20",
        usage: { prompt_tokens: 5, completion_tokens: 1 },
      },
    ];
    const t = telemetry();
    const bound = model().bindTools([weather]);
    // Stands in for a wrapper of the model call: hands the handler the model object of the run.
    const noter = BaseCallbackHandler.fromMethods({
      handleChatModelStart(_llm, _messages, runId) {
        t.handler.noteModelInstance(runId, bound);
      },
    });
    noter.awaitHandlers = true; // inline, right after our handler's start
    await bound.invoke("hi", { callbacks: [t.handler, noter] });
    const span = only(t.spans(), "chat gpt-4o");
    expect(span.attributes["server.address"]).toBe("127.0.0.1");
    expect(span.attributes["server.port"]).toBe(mock.port);
    for (const p of await t.points("gen_ai.client.token.usage"))
      expect(p.attributes).toMatchObject({
        "server.address": "127.0.0.1",
        "server.port": mock.port,
      });
    await t.shutdown();
  });
});
