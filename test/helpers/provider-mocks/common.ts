/** What every provider mock answers from: a scripted reply, in each provider's own vocabulary. */
export interface ToolCallReply {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ProviderReply {
  text?: string;
  toolCalls?: ToolCallReply[];
  /** The provider's own finish value (`end_turn`, `STOP`, `stop`, `completed`, ...). */
  finish?: string;
  /** The served model, as the provider names it in the response. */
  model?: string;
  /** The provider's response id. */
  id?: string;
  /** Streaming: the text pieces (default: the text split in 3). */
  chunks?: string[];
}

/** `text` split in up to 3 pieces (what a stream sends when a reply names no chunks). */
export function piecesOf(reply: ProviderReply): string[] {
  if (reply.chunks) return reply.chunks;
  const text = reply.text ?? "";
  if (!text) return [];
  const a = Math.ceil(text.length / 3);
  const b = Math.ceil((2 * text.length) / 3);
  return [text.slice(0, a), text.slice(a, b), text.slice(b)].filter(Boolean);
}

/** Replies served in order; the last one repeats. */
export class Script<R> {
  private served = 0;
  constructor(public replies: R[] = []) {}
  set(...replies: R[]): void {
    this.replies = replies;
    this.served = 0;
  }
  next(): R {
    const r = this.replies[Math.min(this.served++, this.replies.length - 1)];
    if (r === undefined) throw new Error("mock has no reply scripted");
    return r;
  }
}
