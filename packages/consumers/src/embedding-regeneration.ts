import { createHash } from 'node:crypto';
import type { Logger } from '@mangaassist/commons';
import { eventSources } from '@mangaassist/contracts';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import * as z from 'zod/mini';
import {
  type ConsumerFunction,
  type DetailSchemaLookup,
  type EnvelopeReader,
  makeEventConsumer,
} from './event-consumer.js';
import type { EmbeddingStatusStore } from './product-catalog.js';

/**
 * What the `catalog-updates` rule's input transformer delivers to this consumer — the whole
 * input, not an EventBridge envelope: `{"action":"regenerate","product_id":…,"title":…}`.
 */
export const embeddingRegenerationInputSchema = z.strictObject({
  action: z.literal('regenerate'),
  product_id: z.string().check(z.minLength(1), z.maxLength(128)),
  title: z.string().check(z.maxLength(512)),
});
export type EmbeddingRegenerationInput = z.infer<typeof embeddingRegenerationInputSchema>;

/**
 * The shape of a regeneration request, without the limits: what the transformer makes of ANY
 * catalog update, since the bus contract lets `product_id` be empty and `title` be of any length.
 * The reader accepts this shape, so a request the limits refuse reaches the wrapper's detail
 * validation and is recorded as a permanent `invalid-detail`, with its issues, instead of being
 * taken for an input that is not a request at all.
 */
const regenerationRequestShape = z.strictObject({
  action: z.literal('regenerate'),
  product_id: z.string(),
  title: z.string(),
});

/** The envelope this consumer makes of its transformed input (no event on the bus has it). */
export const embeddingRequestEnvelope = {
  source: eventSources.catalog,
  detailType: 'EmbeddingRegeneration.Requested',
} as const;

/**
 * The id of a regeneration request: `regenerate-<sha256(product_id, title)>` (hex, 64 digits).
 * The transformed input carries no event id, and the contract's template cannot change now, so
 * the id names the request's content instead; it correlates logs and outcomes.
 */
export function embeddingRequestId(input: EmbeddingRegenerationInput): string {
  const digest = createHash('sha256').update(`${input.product_id}\n${input.title}`, 'utf8').digest('hex');
  return `regenerate-${digest}`;
}

/**
 * Reads the transformed input as an envelope for `makeEventConsumer`: id from
 * `embeddingRequestId`, time now (the input has none), `detail` the input itself. An input that is
 * not shaped like a regeneration request is reported (`ok: false`), never thrown; one that is,
 * but breaks the request's limits (`embeddingRegenerationInputSchema`), is read as an envelope so
 * that the wrapper's detail validation refuses it as `invalid-detail`.
 */
export function embeddingRequestReader(now: () => number = Date.now): EnvelopeReader {
  return (input) => {
    const parsed = regenerationRequestShape.safeParse(input);
    if (!parsed.success) {
      return {
        ok: false,
        message: 'not an embedding regeneration request ({action:"regenerate",product_id,title})',
        issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      };
    }
    return {
      ok: true,
      event: {
        id: embeddingRequestId(parsed.data),
        source: embeddingRequestEnvelope.source,
        'detail-type': embeddingRequestEnvelope.detailType,
        time: new Date(now()).toISOString(),
        detail: parsed.data,
      },
    };
  };
}

const detailSchema: DetailSchemaLookup = (source, detailType) =>
  source === embeddingRequestEnvelope.source && detailType === embeddingRequestEnvelope.detailType
    ? embeddingRegenerationInputSchema
    : undefined;

/**
 * An idempotency store that claims every delivery and remembers nothing: this consumer is
 * idempotent by the state it writes, not by a record of deliveries (see below).
 */
const stateIsTheRecord: IdempotencyStore = {
  claim: async () => ({ status: 'claimed', token: 'idempotent-by-state' }),
  complete: async () => 'completed',
  release: async () => {},
};

export interface EmbeddingRegenerationOptions {
  /** Where `embedding_*` is written (the products table). */
  readonly embeddings: EmbeddingStatusStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms (`embedding_requested_at`). @default Date.now */
  readonly now?: () => number;
}

/**
 * The embedding regeneration consumer (target of the `catalog-updates` rule, input-transformed):
 * marks the product's embedding stale — `embedding_status: 'stale'`, `embedding_requested_at`,
 * `embedding_title` on its products-table item. The vector store and the pipeline that rebuilds
 * embeddings are outside this platform; they act on `embedding_status`. No model is called here
 * and nothing is emitted.
 *
 * Input: the transformed payload, not an envelope; `embeddingRequestReader` turns it into one for
 * `makeEventConsumer` (chain-depth guard: none in the input, so depth 1; logging; permanent and
 * transient failure handling). An input that is not a regeneration request is logged and
 * acknowledged (`malformed-envelope`). A catalog update the bus accepts but this consumer's limits
 * refuse (an empty `product_id`, one over 128 characters, a `title` over 512) is a permanent
 * failure: logged as an error with its reason (`invalid-detail`) and issues, returned as
 * `rejected`, and acknowledged — nothing written. This consumer keeps no delivery records (see
 * below), so that log line and the result are its record.
 *
 * Idempotency, without an event id (the template carries none, and the contract cannot change
 * now): by state, not by a delivery record. The write is conditional — a product already stale
 * for the same title is left alone (`skipped`, `already-stale`, the first request time kept) — so
 * a redelivery or a replay changes nothing, concurrent duplicates write once, and a title changed
 * A → B → A is still followed (a record keyed on product and title would have swallowed the second
 * A for the record's lifetime). What this cannot do without the event time: order two different
 * titles delivered out of order — the later delivery wins; the pipeline should embed the
 * catalog's current title, using `embedding_title` only as a hint.
 *
 * Failures: the store failing → thrown, so EventBridge retries and the DLQ keeps the rest.
 */
export function makeEmbeddingRegenerationConsumer(options: EmbeddingRegenerationOptions): ConsumerFunction {
  const now = options.now ?? Date.now;
  return makeEventConsumer({
    name: 'embedding-regeneration',
    dedupe: stateIsTheRecord,
    readEnvelope: embeddingRequestReader(now),
    detailSchema,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    now,
    consume: async (event, context) => {
      const input = embeddingRegenerationInputSchema.parse(event.detail);
      const marked = await options.embeddings.markEmbeddingStale(input.product_id, {
        title: input.title,
        requestedAt: new Date(context.now()).toISOString(),
      });
      const summary = { product_id: input.product_id };
      return marked === 'marked'
        ? { status: 'processed', summary }
        : { status: 'skipped', reason: 'already-stale', summary };
    },
  });
}
