/** Small LangChain pieces for tests: a fake chat model that reports token usage, and a prompt | model chain. */
import { AIMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";

/** `FakeListChatModel` whose answers carry `usage_metadata` (10 input, 5 output tokens), so the token histogram is recorded. */
export class UsageFakeChatModel extends FakeListChatModel {
  override _formatGeneration(text: string) {
    return {
      message: new AIMessage({ content: text, usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } }),
      text,
    };
  }
}

/** `prompt | model`, answering "pong". */
export function pingChain() {
  const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
  return prompt.pipe(new UsageFakeChatModel({ responses: ["pong"] }));
}
