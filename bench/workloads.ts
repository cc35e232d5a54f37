/**
 * The benchmark workloads, on a fake chat model that answers instantly but reports what a real
 * provider reports (usage_metadata, response_metadata, model name, tool calls), so every
 * handler's full code path (tokens, metrics, response attributes) is exercised.
 */
import type { Callbacks } from "@langchain/core/callbacks/manager";
import {
  BaseChatModel,
  type BaseChatModelParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { z } from "zod";

const MODEL = "bench-model-1";
const ANSWER = "Paris is the capital of France; it is sunny there and it is noon.";
const USAGE = { input_tokens: 42, output_tokens: 17, total_tokens: 59 };

/**
 * A chat model with no I/O. `invoke` answers {@link ANSWER} with usage; `stream` yields it in
 * `streamChunks` pieces, usage on the last one. Bound to tools (agent), it calls `get_weather`,
 * then `get_time`, then answers, deciding from the number of tool results in its input so it is
 * stateless (safe under concurrency).
 */
export class BenchChatModel extends BaseChatModel {
  streamChunks: number;
  private toolsBound = false;

  constructor(fields: BaseChatModelParams & { streamChunks?: number } = {}) {
    super(fields);
    this.streamChunks = fields.streamChunks ?? 50;
  }

  _llmType(): string {
    return "bench";
  }

  override invocationParams(): Record<string, unknown> {
    return { model: MODEL, temperature: 0, max_tokens: 256 };
  }

  override getLsParams(): any {
    return {
      ls_provider: "openai",
      ls_model_name: MODEL,
      ls_model_type: "chat",
      ls_temperature: 0,
      ls_max_tokens: 256,
    };
  }

  override bindTools(): any {
    const bound = new BenchChatModel({ streamChunks: this.streamChunks });
    bound.toolsBound = true;
    return bound;
  }

  private reply(messages: BaseMessage[]): AIMessage {
    const responseMeta = { model_name: MODEL, model_provider: "openai", finish_reason: "stop" };
    if (this.toolsBound) {
      const toolResults = messages.filter((m) => m.getType() === "tool").length;
      if (toolResults < 2) {
        const call =
          toolResults === 0
            ? {
                name: "get_weather",
                args: { city: "Paris" },
                id: "call_weather",
                type: "tool_call" as const,
              }
            : {
                name: "get_time",
                args: { city: "Paris" },
                id: "call_time",
                type: "tool_call" as const,
              };
        return new AIMessage({
          content: "",
          tool_calls: [call],
          usage_metadata: USAGE,
          response_metadata: { ...responseMeta, finish_reason: "tool_calls" },
        });
      }
    }
    return new AIMessage({
      content: ANSWER,
      usage_metadata: USAGE,
      response_metadata: responseMeta,
    });
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const message = this.reply(messages);
    return {
      generations: [{ text: typeof message.content === "string" ? message.content : "", message }],
      llmOutput: {},
    };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const n = this.streamChunks;
    const piece = Math.ceil(ANSWER.length / n);
    for (let i = 0; i < n; i++) {
      const text = ANSWER.slice(i * piece, (i + 1) * piece) || " ";
      const last = i === n - 1;
      const chunk = new ChatGenerationChunk({
        text,
        message: new AIMessageChunk({
          content: text,
          ...(last
            ? {
                usage_metadata: USAGE,
                response_metadata: {
                  model_name: MODEL,
                  model_provider: "openai",
                  finish_reason: "stop",
                },
              }
            : {}),
        }),
        ...(last ? { generationInfo: { finish_reason: "stop" } } : {}),
      });
      yield chunk;
      await runManager?.handleLLMNewToken(
        text,
        { prompt: 0, completion: 0 },
        undefined,
        undefined,
        undefined,
        { chunk },
      );
    }
  }
}

/** `ChatPromptTemplate | BenchChatModel | StringOutputParser`: four runs per invoke. */
export function buildChain(streamChunks = 50) {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "You are a terse geography assistant."],
    ["human", "{question}"],
  ]);
  return prompt.pipe(new BenchChatModel({ streamChunks })).pipe(new StringOutputParser());
}

export type Chain = ReturnType<typeof buildChain>;

const INPUT = { question: "What is the capital of France, and what is the weather there?" };

export function buildAgent() {
  const getWeather = tool(async ({ city }: { city: string }) => `It is sunny in ${city}.`, {
    name: "get_weather",
    description: "Current weather in a city.",
    schema: z.object({ city: z.string() }),
  });
  const getTime = tool(async ({ city }: { city: string }) => `It is noon in ${city}.`, {
    name: "get_time",
    description: "Current local time in a city.",
    schema: z.object({ city: z.string() }),
  });
  return createAgent({
    model: new BenchChatModel(),
    tools: [getWeather, getTime],
    name: "geo_agent",
  });
}

export type Agent = ReturnType<typeof buildAgent>;

export async function invokeOnce(chain: Chain, callbacks: Callbacks | undefined): Promise<string> {
  return chain.invoke(INPUT, { callbacks });
}

export async function streamOnce(chain: Chain, callbacks: Callbacks | undefined): Promise<number> {
  let n = 0;
  for await (const _chunk of await chain.stream(INPUT, { callbacks })) n++;
  return n;
}

export async function agentOnce(agent: Agent, callbacks: Callbacks | undefined): Promise<number> {
  const out = await agent.invoke(
    { messages: [{ role: "user", content: INPUT.question }] },
    { callbacks },
  );
  return out.messages.length;
}
