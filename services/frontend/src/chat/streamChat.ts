// POST /api/chat with stream: true, read with the fetch-stream SSE parser: `data: {"delta":"..."}` lines, then
// `data: {"conversationId":"...","provider":"..."}` (with `"truncated":true` when the reply was cut at a message's size),
// then `data: [DONE]` (docs/api.md).

import type { ApiClient } from '../api';
import { readSse } from '../sse';
import type { ChatMessage, ChatResponse } from '../types';

export interface ChatMeta {
  readonly conversationId?: string;
  readonly provider?: string;
  /** The service cut the reply at a chat message's size (32 KiB). */
  readonly truncated?: boolean;
}

export interface StreamChatHandlers {
  /** A piece of the assistant's answer, in order. */
  readonly onDelta: (text: string) => void;
  /** The conversation id and provider, when the stream names them. */
  readonly onMeta: (meta: ChatMeta) => void;
}

export interface StreamChatResult {
  /** The whole answer. */
  readonly content: string;
  /** False when the stream ended without [DONE] (connection lost mid-answer). */
  readonly complete: boolean;
}

/** An error the chat service reported inside the stream (`data: {"error": "..."}`). */
export class ChatStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatStreamError';
  }
}

export async function streamChat(
  api: ApiClient,
  request: { readonly conversationId: string | null; readonly messages: readonly ChatMessage[] },
  handlers: StreamChatHandlers,
  signal?: AbortSignal,
): Promise<StreamChatResult> {
  const response = await api.chatStream(request, signal);
  let content = '';

  // A service (or a proxy) that ignored stream: true and answered with the whole JSON reply still works.
  if ((response.headers.get('Content-Type') ?? '').includes('json')) {
    const reply = (await response.json()) as ChatResponse;
    content = reply.message?.content ?? '';
    handlers.onDelta(content);
    const truncated = reply.truncated === true ? { truncated: true } : {};
    handlers.onMeta({ conversationId: reply.conversationId, provider: reply.provider, ...truncated });
    return { content, complete: true };
  }

  for await (const event of readSse(response.body!)) {
    if (event.event !== 'message') continue;
    const data = event.data.trim();
    if (data === '[DONE]') return { content, complete: true };
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      continue; // not JSON: nothing the contract sends; skip rather than lose the answer
    }
    if (typeof payload !== 'object' || payload === null) continue;
    const fields = payload as Record<string, unknown>;
    if (typeof fields.error === 'string') throw new ChatStreamError(fields.error);
    if (typeof fields.delta === 'string' && fields.delta !== '') {
      content += fields.delta;
      handlers.onDelta(fields.delta);
    }
    const meta: { conversationId?: string; provider?: string; truncated?: boolean } = {};
    if (typeof fields.conversationId === 'string') meta.conversationId = fields.conversationId;
    if (typeof fields.provider === 'string') meta.provider = fields.provider;
    if (fields.truncated === true) meta.truncated = true;
    if (Object.keys(meta).length > 0) handlers.onMeta(meta);
  }
  return { content, complete: false };
}
