import * as z from 'zod';
import type { ModelPrompt } from '../model/model-prompt.js';
import { parseRequestBody } from './validation.js';

const cachePointBlock = z.object({ cachePoint: z.object({ type: z.string() }) });

// Image, document and tool blocks are accepted but carry no text the local model reads.
const contentBlock = z.looseObject({ text: z.string().optional() });

/** The Converse / ConverseStream request body. */
export const converseRequestSchema = z.object({
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.array(contentBlock).min(1),
      }),
    )
    .min(1),
  system: z.array(z.union([z.object({ text: z.string() }), cachePointBlock, z.looseObject({})])).optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
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
