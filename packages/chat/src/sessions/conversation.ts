import type { ChatMessage } from '@mangaassist/fm-gateway';
import type { SessionTurn } from './session-store.js';

/** MangaAssist's system prompt (seed 002 §1.3). */
export const mangaAssistSystemPrompt = `You are MangaAssist, a helpful chatbot for a Japanese manga store.
You help customers find manga, answer questions about series and authors,
provide recommendations, and assist with orders. Always respond in the
language the customer uses. For Japanese customers, use polite keigo (敬語)
by default. You have access to the store's catalog and can reference
specific titles, ISBNs, and pricing.`;

/** The system prompt for a request: the deployment's prompt, then the caller's own instructions. */
export function systemPromptFor(custom?: string, base: string = mangaAssistSystemPrompt): string {
  return custom ? `${base}\n\n${custom}` : base;
}

/**
 * The messages sent to the model: the last `maxHistoryMessages` stored turns, then the new
 * messages. Bedrock wants a conversation that starts with the user and alternates, so leading
 * assistant turns are dropped and consecutive turns of one role are joined (a blank line apart).
 */
export function buildConversation(
  history: readonly SessionTurn[],
  messages: readonly ChatMessage[],
  maxHistoryMessages = 10,
): ChatMessage[] {
  const recent = maxHistoryMessages > 0 ? history.slice(-maxHistoryMessages) : [];
  const combined: ChatMessage[] = [];
  for (const { role, content } of [...recent, ...messages]) {
    const previous = combined.at(-1);
    if (!previous && role !== 'user') continue;
    if (previous?.role === role)
      combined[combined.length - 1] = { role, content: `${previous.content}\n\n${content}` };
    else combined.push({ role, content });
  }
  return combined;
}

/**
 * Where the new messages begin in `buildConversation(history, messages, maxHistoryMessages)`:
 * the index of the first message holding any of them (one merged with the last stored turn
 * counts as new). What is before it was stored, and checked, on an earlier turn.
 */
export function newInputFrom(
  history: readonly SessionTurn[],
  messages: readonly ChatMessage[],
  maxHistoryMessages = 10,
): number {
  const stored = buildConversation(history, [], maxHistoryMessages);
  const merged = stored.length > 0 && stored.at(-1)?.role === messages[0]?.role;
  return merged ? stored.length - 1 : stored.length;
}
