// Test data and in-memory doubles for the consumer tests (no vitest here: any test may import it).
import { randomUUID } from 'node:crypto';
import { busEvents, type CatalogEnrichmentMessage } from '@mangaassist/contracts';
import type { GatewayCallOptions, GatewayRequest, GatewayResult } from '@mangaassist/fm-gateway';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import type { SQSRecord } from 'aws-lambda';
import type { ConsumerModel } from '../consumer-model.js';
import type { EmailSender, OutgoingEmail } from '../email-sender.js';
import type { BusEventEnvelope } from '../event-consumer.js';

/** An EventBridge event as a Lambda target receives it. */
export function eventEnvelope(
  fields: {
    readonly source: string;
    readonly detailType: string;
    readonly detail: Record<string, unknown>;
  } & Partial<Pick<BusEventEnvelope, 'id' | 'time' | 'replay-name'>>,
): BusEventEnvelope {
  return {
    version: '0',
    id: fields.id ?? randomUUID(),
    'detail-type': fields.detailType,
    source: fields.source,
    account: '123456789012',
    time: fields.time ?? '2026-01-31T09:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail: fields.detail,
    ...(fields['replay-name'] === undefined ? {} : { 'replay-name': fields['replay-name'] }),
  };
}

type EnvelopeOverrides = Partial<Pick<BusEventEnvelope, 'id' | 'time' | 'replay-name'>>;

export function paymentCompletedEvent(
  detail: Record<string, unknown> = {},
  envelope: EnvelopeOverrides = {},
): BusEventEnvelope {
  return eventEnvelope({
    source: busEvents.PaymentCompleted.source,
    detailType: 'PaymentCompleted',
    detail: {
      order_id: 'order-42',
      stripe_event_id: 'evt_1a2b3c',
      checkout_session_id: 'cs_test_a1',
      amount: 1980,
      currency: 'JPY',
      customer_email: 'reader@example.jp',
      processing_stage: 'raw',
      ...detail,
    },
    ...envelope,
  });
}

export function reviewSubmittedEvent(
  detail: Record<string, unknown> = {},
  envelope: EnvelopeOverrides = {},
): BusEventEnvelope {
  return eventEnvelope({
    source: busEvents.ReviewSubmitted.source,
    detailType: 'ReviewSubmitted',
    detail: {
      review_id: 'review-7',
      product_id: 'product-onepiece-108',
      rating: 1,
      review_text: 'この巻の作者は最低だ。住所を晒してやる。',
      sentiment: 'negative',
      processing_stage: 'raw',
      ...detail,
    },
    ...envelope,
  });
}

export function catalogUpdateEvent(
  detail: Record<string, unknown> = {},
  envelope: EnvelopeOverrides = {},
): BusEventEnvelope {
  const updateType = typeof detail.update_type === 'string' ? detail.update_type : 'new_release';
  return eventEnvelope({
    source: busEvents['CatalogUpdate.*'].source,
    detailType: `CatalogUpdate.${updateType}`,
    detail: {
      batch_id: 'batch-2026-01',
      product_id: 'product-onepiece-108',
      title: 'ONE PIECE 108',
      update_type: updateType,
      data: { author: '尾田栄一郎', genre: 'shonen', volume: 108, synopsis: 'The crew faces a new island.' },
      processing_stage: 'raw',
      ...detail,
    },
    ...envelope,
  });
}

/**
 * A catalog enrichment queue message's body fields (item 0 of batch-2026-01, first seen at
 * 2026-01-31T09:00:00.000Z, by default).
 */
export function catalogEnrichmentMessageOf(
  overrides: Partial<CatalogEnrichmentMessage> = {},
): CatalogEnrichmentMessage {
  return {
    batch_id: 'batch-2026-01',
    item_index: 0,
    first_seen_at: '2026-01-31T09:00:00.000Z',
    product_id: 'product-onepiece-108',
    title: 'ONE PIECE 108',
    update_type: 'new_release',
    data: { author: '尾田栄一郎', genre: 'shonen', volume: 108, synopsis: 'The crew faces a new island.' },
    ...overrides,
  };
}

/**
 * An SQS record of the catalog enrichment queue as Lambda hands it over: `message` as its body
 * (a string is taken as the body as is), grouped by its product, sent at `sentAt` (epoch ms).
 */
export function catalogEnrichmentRecord(
  message: CatalogEnrichmentMessage | string,
  options: { readonly messageId?: string; readonly sentAt?: number; readonly receiveCount?: number } = {},
): SQSRecord {
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(options.sentAt ?? Date.UTC(2026, 0, 31, 9, 0, 0)),
      SenderId: 'AROAEXAMPLE:webhook-catalog',
      ApproximateFirstReceiveTimestamp: String((options.sentAt ?? Date.UTC(2026, 0, 31, 9, 0, 0)) + 10),
      SequenceNumber: '18849496460467696128',
      MessageGroupId: typeof message === 'string' ? 'product-onepiece-108' : message.product_id,
      MessageDeduplicationId: 'content-sha256',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-catalog-enrichment.fifo',
    awsRegion: 'ap-northeast-1',
  };
}

export function moderationFlaggedEvent(
  detail: Record<string, unknown> = {},
  envelope: EnvelopeOverrides = {},
): BusEventEnvelope {
  return eventEnvelope({
    source: busEvents.ModerationFlagged.source,
    detailType: 'ModerationFlagged',
    detail: {
      review_id: 'review-7',
      product_id: 'product-onepiece-108',
      content_hash: 'a'.repeat(64),
      content_preview: 'この巻の作者は最低だ。',
      severity: 'high',
      flagged_categories: ['harassment', 'threat'],
      reason: 'Threatens to publish the author’s address.',
      model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
      chain_depth: 1,
      source_event_id: 'evt-review-7',
      processing_stage: 'processed',
      ...detail,
    },
    ...envelope,
  });
}

/** A fresh model answer of the fast model. */
export function modelResult(text: string, overrides: Partial<GatewayResult> = {}): GatewayResult {
  return gatewayResult({ text, ...overrides });
}

/** What a scripted model answers a request: a text, a whole result, or an error to throw. */
export type ScriptedAnswer = string | GatewayResult | Error;

/**
 * A model that answers each request with `answer(request)` and records the calls. A string is a
 * fresh answer; an `Error` is thrown.
 */
export function scriptedModel(answer: (request: GatewayRequest) => ScriptedAnswer) {
  const calls: { readonly request: GatewayRequest; readonly options: GatewayCallOptions | undefined }[] = [];
  const model: ConsumerModel = {
    async complete(request, options) {
      calls.push({ request, options });
      const reply = answer(request);
      if (reply instanceof Error) throw reply;
      return typeof reply === 'string' ? modelResult(reply) : reply;
    },
  };
  return { model, calls };
}

/** An email sender that keeps what it sent (or throws `fail` when given). */
export function recordingEmails(fail?: () => Error | undefined) {
  const sent: OutgoingEmail[] = [];
  const emails: EmailSender = {
    async send(email) {
      const error = fail?.();
      if (error) throw error;
      sent.push(email);
      return { messageId: `msg-${sent.length}` };
    },
  };
  return { emails, sent };
}
