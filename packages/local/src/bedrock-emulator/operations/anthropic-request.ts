import * as z from 'zod';
import type { ModelPrompt } from '../model/model-prompt.js';
import { parseRequestBody } from './validation.js';

const textBlock = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: z.object({ type: z.string() }).optional(),
});

// Image and tool blocks are accepted but carry no text the local model reads.
const contentBlock = z.union([textBlock, z.looseObject({ type: z.string() })]);

/** The Anthropic Messages body InvokeModel takes for Claude models on Bedrock. */
export const anthropicRequestSchema = z.object({
  anthropic_version: z.string(),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(contentBlock)]),
      }),
    )
    .min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().optional(),
  top_k: z.number().optional(),
  stop_sequences: z.array(z.string()).optional(),
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
