/**
 * Scripted chat models for tests: no network, deterministic output, and the provider data that
 * real chat models give LangChain (`usage_metadata`, `response_metadata.model_name`, a finish
 * reason, a response id, `ls_provider` / `ls_model_name`).
 *
 * Time is scripted too: each step of a reply advances a {@link TestClock} (which the test installs
 * as `performance.now`), so durations in metrics and log records are exact numbers.
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  BaseChatModel,
  type BaseChatModelParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { vi } from "vitest";

/** A settable clock standing in for `performance.now()` (milliseconds). */
export class TestClock {
  now = 1_000;
  advance(ms: number): void {
    this.now += ms;
  }
  /** Replaces `performance.now` with this clock until `vi.restoreAllMocks()`. */
  install(): this {
    vi.spyOn(performance, "now").mockImplementation(() => this.now);
    return this;
  }
}

/** One scripted reply. */
export interface ScriptedReply {
  text: string;
  inputTokens?: number;
  outputTokens?: number;
  /** `response_metadata.model_name` (what the provider says answered). */
  responseModel?: string;
  finishReason?: string;
  /** Provider response id (`message.id`). */
  id?: string;
  /** Milliseconds the whole call takes (non-streaming), advanced on the clock. */
  latencyMs?: number;
  /** Streaming: the text chunks, and the milliseconds before each one arrives. */
  chunks?: { text: string; afterMs: number }[];
  /** Throw this instead of answering (after `latencyMs`). */
  error?: Error;
}

export interface ScriptedChatModelParams extends BaseChatModelParams {
  /** Requested model (`invocation_params.model`, `ls_model_name`). */
  model: string;
  /** `ls_provider`. */
  provider?: string;
  /** Endpoint, reported as `server.address` / `server.port`. */
  baseURL?: string;
  replies: ScriptedReply[];
  clock?: TestClock;
}

/** A chat model that answers from a script, streaming or not. */
export class ScriptedChatModel extends BaseChatModel {
  readonly model: string;
  readonly provider: string;
  readonly baseURL: string | undefined;
  private readonly replies: ScriptedReply[];
  private readonly clock: TestClock | undefined;
  private next = 0;

  constructor(params: ScriptedChatModelParams) {
    super(params);
    this.model = params.model;
    this.provider = params.provider ?? "openai";
    this.baseURL = params.baseURL;
    this.replies = params.replies;
    this.clock = params.clock;
  }

  _llmType(): string {
    return "scripted";
  }

  override invocationParams(): Record<string, unknown> {
    return this.baseURL ? { model: this.model, baseURL: this.baseURL } : { model: this.model };
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return { ...super.getLsParams(options), ls_provider: this.provider, ls_model_name: this.model };
  }

  private take(): ScriptedReply {
    const reply = this.replies[Math.min(this.next, this.replies.length - 1)];
    this.next++;
    return reply;
  }

  private finalFields(reply: ScriptedReply) {
    const usage =
      reply.inputTokens !== undefined && reply.outputTokens !== undefined
        ? {
            input_tokens: reply.inputTokens,
            output_tokens: reply.outputTokens,
            total_tokens: reply.inputTokens + reply.outputTokens,
          }
        : undefined;
    const response_metadata: Record<string, unknown> = { model_provider: this.provider };
    if (reply.responseModel) response_metadata.model_name = reply.responseModel;
    if (reply.finishReason) response_metadata.finish_reason = reply.finishReason;
    return { usage_metadata: usage, response_metadata, id: reply.id };
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    const reply = this.take();
    this.clock?.advance(reply.latencyMs ?? 0);
    if (reply.error) throw reply.error;
    const message = new AIMessage({ content: reply.text, ...this.finalFields(reply) });
    return {
      generations: [
        {
          text: reply.text,
          message,
          generationInfo: reply.finishReason ? { finish_reason: reply.finishReason } : undefined,
        },
      ],
    };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const reply = this.take();
    const chunks = reply.chunks ?? [{ text: reply.text, afterMs: reply.latencyMs ?? 0 }];
    for (const c of chunks) {
      this.clock?.advance(c.afterMs);
      if (reply.error && c === chunks[chunks.length - 1]) throw reply.error;
      const chunk = new ChatGenerationChunk({
        text: c.text,
        message: new AIMessageChunk({ content: c.text }),
      });
      await runManager?.handleLLMNewToken(c.text, undefined, undefined, undefined, undefined, {
        chunk,
      });
      yield chunk;
    }
    // The usage chunk: empty text, as OpenAI sends it at the end of a stream.
    const fields = this.finalFields(reply);
    const last = new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({ content: "", ...fields }),
      generationInfo: reply.finishReason ? { finish_reason: reply.finishReason } : undefined,
    });
    await runManager?.handleLLMNewToken("", undefined, undefined, undefined, undefined, {
      chunk: last,
    });
    yield last;
  }
}
