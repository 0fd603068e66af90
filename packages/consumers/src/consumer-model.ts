import { type Clock, Deadline, errorMessage, systemClock, untilAborted } from '@mangaassist/commons';
import type { GatewayCallOptions, GatewayRequest, GatewayResult } from '@mangaassist/fm-gateway';
import { TransientConsumerError } from './consumer-errors.js';

/** What a consumer needs of the FM gateway (`FmGateway` satisfies it). */
export interface ConsumerModel {
  complete(request: GatewayRequest, options?: GatewayCallOptions): Promise<GatewayResult>;
}

/** Whom the gateway accounts the consumers' model calls to. */
export const eventConsumersTenant = 'mangaassist-events';

export interface ModelAnswerOptions {
  /** Budget for the whole answer (the gateway's retries and failover included). */
  readonly deadlineMs: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * A fresh model answer within `deadlineMs`, or a `TransientConsumerError`: the gateway failed or
 * timed out, or only gave its last resort (a degraded or stale answer) — an event is better
 * retried than answered with an apology or yesterday's text. Never returns a degraded result.
 * (The review sentiment of the webhooks takes the opposite choice — `unknown` — because a
 * webhook must answer its sender now; a consumer can wait for EventBridge's retry.)
 *
 * @example
 * const result = await modelAnswer(gateway, { tenantId: eventConsumersTenant, model: 'fast', messages }, { deadlineMs: 5_000 });
 */
export async function modelAnswer(
  model: ConsumerModel,
  request: GatewayRequest,
  options: ModelAnswerOptions,
): Promise<GatewayResult> {
  const deadline = new Deadline(options.deadlineMs, { clock: options.clock ?? systemClock });
  try {
    const result = await untilAborted(
      model.complete(request, { signal: deadline.signal, deadlineMs: options.deadlineMs }),
      deadline.signal,
    );
    if (result.degraded) {
      throw new TransientConsumerError(`no model answered (${result.model}); degraded answer not used`);
    }
    return result;
  } catch (error) {
    if (error instanceof TransientConsumerError) throw error;
    const why = deadline.expired ? `no answer within ${options.deadlineMs} ms` : errorMessage(error);
    throw new TransientConsumerError(`the model call failed: ${why}`, { cause: error });
  } finally {
    deadline.dispose();
  }
}
