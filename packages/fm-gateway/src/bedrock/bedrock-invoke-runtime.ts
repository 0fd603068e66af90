import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ResponseStream,
} from '@aws-sdk/client-bedrock-runtime';
import * as z from 'zod/mini';
import {
  type ModelOutput,
  type ModelRequest,
  type ModelRuntime,
  type ModelStreamEvent,
  type StopReason,
  toStopReason,
} from '../runtime/model-runtime.js';
import {
  anthropicMessageSchema,
  anthropicUsageSchema,
  toAnthropicBody,
  toModelOutput,
  toUsage,
} from './anthropic-messages.js';
import { streamEndedEarly } from './bedrock-converse-runtime.js';

/**
 * InvokeModel / InvokeModelWithResponseStream with the Anthropic Messages body
 * (`anthropic_version: bedrock-2023-05-31`) behind the model-runtime port.
 */
export class BedrockAnthropicInvokeRuntime implements ModelRuntime {
  readonly api = 'invoke' as const;

  constructor(
    private readonly client: BedrockRuntimeClient,
    readonly region: string,
  ) {}

  async invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelOutput> {
    const response = await this.client.send(
      new InvokeModelCommand({
        modelId: request.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify(toAnthropicBody(request)),
      }),
      { abortSignal: signal },
    );
    return toModelOutput(anthropicMessageSchema.parse(JSON.parse(new TextDecoder().decode(response.body))));
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    const response = await this.client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: request.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify(toAnthropicBody(request)),
      }),
      { abortSignal: signal },
    );
    const decoder = new TextDecoder();
    let stopReason: StopReason | undefined;
    let stopped = false;
    let usage = toUsage(undefined);
    for await (const event of response.body ?? []) {
      throwIfException(event);
      if (!event.chunk?.bytes) continue;
      const parsed = anthropicStreamEventSchema.safeParse(JSON.parse(decoder.decode(event.chunk.bytes)));
      if (!parsed.success) continue; // an event type added after this code was written
      const chunk = parsed.data;
      if (chunk.type === 'error') {
        throw Object.assign(new Error(chunk.error.message ?? chunk.error.type), {
          name: 'ModelStreamErrorException',
        });
      } else if (chunk.type === 'message_start') {
        usage = { ...toUsage(chunk.message.usage), outputTokens: chunk.message.usage?.output_tokens ?? 0 };
      } else if (
        chunk.type === 'content_block_delta' &&
        chunk.delta.type === 'text_delta' &&
        chunk.delta.text
      ) {
        yield { type: 'delta', text: chunk.delta.text };
      } else if (chunk.type === 'message_stop') {
        stopped = true;
      } else if (chunk.type === 'message_delta') {
        stopReason = toStopReason(chunk.delta.stop_reason);
        usage = { ...usage, outputTokens: chunk.usage?.output_tokens ?? usage.outputTokens };
      }
    }
    if (!stopped) throw streamEndedEarly();
    yield { type: 'end', stopReason: stopReason ?? 'other', usage };
  }
}

const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message_start'),
    message: z.object({ usage: z.optional(anthropicUsageSchema) }),
  }),
  z.object({
    type: z.literal('content_block_delta'),
    delta: z.object({ type: z.string(), text: z.optional(z.string()) }),
  }),
  z.object({
    type: z.literal('message_delta'),
    delta: z.object({ stop_reason: z.nullish(z.string()) }),
    usage: z.optional(z.object({ output_tokens: z.optional(z.number()) })),
  }),
  z.object({
    type: z.literal('error'),
    error: z.object({ type: z.string(), message: z.optional(z.string()) }),
  }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.enum(['content_block_start', 'content_block_stop', 'ping']) }),
]);

function throwIfException(event: ResponseStream): void {
  const exception =
    event.modelStreamErrorException ??
    event.internalServerException ??
    event.serviceUnavailableException ??
    event.throttlingException ??
    event.modelTimeoutException ??
    event.validationException;
  if (exception) throw exception;
}
