import type { Clock, Logger } from '@mangaassist/commons';
import { busEventSchema, type CatalogUpdateDetail, eventSources } from '@mangaassist/contracts';
import { sanitizeForPrompt } from '@mangaassist/fm-gateway';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { catalogEnrichmentDetailSchema } from './catalog-enrichment-message.js';
import { PermanentConsumerError } from './consumer-errors.js';
import { type ConsumerModel, eventConsumersTenant, modelAnswer } from './consumer-model.js';
import {
  type BusEventEnvelope,
  type ConsumerContext,
  type ConsumerFunction,
  type ConsumerOutcome,
  type DetailSchemaLookup,
  makeEventConsumer,
} from './event-consumer.js';
import { holdsLaterUpdate, type ProductStore } from './product-store.js';

export interface CatalogEnrichmentOptions {
  readonly model: ConsumerModel;
  readonly products: ProductStore;
  /** Catalog key or alias. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of the model's answer. @default 5000 */
  readonly deadlineMs?: number;
  /** Drives the model deadline. @default systemClock */
  readonly clock?: Clock;
}

/** How many tags a product gets. */
export const productTagCount = 5;

const maxDescriptionChars = 2_000;
const maxTagChars = 64;

/** The seed's description prompt (000 §5.3), with the item's fields cleaned and bounded. */
export function productDescriptionPrompt(detail: Pick<CatalogUpdateDetail, 'title' | 'data'>): string {
  const field = (value: string | number | undefined, fallback: string, max = 256) =>
    value === undefined ? fallback : clean(String(value), max);
  return (
    'Generate a compelling product description for this manga item.\n' +
    `Title: ${field(detail.title, 'Unknown')}\n` +
    `Author: ${field(detail.data.author, 'Unknown')}\n` +
    `Genre: ${field(detail.data.genre, 'Unknown')}\n` +
    `Volume: ${field(detail.data.volume, 'N/A')}\n` +
    `Synopsis: ${field(detail.data.synopsis, 'No synopsis available', 4_000)}\n\n` +
    'Write a 2-3 sentence description that would appeal to manga fans. ' +
    `Also provide ${productTagCount} search tags as a comma-separated list on a new line starting with 'Tags: '.`
  );
}

/** A description and its tags, or why the answer cannot be used. */
export type DescriptionParse =
  | { readonly ok: true; readonly description: string; readonly tags: readonly string[] }
  | { readonly ok: false; readonly problem: string };

const tagsLine = /^[\s*_#>-]*tags[\s*_]*[:：][\s*_]*(.*)$/imu;
const descriptionLabel = /^[\s*_#]*description[\s*_]*[:：][\s*_]*/iu;
const tagEdges = /^[\s"'`*_#[\](){}「」『』]+|[\s"'`*_#[\](){}「」『』.。]+$/gu;

/**
 * Reads the model's answer: the description is the text before the last `Tags:` line (a leading
 * `Description:` label dropped, lines joined, at most 2 000 characters); the tags are that line
 * split on commas (`,`, `、`, `，`), trimmed of quotes, brackets and `#`, empties and repeats
 * (case-insensitive) dropped.
 *
 * Normalised, not rejected: more than five tags keeps the first five — the model answered, just
 * too generously. Rejected (`ok: false`): no `Tags:` line, fewer than five distinct tags, or no
 * description — asking again would cost another call for a likely similar answer, so the caller
 * treats it as a permanent failure.
 */
export function parseDescriptionAndTags(answer: string): DescriptionParse {
  const text = answer.normalize('NFC');
  const lines = text.split(/\r?\n/u);
  let tagsIndex = -1;
  for (let index = lines.length - 1; index >= 0; index--) {
    if (tagsLine.test(lines[index] ?? '')) {
      tagsIndex = index;
      break;
    }
  }
  if (tagsIndex < 0) return { ok: false, problem: 'no "Tags:" line' };
  const rawTags = tagsLine.exec(lines[tagsIndex] ?? '')?.[1] ?? '';
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const part of rawTags.split(/[,、，]/u)) {
    const tag = part.replace(tagEdges, '').replace(/\s+/gu, ' ').trim();
    const folded = tag.toLowerCase();
    if (tag === '' || tag.length > maxTagChars || seen.has(folded)) continue;
    seen.add(folded);
    tags.push(tag);
  }
  if (tags.length < productTagCount) {
    return { ok: false, problem: `${tags.length} usable tags, ${productTagCount} needed` };
  }
  const description = lines
    .slice(0, tagsIndex)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
    .replace(descriptionLabel, '')
    .trim();
  if (description === '') return { ok: false, problem: 'no description' };
  return {
    ok: true,
    description: Array.from(description).slice(0, maxDescriptionChars).join(''),
    tags: tags.slice(0, productTagCount),
  };
}

/**
 * `CatalogUpdate.*` (as read from the catalog enrichment queue, with its `item_index`) → a 2–3
 * sentence description and exactly five tags from the fast model → the products table
 * (`ai_description`, `ai_tags`, `ai_model`, `ai_updated_at`, `ai_item_index`), upserted by
 * `product_id`; a `discontinued` item is recorded as such (`discontinued_at`, no model call, its
 * content kept), and content for a later update lifts that again.
 *
 * Order: an update's place is its time (`event.time`: when the catalog webhook first took up its
 * batch — never when the message was sent, which a redrive or a late retry changes) and then its
 * `item_index` in the batch. What an earlier update brings never replaces what a later one wrote
 * (conditional writes). The queue delivers one product's updates in order, so this only refuses
 * an old message coming back (a redrive from the dead-letter queue, a copy sent again after the
 * queue's deduplication interval); a product already holding something later is skipped before
 * the model is asked. A batch the webhook accepts again after forgetting it (a re-send past its
 * 7-day idempotency window) is first seen anew, so it counts as the catalog's newest word on its
 * products: the catalog said it again, now.
 *
 * Skipped: stale updates (`newer-content-exists`). Failures: a detail without `item_index` →
 * permanent (`invalid-detail`); an answer without five tags or a description → permanent
 * (`unparseable-description`); the model failing, slow or degraded, or the store failing →
 * transient.
 */
export function makeCatalogEnrichment(options: CatalogEnrichmentOptions) {
  const deadlineMs = options.deadlineMs ?? 5_000;
  const modelKey = options.modelKey ?? 'fast';

  return async (event: BusEventEnvelope, context: ConsumerContext): Promise<ConsumerOutcome> => {
    const parsed = catalogEnrichmentDetailSchema.safeParse(event.detail);
    if (!parsed.success) throw new PermanentConsumerError('not a CatalogUpdate detail', 'invalid-detail');
    const detail = parsed.data;
    const base = { product_id: detail.product_id, update_type: detail.update_type };
    const position = { at: new Date(event.time).toISOString(), itemIndex: detail.item_index };
    const stale = { status: 'skipped', reason: 'newer-content-exists', summary: base } as const;

    if (detail.update_type === 'discontinued') {
      const marked = await options.products.markDiscontinued(detail.product_id, {
        ...position,
        sourceEventId: context.eventId,
      });
      return marked === 'stale' ? stale : { status: 'processed', summary: { ...base, discontinued: true } };
    }

    if (holdsLaterUpdate(await options.products.get(detail.product_id), position)) return stale;

    const result = await modelAnswer(
      options.model,
      {
        tenantId: eventConsumersTenant,
        model: modelKey,
        messages: [{ role: 'user', content: productDescriptionPrompt(detail) }],
        maxTokens: 300,
        temperature: 0.6,
        requestId: `${context.eventId}:description`,
        chain: context.chain,
      },
      { deadlineMs, ...(options.clock ? { clock: options.clock } : {}) },
    );
    const answer = parseDescriptionAndTags(result.text);
    if (!answer.ok) {
      throw new PermanentConsumerError(
        `the model's description of ${detail.product_id} cannot be used: ${answer.problem}`,
        'unparseable-description',
      );
    }
    const written = await options.products.putAiContent(detail.product_id, {
      description: answer.description,
      tags: answer.tags,
      model: result.modelId,
      updatedAt: position.at,
      itemIndex: position.itemIndex,
      sourceEventId: context.eventId,
    });
    if (written === 'stale') return stale;
    return { status: 'processed', summary: { ...base, tags: [...answer.tags], model_id: result.modelId } };
  };
}

export interface CatalogEnrichmentConsumerOptions extends CatalogEnrichmentOptions {
  /** The consumed-events store: one claim per catalog update (`catalog-enrichment:<update id>`). */
  readonly dedupe: IdempotencyStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * The `catalog-enrichment` queue consumer: `makeCatalogEnrichment` behind `makeEventConsumer`,
 * for the catalog updates the queue handler (`makeCatalogEnrichmentQueueHandler`) reads as
 * envelopes whose id is the update's (`catalogUpdateId`: batch, item index and when the webhook
 * first took up the batch). So each catalog update is enriched once per acceptance of its batch,
 * however often its message arrives (a retried webhook delivery past the queue's 5-minute
 * deduplication, a redelivery after a crash), while a batch the webhook accepts again once it has
 * forgotten it (after its 7-day idempotency window) is enriched again; the outcome is recorded in
 * the consumed-events table. Its details are checked against `catalogEnrichmentDetailSchema` (the
 * bus's `CatalogUpdate.*` detail with `item_index`). It emits nothing itself; the gateway
 * publishes `InferenceCompleted` for each answer. Failure semantics: those of `makeEventConsumer`
 * and `makeCatalogEnrichment`.
 */
export function makeCatalogEnrichmentConsumer(options: CatalogEnrichmentConsumerOptions): ConsumerFunction {
  const { dedupe, logger, now, ...enrichment } = options;
  return makeEventConsumer({
    name: 'catalog-enrichment',
    dedupe,
    consume: makeCatalogEnrichment(enrichment),
    detailSchema: catalogEnrichmentDetail,
    ...(logger === undefined ? {} : { logger }),
    ...(now === undefined ? {} : { now }),
  });
}

/** `CatalogUpdate.*` of the bus contract, read with its `item_index`; nothing else. */
const catalogEnrichmentDetail: DetailSchemaLookup = (source, detailType) =>
  source === eventSources.catalog && busEventSchema(source, detailType) !== undefined
    ? catalogEnrichmentDetailSchema
    : undefined;

function clean(text: string, max: number): string {
  return Array.from(sanitizeForPrompt(text).replace(/[\r\n]+/gu, ' '))
    .slice(0, max)
    .join('');
}
