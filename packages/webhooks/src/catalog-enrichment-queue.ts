import { createHash } from 'node:crypto';
import { type CatalogEnrichmentMessage, catalogEnrichmentQueueLimits } from '@mangaassist/contracts';

/** A catalog enrichment message as a FIFO queue takes it (deduplicated on its body's content). */
export interface CatalogEnrichmentFifoMessage {
  /** The product's message group (`catalogEnrichmentGroupId`). */
  readonly groupId: string;
  readonly body: string;
}

/** What SQS allows in a message group id: 1 to 128 letters, digits or ASCII punctuation. */
const sqsGroupId = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/**
 * The message group of a product: its id when SQS accepts it as one, else `sha256-` and the
 * SHA-256 of the id in hex (a catalog may use Japanese ids). Two products in one group would only
 * wait for each other, never change their order.
 */
export function catalogEnrichmentGroupId(productId: string): string {
  if (sqsGroupId.test(productId) && !productId.startsWith('sha256-')) return productId;
  return `sha256-${createHash('sha256').update(productId, 'utf8').digest('hex')}`;
}

/** The FIFO message of a catalog enrichment message; the same for the SQS and the local queue. */
export function catalogEnrichmentFifoMessage(
  message: CatalogEnrichmentMessage,
): CatalogEnrichmentFifoMessage {
  return { groupId: catalogEnrichmentGroupId(message.product_id), body: sqsSafeJson(message) };
}

/**
 * JSON that SQS accepts as a message body: `JSON.stringify` already escapes control characters
 * and lone surrogates, but not the noncharacters U+FFFE and U+FFFF, which SQS refuses
 * (`InvalidMessageContents`). Escaped, the JSON is the same and still the same on every retry.
 */
export function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\uFFFE\uFFFF]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16)}`,
  );
}

/** A message the queue did not accept, with the queue's error code. */
export interface RefusedCatalogEnrichmentMessage {
  readonly message: CatalogEnrichmentMessage;
  readonly errorCode: string;
}

/**
 * SQS's error codes for a message refused for what it is — characters SQS does not take, a body
 * too large, a bad attribute — which no retry of the same message can change. Every other code
 * (throttling, a server error, an unknown code) may pass on a retry; `BatchRequestTooLong`, a
 * request whose bodies together are too large, is the sender's packing at fault, not any message.
 * Not SQS's `SenderFault` flag: SQS sets it on throttled entries too.
 */
const invalidMessageErrorCodes: ReadonlySet<string> = new Set([
  'InvalidMessageContents',
  'InvalidParameterValue',
  'InvalidAttributeName',
  'InvalidAttributeValue',
]);

/** Whether the queue refused a message with `errorCode` for what it is: retrying cannot help. */
export function isInvalidMessageError(errorCode: string): boolean {
  return invalidMessageErrorCodes.has(errorCode);
}

/** SQS's most messages in one `SendMessageBatch`. */
export const catalogEnrichmentBatchLimit = 10;

/**
 * Most bytes of message bodies in one `SendMessageBatch`: SQS refuses a request whose bodies
 * together pass the queue's maximum message size (`BatchRequestTooLong`), which the deployed queue
 * sets to `catalogEnrichmentQueueLimits.maxMessageBytes`.
 */
export const catalogEnrichmentBatchBytes = catalogEnrichmentQueueLimits.maxMessageBytes;

/**
 * Where the catalog webhook puts each catalog item for its enrichment: a FIFO queue with one
 * message group per product and content-based deduplication. The queue hands a group's messages
 * to the consumer one at a time, in the order they were accepted — so the sender decides the
 * order, and must send a product's next message only once the previous one is accepted. Deployed
 * an SQS FIFO queue (`SqsCatalogEnrichmentQueue`), locally an in-process one.
 */
export interface CatalogEnrichmentQueue {
  /**
   * Sends up to `catalogEnrichmentBatchLimit` messages, each of a different product, in one
   * request. Resolves with the messages still not accepted after the adapter's own retries (`[]`
   * when all were); rejects when the request failed as a whole (the caller cannot know which were
   * accepted), or with `options.signal`'s reason once it aborts. Throws `RangeError` for more
   * messages, or two of one product.
   */
  send(
    messages: readonly CatalogEnrichmentMessage[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<readonly RefusedCatalogEnrichmentMessage[]>;
}

/** Throws `RangeError` unless `messages` fit one request: at most 10, of different products. */
export function assertOneRequest(messages: readonly CatalogEnrichmentMessage[]): void {
  if (messages.length > catalogEnrichmentBatchLimit) {
    throw new RangeError(`at most ${catalogEnrichmentBatchLimit} messages a request, got ${messages.length}`);
  }
  const groups = new Set(messages.map((message) => catalogEnrichmentGroupId(message.product_id)));
  if (groups.size < messages.length) {
    throw new RangeError('one request may carry one message of each product: its order would be lost');
  }
}
