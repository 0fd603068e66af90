// The inference-event sink: every call the caller sees end (an answer, a last resort or a typed
// error) is reported as one `InferenceCompleted`. Publishing runs in the background so a slow or
// failing bus never fails or delays a response; `flush` lets a Lambda wait for it before freezing.

import type { Clock, Logger } from '@mangaassist/commons';
import type { InferenceCompletedDetail } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { GatewayRequest, GatewayResult } from './gateway-types.js';
import { inferenceCompletedEvent } from './inference-completed.js';

/**
 * Publishes `InferenceCompleted` events without ever failing or delaying the caller, and keeps
 * track of those in flight for `flush`. With no publisher, it does nothing.
 */
export class InferenceEventSink {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly events: EventPublisher | undefined,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /** Publishes the event of an answer the caller gets (`degraded` for a last resort, else `success`) and returns the answer. */
  answered(request: GatewayRequest, result: GatewayResult): GatewayResult {
    this.publish(request, result, result.degraded ? 'degraded' : 'success');
    return result;
  }

  /**
   * Publishes one event in the background; any failure — building an event that breaks its
   * contract, a publisher that throws at once or rejects — is logged as a warning, never thrown.
   */
  publish(request: GatewayRequest, result: GatewayResult, status: InferenceCompletedDetail['status']): void {
    const { events } = this;
    if (!events) return;
    const publishing = (async () => events.publish([inferenceCompletedEvent(result, status, request)]))()
      .catch((error: unknown) => {
        this.logger.warn('InferenceCompleted was not published', {
          requestId: result.requestId,
          error: String(error),
        });
      })
      .finally(() => this.pending.delete(publishing));
    this.pending.add(publishing);
  }

  /**
   * Resolves when every event published so far has been handed to the bus (or failed and was
   * logged), or after `timeoutMs` at the latest, logging how many had not gone by then (a process
   * that exits next loses them). Never rejects.
   */
  async flush(timeoutMs?: number): Promise<void> {
    // A batching publisher sends what it holds now rather than after its linger.
    const { events } = this;
    void (async () => events?.flush?.())().catch(() => {});
    const all = Promise.all(this.pending);
    if (timeoutMs === undefined) {
      await all;
      return;
    }
    const stop = new AbortController();
    await Promise.race([all, this.clock.sleep(timeoutMs, stop.signal).catch(() => {})]);
    stop.abort();
    if (this.pending.size > 0) {
      this.logger.warn('InferenceCompleted events not yet sent when the flush gave up', {
        pending: this.pending.size,
        timeoutMs,
      });
    }
  }
}
