import * as z from 'zod/mini';
import type { ModelPrompt } from '../model/model-prompt.js';
import { parseRequestBody } from './validation.js';

const textBlock = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: z.optional(z.object({ type: z.string() })),
});

// Image and tool blocks are accepted but carry no text the local model reads.
const contentBlock = z.union([textBlock, z.looseObject({ type: z.string() })]);

/** The Anthropic Messages body InvokeModel takes for Claude models on Bedrock. */
export const anthropicRequestSchema = z.object({
  anthropic_version: z.string(),
  max_tokens: z.int().check(z.positive()),
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(contentBlock)]),
      }),
    )
    .check(z.minLength(1)),
  system: z.optional(z.union([z.string(), z.array(textBlock)])),
  temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  top_p: z.optional(z.number()),
  top_k: z.optional(z.number()),
  stop_sequences: z.optional(z.array(z.string())),
});

type ContentBlock = z.output<typeof contentBlock>;

function textOf(content: string | readonly ContentBlock[]): string {
  if (typeof content === 'string') return content;
  return content
    .map((block) => ('text' in block && typeof block.text === 'string' ? block.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}

/**
 * Reads an InvokeModel body as a prompt.
 * @throws EmulatedServiceError ValidationException when the body is not an Anthropic request.
 */
export function anthropicPrompt(body: unknown): ModelPrompt {
  const request = parseRequestBody(anthropicRequestSchema, body);
  const systemBlocks =
    request.system === undefined
      ? []
      : typeof request.system === 'string'
        ? [{ text: request.system }]
        : request.system;
  const lastCached = systemBlocks.findLastIndex((block) => 'cache_control' in block && block.cache_control);
  return {
    system: systemBlocks.map((block) => block.text).join('\n\n'),
    cachedSystemPrefix:
      lastCached < 0
        ? undefined
        : systemBlocks
            .slice(0, lastCached + 1)
            .map((block) => block.text)
            .join('\n\n'),
    messages: request.messages.map((message) => ({ role: message.role, text: textOf(message.content) })),
    maxTokens: request.max_tokens,
  };
}
