// The stream lifecycle: a streamed answer fails over like a whole one until its first token, and
// after it can only be interrupted, never retried. It also bounds the whole stream, cancels the
// model call when the caller stops reading, and charges a stream abandoned midway, which is why it
// is more than a loop over the model's events.

import { type Clock, Deadline } from '@mangaassist/commons';
import { classifyRetryError } from '../resilience/retry.js';
import { emptyUsage, type ModelStreamEvent } from '../runtime/model-runtime.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import type { CachedAnswers } from './cached-answers.js';
import { type Answered, callDeadline, type GatewayCall } from './gateway-call.js';
import { StreamInterruptedError } from './gateway-errors.js';
import { resultAsStream, resultFromModel } from './gateway-result.js';
import type { GatewayCallOptions, GatewayStreamEvent } from './gateway-types.js';
import type { InferenceEventSink } from './inference-event-sink.js';
import type { LadderExecutor } from './ladder-executor.js';
import type { LastResort } from './last-resort.js';

const defaultStreamTimeoutMs = 120_000;

export interface StreamLifecycleOptions {
  readonly ladder: LadderExecutor;
  readonly lastResort: LastResort;
  readonly answers: CachedAnswers;
  readonly events: InferenceEventSink;
  readonly clock: Clock;
  /** Budget for the first token unless a call says otherwise. @default 3000 */
  readonly defaultDeadlineMs?: number;
  /** Bounds a whole stream, first token to last. @default 120000 */
  readonly streamTimeoutMs?: number;
}

/** A stream opened at the target that answered: its iterator and the first event it gave. */
type OpenedStream = Answered<{
  readonly iterator: AsyncIterator<ModelStreamEvent>;
  readonly first: IteratorResult<ModelStreamEvent>;
}>;

/** Streams a call's answer from the models, from opening the stream to its end or abandonment. */
export class StreamLifecycle {
  constructor(private readonly options: StreamLifecycleOptions) {}

  /**
   * Streams a call the cache did not answer: deltas, then one `complete`. Until the first token,
   * failures go down the ladder and to the last resort as in `complete`; after it, a failure
   * throws `StreamInterruptedError` and nothing is cached. A stream that ends after its first
   * token without finishing is published as an error and reported to `onAbandoned`. Stopping the
   * iteration early cancels the model call.
   */
  async *stream(call: GatewayCall, options: GatewayCallOptions): AsyncGenerator<GatewayStreamEvent> {
    const { ladder, lastResort, answers, events, clock } = this.options;
    // Bounds the whole stream and carries the caller's abort; stopping early cancels it too.
    const lifetime = new Deadline(this.options.streamTimeoutMs ?? defaultStreamTimeoutMs, {
      clock,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const cancel = new AbortController();
    const deadline = callDeadline(options, this.options.defaultDeadlineMs, clock);
    let model: AsyncIterator<ModelStreamEvent> | undefined;
    let finished = false;
    let answering: Answered<unknown> | undefined;
    let text = '';
    try {
      let opened: OpenedStream;
      try {
        opened = await ladder.run(call, deadline, async (runtime, modelRequest, signal) => {
          const iterator = runtime
            .stream(modelRequest, AbortSignal.any([signal, lifetime.signal, cancel.signal]))
            [Symbol.asyncIterator]();
          return { iterator, first: await iterator.next() };
        });
      } catch (error) {
        const result = await lastResort.answer(call, error, deadline, options.signal);
        yield* resultAsStream(events.answered(call.request, result));
        return;
      } finally {
        deadline.dispose();
      }

      model = opened.value.iterator;
      answering = opened;
      let ttftMs: number | undefined;
      for (let next = opened.value.first; !next.done; ) {
        const event = next.value;
        if (event.type === 'end') {
          finished = true;
          const output = {
            text,
            stopReason: event.stopReason,
            usage: event.usage,
            ...(event.guardrail ? { guardrail: event.guardrail } : {}),
          };
          const result = { ...resultFromModel(call, opened, output, clock), ttftMs };
          await answers.store(call, result);
          yield { type: 'complete', result: events.answered(call.request, result) };
          return;
        }
        ttftMs ??= clock.now() - call.startedAt;
        text += event.text;
        yield event;
        next = await this.nextEvent(opened.value.iterator, call, opened, text.length, options.signal);
      }
      throw new StreamInterruptedError('StreamEndedWithoutUsage', text.length, call.attempts);
    } finally {
      if (!finished) {
        cancel.abort(); // the caller stopped reading, or the stream failed: cancel the model call
        await model?.return?.()?.catch(() => {});
        if (answering) this.abandoned(call, answering, text, options);
      }
      lifetime.dispose();
    }
  }

  /** Pulls the next stream event; a failure here is after the first token, so it ends the stream. */
  private async nextEvent(
    iterator: AsyncIterator<ModelStreamEvent>,
    call: GatewayCall,
    opened: Answered<unknown>,
    deliveredChars: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<IteratorResult<ModelStreamEvent>> {
    try {
      return await iterator.next();
    } catch (error) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      const failure = classifyRetryError(error);
      this.options.ladder.recordFailureAfterAnswer(opened.target, failure);
      throw new StreamInterruptedError(failure.code, deliveredChars, call.attempts, error);
    }
  }

  /**
   * A stream that ended after its first token without finishing (interrupted, or the caller
   * stopped reading) still consumed tokens. Bedrock reports usage only at the end, so the spend is
   * estimated from the prompt and the delivered text, published, and handed to `onAbandoned`
   * (the tenant's budget), so abandoning streams is never free.
   */
  private abandoned(
    call: GatewayCall,
    answered: Answered<unknown>,
    delivered: string,
    options: GatewayCallOptions,
  ): void {
    const { request } = call;
    const { clock, events } = this.options;
    const prompt = [request.system ?? '', ...request.messages.map((message) => message.content)].join('\n');
    const usage = {
      ...emptyUsage,
      inputTokens: estimateTokens(prompt),
      outputTokens: estimateTokens(delivered),
    };
    const result = {
      ...resultFromModel(call, answered, { text: delivered, stopReason: 'other', usage }, clock),
      latencyMs: clock.now() - call.startedAt,
    };
    events.publish(request, result, 'error');
    options.onAbandoned?.({ model: result.model, usage, costUsd: result.costUsd });
  }
}
