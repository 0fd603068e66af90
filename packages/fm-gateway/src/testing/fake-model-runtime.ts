import type { Clock } from '@mangaassist/commons';
import type {
  GuardrailVerdict,
  ModelApi,
  ModelRequest,
  ModelRuntime,
  ModelRuntimeProvider,
  ModelStreamEvent,
  StopReason,
  TokenUsage,
} from '../runtime/model-runtime.js';

/** What the fake model does for one call. */
export type FakeReply =
  | {
      readonly text: string;
      readonly stopReason?: StopReason;
      readonly usage?: Partial<TokenUsage>;
      readonly guardrail?: GuardrailVerdict;
    }
  | { readonly error: Error }
  /** Waits on the clock (honouring the abort signal) before replying. */
  | { readonly delayMs: number; readonly reply: FakeReply }
  /** A stream that delivers these deltas, then fails with `error` when given. */
  | { readonly deltas: readonly string[]; readonly error?: Error; readonly stopReason?: StopReason };

export interface FakeCall {
  readonly region: string;
  readonly api: ModelApi;
  readonly kind: 'invoke' | 'stream';
  readonly request: ModelRequest;
}

/** An error shaped like the AWS SDK's (the classification reads its name). */

const usageOf = (usage: Partial<TokenUsage> | undefined): TokenUsage => ({
  inputTokens: 10,
  outputTokens: 5,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
  ...usage,
});

/**
 * In-memory model runtimes for gateway tests: `reply` decides each call's outcome from the
 * call itself (region, model id, prompt); `calls` records every call in order.
 */
export function createFakeRuntimes(reply: (call: FakeCall) => FakeReply, clock: Clock) {
  const calls: FakeCall[] = [];
  let closedEarly = 0;

  async function settle(outcome: FakeReply, signal: AbortSignal): Promise<FakeReply> {
    if ('delayMs' in outcome) {
      await clock.sleep(outcome.delayMs, signal).catch((reason: unknown) => {
        // As the AWS SDK does: an aborted call rejects with an AbortError caused by the reason.
        throw Object.assign(new Error('Request aborted', { cause: reason }), { name: 'AbortError' });
      });
      return settle(outcome.reply, signal);
    }
    if ('error' in outcome && !('deltas' in outcome)) throw outcome.error;
    return outcome;
  }

  const runtime = (region: string, api: ModelApi): ModelRuntime => ({
    region,
    api,
    async invoke(request, signal) {
      const call = { region, api, kind: 'invoke' as const, request };
      calls.push(call);
      const outcome = await settle(reply(call), signal);
      if ('deltas' in outcome)
        return { text: outcome.deltas.join(''), stopReason: 'end_turn', usage: usageOf({}) };
      if (!('text' in outcome)) throw new Error('unreachable fake reply');
      return {
        text: outcome.text,
        stopReason: outcome.stopReason ?? 'end_turn',
        usage: usageOf(outcome.usage),
        ...(outcome.guardrail ? { guardrail: outcome.guardrail } : {}),
      };
    },
    async *stream(request, signal): AsyncIterable<ModelStreamEvent> {
      const call = { region, api, kind: 'stream' as const, request };
      calls.push(call);
      const outcome = await settle(reply(call), signal);
      const deltas = 'deltas' in outcome ? outcome.deltas : 'text' in outcome ? [outcome.text] : [];
      let ended = false;
      try {
        for (const text of deltas) yield { type: 'delta', text };
        if ('deltas' in outcome && outcome.error) throw outcome.error;
        const stopReason = ('stopReason' in outcome ? outcome.stopReason : undefined) ?? 'end_turn';
        ended = true;
        const guardrail = 'guardrail' in outcome ? outcome.guardrail : undefined;
        yield {
          type: 'end',
          stopReason,
          usage: usageOf('usage' in outcome ? outcome.usage : undefined),
          ...(guardrail ? { guardrail } : {}),
        };
      } finally {
        if (!ended) closedEarly += 1;
      }
    },
  });

  const provider: ModelRuntimeProvider = runtime;
  /** Streams that were closed (by failure or by the consumer) before their `end`. */
  const streamsClosedEarly = () => closedEarly;
  return { provider, calls, streamsClosedEarly };
}
