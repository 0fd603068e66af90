import type { GuardrailRequest } from './guardrail.js';

/** A request to the emulated model, whichever API (InvokeModel or Converse) it came through. */
export interface ModelPrompt {
  /** All system text, blocks joined by blank lines. */
  readonly system: string;
  /**
   * The system text up to and including the last cache point, when the request marks one
   * (`cache_control` on a block, or a `cachePoint` block).
   */
  readonly cachedSystemPrefix: string | undefined;
  readonly messages: readonly PromptMessage[];
  /** Output limit; `undefined` lets the model answer in full. */
  readonly maxTokens: number | undefined;
  /** The guardrail a Converse request asked for. */
  readonly guardrail?: GuardrailRequest;
}

export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

/** The text of the last user turn: what the model is answering. */
export function lastUserText(prompt: ModelPrompt): string {
  for (let index = prompt.messages.length - 1; index >= 0; index -= 1) {
    const message = prompt.messages[index];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

/** Everything the model reads (system and every turn), the text scripts are matched against. */
export function fullPromptText(prompt: ModelPrompt): string {
  return [prompt.system, ...prompt.messages.map((message) => message.text)]
    .filter((part) => part !== '')
    .join('\n\n');
}
