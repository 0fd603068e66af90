import { type BatchResultErrorEntry, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type AwsClientSettings,
  awsClientOptions,
  backoffDelayMs,
  type Clock,
  type Logger,
  type RetryPolicy,
  resolveRetryPolicy,
  silentLogger,
  systemClock,
  untilAborted,
} from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import type { CatalogEnrichmentMessage } from '@mangaassist/contracts';
import {
  assertOneRequest,
  type CatalogEnrichmentQueue,
  catalogEnrichmentFifoMessage,
  isInvalidMessageError,
  type RefusedCatalogEnrichmentMessage,
} from '../catalog-enrichment-queue.js';

export interface SqsCatalogEnrichmentQueueOptions {
  /** The catalog enrichment queue's URL (`CATALOG_ENRICHMENT_QUEUE_URL`). */
  readonly queueUrl: string;
  /**
   * Attempts of the entries SQS did not accept (a request the SDK failed as a whole is not
   * retried here: the SDK has retried it already).
   * @default defaultRetryPolicy (3 attempts, 100 ms doubling, full jitter)
   */
  readonly retry?: Partial<RetryPolicy>;
  /** Drives the backoff. @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * A `CatalogEnrichmentQueue` on an SQS FIFO queue with content-based deduplication: one
 * `SendMessageBatch` per `send`, each entry with its product's message group
 * (`catalogEnrichmentGroupId`) and no deduplication id (SQS hashes the body, which is the same
 * for every copy of an item). Entries SQS did not accept are sent again, alone, with backoff —
 * safe for the order, since a request carries one message per product — unless SQS refused the
 * message for what it is (`isInvalidMessageError`: characters it does not take, a message too
 * large), which no retry fixes; what is still refused after `retry.maxAttempts` is returned with
 * SQS's error code. (Not SQS's `SenderFault` flag: it marks throttled entries too, which a retry
 * does fix.) The client is
 * injected; the function needs `sqs:SendMessage` on the queue (which covers `SendMessageBatch`).
 *
 * @example
 * const queue = new SqsCatalogEnrichmentQueue(createSqsClient(), { queueUrl: process.env.CATALOG_ENRICHMENT_QUEUE_URL });
 */
export class SqsCatalogEnrichmentQueue implements CatalogEnrichmentQueue {
  readonly #queueUrl: string;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    private readonly client: SQSClient,
    options: SqsCatalogEnrichmentQueueOptions,
  ) {
    this.#queueUrl = options.queueUrl;
    this.#policy = resolveRetryPolicy(options.retry);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  async send(
    messages: readonly CatalogEnrichmentMessage[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<readonly RefusedCatalogEnrichmentMessage[]> {
    assertOneRequest(messages);
    const { signal } = options;
    const refused: RefusedCatalogEnrichmentMessage[] = [];
    let pending = messages.map((message, index) => ({ id: String(index), message }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      signal?.throwIfAborted();
      const command = new SendMessageBatchCommand({
        QueueUrl: this.#queueUrl,
        Entries: pending.map(({ id, message }) => {
          const { groupId, body } = catalogEnrichmentFifoMessage(message);
          return { Id: id, MessageBody: body, MessageGroupId: groupId };
        }),
      });
      const response = await untilAborted(
        signal === undefined ? this.client.send(command) : this.client.send(command, { abortSignal: signal }),
        signal,
      );
      const failed = new Map<string, BatchResultErrorEntry>(
        (response.Failed ?? []).map((entry) => [entry.Id ?? '', entry]),
      );
      const retry: typeof pending = [];
      for (const item of pending) {
        const failure = failed.get(item.id);
        if (failure === undefined) continue;
        const errorCode = failure.Code ?? 'UnknownError';
        if (isInvalidMessageError(errorCode) || attempt >= this.#policy.maxAttempts) {
          refused.push({ message: item.message, errorCode });
        } else {
          retry.push(item);
        }
      }
      pending = retry;
      if (pending.length > 0) {
        const delayMs = backoffDelayMs(attempt - 1, this.#policy);
        this.#logger.warn('SendMessageBatch entries not accepted; retrying them', {
          attempt,
          retrying: pending.length,
          delayMs: Math.round(delayMs),
        });
        await this.#clock.sleep(delayMs, signal);
      }
    }
    return refused;
  }
}

/** The SQS client of the catalog webhook, with the platform's settings (a local endpoint, credentials). */
export function createSqsClient(endpoint?: string, settings: AwsClientSettings = {}): SQSClient {
  return traceAwsClient(new SQSClient(awsClientOptions(endpoint, settings)));
}
