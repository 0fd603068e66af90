import {
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type GuardrailAssessment,
  type GuardrailTraceAssessment,
  type TokenUsage as SdkTokenUsage,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  type GuardrailVerdict,
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
    const stopReason = toStopReason(response.stopReason);
    return {
      text,
      stopReason,
      usage: toUsage(response.usage),
      ...(request.guardrail ? { guardrail: toVerdict(stopReason, response.trace?.guardrail) } : {}),
    };
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    const input = toConverseInput(request);
    // The filter reads input only, so the answer need not wait for it chunk by chunk.
    const streamInput = input.guardrailConfig
      ? { ...input, guardrailConfig: { ...input.guardrailConfig, streamProcessingMode: 'async' as const } }
      : input;
    const response = await this.client.send(new ConverseStreamCommand(streamInput), {
      abortSignal: signal,
    });
    let stopReason: StopReason | undefined;
    let usage: TokenUsage | undefined;
    let trace: GuardrailTraceAssessment | undefined;
    for await (const event of response.stream ?? []) {
      throwIfException(event);
      if (event.contentBlockDelta?.delta?.text) {
        yield { type: 'delta', text: event.contentBlockDelta.delta.text };
      } else if (event.messageStop) {
        stopReason = toStopReason(event.messageStop.stopReason);
      } else if (event.metadata) {
        usage = toUsage(event.metadata.usage);
        trace = event.metadata.trace?.guardrail;
      }
    }
    if (stopReason === undefined) throw streamEndedEarly();
    yield {
      type: 'end',
      stopReason,
      usage: usage ?? toUsage(undefined),
      ...(request.guardrail ? { guardrail: toVerdict(stopReason, trace) } : {}),
    };
  }
}

function toConverseInput(request: ModelRequest): ConverseCommandInput {
  const { guardrail } = request;
  const guardFrom = request.callerInput?.fromMessage ?? request.messages.length - 1;
  const system = systemBlocks(request);
  return {
    modelId: request.modelId,
    messages: request.messages.map((message, index) => ({
      role: message.role,
      content: [guardrail && index >= guardFrom ? guarded(message.content) : { text: message.content }],
    })),
    ...(system.length > 0 ? { system } : {}),
    inferenceConfig: {
      maxTokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    },
    ...(guardrail
      ? {
          guardrailConfig: {
            guardrailIdentifier: guardrail.id,
            guardrailVersion: guardrail.version,
            trace: 'enabled' as const,
          },
        }
      : {}),
  };
}

/**
 * The system prompt, a cache point after it when asked, and — with a guardrail — the caller's
 * instructions at its end split off as guarded content, so a prompt attack hidden there is
 * evaluated as well.
 */
function systemBlocks(request: ModelRequest): SystemContentBlock[] {
  if (!request.system) return [];
  const instructions = request.callerInput?.instructions;
  const guardInstructions =
    request.guardrail !== undefined && instructions && request.system.endsWith(instructions);
  const base = guardInstructions ? request.system.slice(0, -instructions.length).trimEnd() : request.system;
  return [
    ...(base ? [{ text: base }] : []),
    ...(request.promptCache && base ? [{ cachePoint: { type: 'default' as const } }] : []),
    ...(guardInstructions ? [{ guardContent: { text: { text: instructions } } }] : []),
  ];
}

/**
 * New input as guarded content: with a guardrail, Converse evaluates only `guardContent` blocks
 * when there are any, so the system prompt and the stored history (checked on their own turn)
 * are not evaluated, nor charged, again.
 */
function guarded(text: string): ContentBlock {
  return { guardContent: { text: { text } } };
}

/**
 * The guardrail's verdict: `intervened` when the call stopped on it, with the policies that
 * acted (any action but `NONE`) in the trace's input and output assessments: content filter
 * types (`PROMPT_ATTACK`…), denied topics by name, `WORDS`, sensitive-information types.
 */
export function toVerdict(
  stopReason: StopReason,
  trace: GuardrailTraceAssessment | undefined,
): GuardrailVerdict {
  const assessments = [
    ...Object.values(trace?.inputAssessment ?? {}),
    ...Object.values(trace?.outputAssessments ?? {}).flat(),
  ];
  const filters = [...new Set(assessments.flatMap(actedPolicies))];
  return { action: stopReason === 'guardrail_intervened' ? 'intervened' : 'none', filters };
}

function actedPolicies(assessment: GuardrailAssessment): string[] {
  const acted = (action: string | undefined) => action !== undefined && action !== 'NONE';
  const words = assessment.wordPolicy;
  const sensitive = assessment.sensitiveInformationPolicy;
  return [
    ...(assessment.contentPolicy?.filters ?? [])
      .filter((f) => acted(f.action))
      .map((f) => f.type ?? 'CONTENT'),
    ...(assessment.topicPolicy?.topics ?? []).filter((t) => acted(t.action)).map((t) => t.name ?? 'TOPIC'),
    ...([...(words?.customWords ?? []), ...(words?.managedWordLists ?? [])].some((w) => acted(w.action))
      ? ['WORDS']
      : []),
    ...(sensitive?.piiEntities ?? []).filter((e) => acted(e.action)).map((e) => e.type ?? 'PII'),
    ...(sensitive?.regexes ?? []).filter((r) => acted(r.action)).map((r) => r.name ?? 'REGEX'),
  ];
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
