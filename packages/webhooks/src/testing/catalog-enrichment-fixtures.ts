// An in-memory catalog enrichment queue for tests (no vitest here: any test may import it).
import type { CatalogEnrichmentMessage } from '@mangaassist/contracts';
import {
  assertOneRequest,
  type CatalogEnrichmentQueue,
  type RefusedCatalogEnrichmentMessage,
} from '../catalog-enrichment-queue.js';

/**
 * What the queue does with request number `call` (from 1): accept it (`undefined`), refuse the
 * messages at these indexes with these codes, or fail as a whole (an `Error`, thrown).
 */
export type CatalogQueueBehaviour = (
  messages: readonly CatalogEnrichmentMessage[],
  call: number,
) =>
  | ReadonlyMap<number, string>
  | Error
  | undefined
  | Promise<ReadonlyMap<number, string> | Error | undefined>;

/**
 * A `CatalogEnrichmentQueue` that keeps every request (`requests`), the messages it accepted, in
 * the order it accepted them (`queued`), and the signal of each request; it holds the port's
 * contract (`RangeError` for a request that is too large or carries a product twice).
 */
export function recordingCatalogEnrichmentQueue(behaviour?: CatalogQueueBehaviour) {
  const requests: CatalogEnrichmentMessage[][] = [];
  const queued: CatalogEnrichmentMessage[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const queue: CatalogEnrichmentQueue = {
    async send(messages, options) {
      assertOneRequest(messages);
      const call = requests.push([...messages]);
      signals.push(options?.signal);
      const outcome = await behaviour?.(messages, call);
      if (outcome instanceof Error) throw outcome;
      const refused: RefusedCatalogEnrichmentMessage[] = [];
      messages.forEach((message, index) => {
        const errorCode = outcome?.get(index);
        if (errorCode === undefined) queued.push(message);
        else refused.push({ message, errorCode });
      });
      return refused;
    },
  };
  return { queue, requests, queued, signals };
}
