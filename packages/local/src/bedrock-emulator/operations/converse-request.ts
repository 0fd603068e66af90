import * as z from 'zod/mini';
import type { ModelPrompt } from '../model/model-prompt.js';
import { parseRequestBody } from './validation.js';

const cachePointBlock = z.object({ cachePoint: z.object({ type: z.string() }) });

// Image, document and tool blocks are accepted but carry no text the local model reads.
const contentBlock = z.looseObject({ text: z.optional(z.string()) });

/** The Converse / ConverseStream request body. */
export const converseRequestSchema = z.object({
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.array(contentBlock).check(z.minLength(1)),
      }),
    )
    .check(z.minLength(1)),
  system: z.optional(z.array(z.union([z.object({ text: z.string() }), cachePointBlock, z.looseObject({})]))),
  inferenceConfig: z.optional(
    z.object({
      maxTokens: z.optional(z.int().check(z.positive())),
      temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
      topP: z.optional(z.number()),
      stopSequences: z.optional(z.array(z.string())),
    }),
  ),
});

/**
 * Reads a Converse body as a prompt.
 * @throws EmulatedServiceError ValidationException when the body is not a Converse request.
 */
export function conversePrompt(body: unknown): ModelPrompt {
  const request = parseRequestBody(converseRequestSchema, body);
  const system = request.system ?? [];
  const systemTexts = (blocks: typeof system) =>
    blocks.flatMap((block) => ('text' in block && typeof block.text === 'string' ? [block.text] : []));
  const lastCachePoint = system.findLastIndex((block) => 'cachePoint' in block);
  return {
    system: systemTexts(system).join('\n\n'),
    cachedSystemPrefix:
      lastCachePoint < 0 ? undefined : systemTexts(system.slice(0, lastCachePoint)).join('\n\n'),
    messages: request.messages.map((message) => ({
      role: message.role,
      text: message.content
        .flatMap((block) => (typeof block.text === 'string' ? [block.text] : []))
        .join('\n'),
    })),
    maxTokens: request.inferenceConfig?.maxTokens,
  };
}
