import { randomUUID } from 'node:crypto';
import { EmulatedServiceError } from '../errors.js';
import type { FaultBook } from '../faults.js';
import { complete } from '../model/completion.js';
import { fullPromptText } from '../model/model-prompt.js';
import type { PromptCache } from '../model/prompt-cache.js';
import { anthropicPrompt } from '../operations/anthropic-request.js';
import { anthropicResponseBody } from '../operations/anthropic-shapes.js';
import { conversePrompt } from '../operations/converse-request.js';
import { converseResponseBody } from '../operations/converse-shapes.js';
import { elapsedMs } from '../operations/operation.js';
import { Pacer, type Sleep } from '../operations/pacer.js';
import { generationMs } from '../operations/whole-response.js';
import type { ScriptBook } from '../scripts.js';
import type { InputRecord } from './batch-input.js';
import type { ModelInvocationType } from './batch-request.js';

/** What answering a record needs: the emulator's model, scripts and faults, and the job's target. */
export interface RecordContext {
  readonly faults: FaultBook;
  readonly scripts: ScriptBook;
  readonly promptCache: PromptCache;
  readonly sleep: Sleep;
  readonly region: string;
  readonly modelId: string;
  readonly invocationType: ModelInvocationType;
  /** Aborts when the job is stopped: a record waiting out its generation time gives up. */
  readonly signal: AbortSignal;
}

/** A record's output line and what it adds to the manifest. */
export interface AnsweredRecord {
  readonly line: Record<string, unknown>;
  readonly succeeded: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * Answers one record as InvokeModel (or Converse) would answer its `modelInput`: the same checks,
 * faults, scripts and local model, and the same response body as the line's `modelOutput`. A body
 * the model cannot read, or a fault, becomes the line's `error` (`errorCode` is the HTTP status the
 * on-demand call would have had). Resolves `undefined` when the job stops first.
 */
export async function answerRecord(
  record: InputRecord,
  context: RecordContext,
): Promise<AnsweredRecord | undefined> {
  const startedAt = performance.now();
  const pacer = new Pacer(context.sleep, context.signal);
  const { recordId, modelInput } = record;
  try {
    const prompt =
      context.invocationType === 'Converse' ? conversePrompt(modelInput) : anthropicPrompt(modelInput);
    const identity = { region: context.region, modelId: context.modelId };
    const plan = context.faults.plan({ ...identity, promptText: fullPromptText(prompt) });
    if (plan.error !== undefined) {
      if (!(await pacer.wait(plan.ttftMs))) return undefined;
      // As in a whole InvokeModel response: the stream-only error shows as its non-stream twin.
      throw new EmulatedServiceError(
        plan.error === 'ModelStreamErrorException' ? 'ModelErrorException' : plan.error,
      );
    }
    const completion = complete(prompt, identity, {
      scriptedReply: (text) => context.scripts.take(text),
      promptCache: context.promptCache,
    });
    if (!(await pacer.wait(generationMs(plan, completion)))) return undefined;
    const modelOutput =
      context.invocationType === 'Converse'
        ? converseResponseBody(completion, elapsedMs(startedAt))
        : anthropicResponseBody(randomUUID(), context.modelId, completion);
    return {
      line: { recordId, modelInput, modelOutput },
      succeeded: true,
      inputTokens:
        completion.usage.inputTokens +
        completion.usage.cacheReadInputTokens +
        completion.usage.cacheWriteInputTokens,
      outputTokens: completion.usage.outputTokens,
    };
  } catch (error) {
    if (!(error instanceof EmulatedServiceError)) throw error;
    return {
      line: { recordId, modelInput, error: { errorCode: error.status, errorMessage: error.message } },
      succeeded: false,
      inputTokens: 0,
      outputTokens: 0,
    };
  }
}
