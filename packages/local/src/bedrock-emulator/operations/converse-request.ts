import * as z from 'zod/mini';
import type { GuardrailRequest } from '../model/guardrail.js';
import type { ModelPrompt } from '../model/model-prompt.js';
import { parseRequestBody } from './validation.js';

const cachePointBlock = z.object({ cachePoint: z.object({ type: z.string() }) });

/** Text a guardrail evaluates (the model reads it too). */
const guardContent = z.object({
  text: z.object({ text: z.string(), qualifiers: z.optional(z.array(z.string())) }),
});

// Image, document and tool blocks are accepted but carry no text the local model reads.
const contentBlock = z.looseObject({ text: z.optional(z.string()), guardContent: z.optional(guardContent) });

/** As Bedrock validates them: an id or a guardrail ARN, and `DRAFT` or a version number. */
const guardrailConfig = z.object({
  guardrailIdentifier: z
    .string()
    .check(
      z.regex(/^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/),
    ),
  guardrailVersion: z.string().check(z.regex(/^(([1-9][0-9]{0,7})|(DRAFT))$/)),
  trace: z.optional(z.enum(['enabled', 'disabled', 'enabled_full'])),
  streamProcessingMode: z.optional(z.enum(['sync', 'async'])),
});

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
  system: z.optional(
    z.array(
      z.looseObject({ cachePoint: z.optional(cachePointBlock.shape.cachePoint), ...contentBlock.shape }),
    ),
  ),
  inferenceConfig: z.optional(
    z.object({
      maxTokens: z.optional(z.int().check(z.positive())),
      temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
      topP: z.optional(z.number()),
      stopSequences: z.optional(z.array(z.string())),
    }),
  ),
  guardrailConfig: z.optional(guardrailConfig),
});

/**
 * Reads a Converse body as a prompt.
 * @throws EmulatedServiceError ValidationException when the body is not a Converse request.
 */
export function conversePrompt(body: unknown): ModelPrompt {
  const request = parseRequestBody(converseRequestSchema, body);
  const system = request.system ?? [];
  const systemTexts = (blocks: typeof system) => blocks.flatMap(blockTexts);
  const lastCachePoint = system.findLastIndex((block) => block.cachePoint !== undefined);
  return {
    system: systemTexts(system).join('\n\n'),
    cachedSystemPrefix:
      lastCachePoint < 0 ? undefined : systemTexts(system.slice(0, lastCachePoint)).join('\n\n'),
    messages: request.messages.map((message) => ({
      role: message.role,
      text: message.content.flatMap(blockTexts).join('\n'),
    })),
    maxTokens: request.inferenceConfig?.maxTokens,
    ...(request.guardrailConfig
      ? {
          guardrail: guardrailOf(request.guardrailConfig, [
            ...system,
            ...request.messages.flatMap((message) => message.content),
          ]),
        }
      : {}),
  };
}

/** What a system or message block may carry in text. */
type ContentBlock = Pick<z.output<typeof contentBlock>, 'text' | 'guardContent'>;

function blockTexts(block: ContentBlock): string[] {
  if (typeof block.text === 'string') return [block.text];
  return block.guardContent ? [block.guardContent.text.text] : [];
}

/** The guardrail evaluates the `guardContent` blocks (system and messages), or everything when there are none. */
function guardrailOf(
  config: z.output<typeof guardrailConfig>,
  blocks: readonly ContentBlock[],
): GuardrailRequest {
  const marked = blocks.flatMap((block) => (block.guardContent ? [block.guardContent.text.text] : []));
  return {
    identifier: config.guardrailIdentifier,
    version: config.guardrailVersion,
    trace: config.trace !== undefined && config.trace !== 'disabled',
    guarded: marked.length > 0 ? marked : blocks.flatMap(blockTexts),
  };
}
