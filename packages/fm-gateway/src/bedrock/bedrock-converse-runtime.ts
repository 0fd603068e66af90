import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type TokenUsage as SdkTokenUsage,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  type ModelOutput,
  type ModelRequest,
  type ModelRuntime,
  type ModelStreamEvent,
  type StopReason,
  type TokenUsage,
  toStopReason,
} from '../runtime/model-runtime.js';

/** The model-agnostic Converse / ConverseStream API behind the model-runtime port. */
export class BedrockConverseRuntime implements ModelRuntime {
  readonly api = 'converse' as const;

  constructor(
    private readonly client: BedrockRuntimeClient,
    readonly region: string,
  ) {}

  async invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelOutput> {
    const response = await this.client.send(new ConverseCommand(toConverseInput(request)), {
      abortSignal: signal,
    });
    const text = (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
    return { text, stopReason: toStopReason(response.stopReason), usage: toUsage(response.usage) };
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    const response = await this.client.send(new ConverseStreamCommand(toConverseInput(request)), {
      abortSignal: signal,
    });
    let stopReason: StopReason | undefined;
    let usage: TokenUsage | undefined;
    for await (const event of response.stream ?? []) {
      throwIfException(event);
      if (event.contentBlockDelta?.delta?.text) {
        yield { type: 'delta', text: event.contentBlockDelta.delta.text };
      } else if (event.messageStop) {
        stopReason = toStopReason(event.messageStop.stopReason);
      } else if (event.metadata) {
        usage = toUsage(event.metadata.usage);
      }
    }
    if (stopReason === undefined) throw streamEndedEarly();
    yield { type: 'end', stopReason, usage: usage ?? toUsage(undefined) };
  }
}

function toConverseInput(request: ModelRequest): ConverseCommandInput {
  const system: SystemContentBlock[] | undefined = request.system
    ? [
        { text: request.system },
        ...(request.promptCache ? [{ cachePoint: { type: 'default' as const } }] : []),
      ]
    : undefined;
  return {
    modelId: request.modelId,
    messages: request.messages.map((message) => ({
      role: message.role,
      content: [{ text: message.content }],
    })),
    ...(system ? { system } : {}),
    inferenceConfig: {
      maxTokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    },
  };
}

/** Converse reports `inputTokens` without the tokens read from or written to the prompt cache. */
function toUsage(usage: SdkTokenUsage | undefined): TokenUsage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
  };
}

/** A stream that closed without `messageStop` was cut short, not finished: never a normal answer. */
export function streamEndedEarly(): Error {
  return Object.assign(new Error('The model stream ended before its stop event'), {
    name: 'ModelStreamErrorException',
  });
}

/** The SDK models in-stream exceptions as union members; surface them as the errors they are. */
function throwIfException(event: ConverseStreamOutput): void {
  const exception =
    event.modelStreamErrorException ??
    event.internalServerException ??
    event.serviceUnavailableException ??
    event.throttlingException ??
    event.validationException;
  if (exception) throw exception;
}
