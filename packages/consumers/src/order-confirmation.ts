import type { Clock } from '@mangaassist/commons';
import { errorMessage } from '@mangaassist/commons';
import type { PaymentCompletedDetail } from '@mangaassist/contracts';
import { paymentCompletedDetailSchema } from '@mangaassist/contracts';
import { sanitizeForPrompt } from '@mangaassist/fm-gateway';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import {
  EmailOutcomeUnknownError,
  PermanentConsumerError,
  TransientConsumerError,
} from './consumer-errors.js';
import { type ConsumerModel, eventConsumersTenant, modelAnswer } from './consumer-model.js';
import { EmailRejectedError, type EmailSender } from './email-sender.js';
import type { BusEventEnvelope, ConsumerContext, ConsumerOutcome } from './event-consumer.js';
import { consumerLimits } from './event-consumer.js';

/** What a replayed `PaymentCompleted` does about the confirmation email. */
export type ReplayedConfirmationPolicy =
  /** Send it only if the order has none recorded (the original attempt never sent one). */
  | 'send-missing'
  /** Never email from a replay. */
  | 'skip';

export interface OrderConfirmationOptions {
  readonly model: ConsumerModel;
  readonly emails: EmailSender;
  /** The consumed-events store; holds one `confirmation:<order id>` record per order. */
  readonly dedupe: IdempotencyStore;
  /** Catalog key or alias. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of the model's answer. @default 5000 */
  readonly deadlineMs?: number;
  /** @default 'send-missing' */
  readonly replayedConfirmations?: ReplayedConfirmationPolicy;
  /** @default consumerLimits.inProgressSeconds */
  readonly inProgressSeconds?: number;
  /** Drives the model deadline. @default systemClock */
  readonly clock?: Clock;
}

/** The consumed-events key that stands for "this order's confirmation email". */
export function confirmationKey(orderId: string): string {
  return `confirmation:${orderId}`;
}

/**
 * An amount in the currency's minor unit, formatted (`1980 JPY` → `¥1,980`, `1980 USD` →
 * `$19.80`); an unknown currency code gives `1980 XYZ`.
 */
export function formatAmount(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 0;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** The seed's confirmation prompt (000 §5.3), with the order's facts cleaned and bounded. */
export function orderConfirmationPrompt(detail: PaymentCompletedDetail): string {
  return (
    'Generate a friendly, professional order confirmation message for a Japanese manga store.\n' +
    `Order ID: ${cleanLine(detail.order_id)}\n` +
    `Amount: ${formatAmount(detail.amount, detail.currency)}\n\n` +
    'Write in a warm tone. Include the order ID, total amount, and a thank-you message. ' +
    'Keep it under 200 words. Write in English with a light manga/anime flavor. ' +
    'Reply with the message body only.'
  );
}

/** The subject and the facts the email always carries, whatever the model wrote. */
function emailFor(detail: PaymentCompletedDetail, modelText: string): { subject: string; text: string } {
  const orderId = cleanLine(detail.order_id);
  return {
    subject: `MangaAssist Order Confirmed! #${orderId}`,
    text: `${modelText}\n\n--\nOrder: #${orderId}\nTotal: ${formatAmount(detail.amount, detail.currency)}\n`,
  };
}

/**
 * `PaymentCompleted` → an order confirmation written by the fast model → one email, sent once per
 * ORDER however often the event arrives. The wrapper already deduplicates on the event id, but
 * that is not enough: one order can reach the bus as several events (Stripe sends both
 * `checkout.session.completed` and `…async_payment_succeeded` for some payments, a webhook may be
 * re-sent under a new event id), and a replay is only deduplicated while its record lives. So the
 * email claims `confirmation:<order id>` in the consumed-events store: a completed claim means
 * the email went out (skipped, `confirmation-already-sent`); a claim in progress means another
 * copy is sending it right now (transient: retried later).
 *
 * Replays: with `send-missing` (the default) a replayed event emails only when the order has no
 * confirmation recorded — the recovery a replay is for — and the record outlives the archive
 * (`consumerLimits.dedupeTtlSeconds`), so a replay never sends a second one; `skip` never emails
 * from a replay.
 *
 * Failures:
 * - no customer email → skipped;
 * - the model failing, slow or degraded, or the email service failing in a way that sent nothing
 *   (throttling, an outage, and every account or identity problem an operator can fix: an
 *   unverified sender, the sandbox, a paused account) → transient: the claim is released, the
 *   event is retried and ends in the DLQ, and a replay after the fix sends the email;
 * - the email service refusing THIS message or recipient (`EmailRejectedError`: an invalid
 *   address) → permanent, recorded on the confirmation key as `rejected`, so no other copy tries
 *   (`confirmation-refused-before`);
 * - the email service not saying whether it took the email (`EmailOutcomeUnknownError`: a
 *   timeout or a reset after the request went out) → permanent, recorded as `unknown` and logged
 *   as an error naming the order (`confirmation-outcome-unknown` for every later copy). The
 *   trade-off: resending could mail the customer twice, not resending may leave them without a
 *   confirmation; this chooses at most one email and hands the doubt to an operator, who checks
 *   SES (the `X-MangaAssist-Idempotency-Key` header, the configuration set's events) and, if
 *   nothing went out, deletes `confirmation:<order id>` and replays the event;
 * - a failure after SES accepted the email (storing the record) is logged, never retried.
 */
export function makeOrderConfirmation(options: OrderConfirmationOptions) {
  const deadlineMs = options.deadlineMs ?? 5_000;
  const modelKey = options.modelKey ?? 'fast';
  const replayPolicy = options.replayedConfirmations ?? 'send-missing';
  const inProgressSeconds = options.inProgressSeconds ?? consumerLimits.inProgressSeconds;
  const { dedupe } = options;

  return async (event: BusEventEnvelope, context: ConsumerContext): Promise<ConsumerOutcome> => {
    const parsed = paymentCompletedDetailSchema.safeParse(event.detail);
    if (!parsed.success) throw new PermanentConsumerError('not a PaymentCompleted detail', 'invalid-detail');
    const detail = parsed.data;
    const base = { order_id: detail.order_id };
    if (detail.customer_email === undefined || detail.customer_email.trim() === '') {
      return { status: 'skipped', reason: 'no-customer-email', summary: base };
    }
    if (context.replay !== undefined && replayPolicy === 'skip') {
      return { status: 'skipped', reason: 'replayed-no-email', summary: base };
    }

    const key = confirmationKey(detail.order_id);
    let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
    try {
      claim = await dedupe.claim(key, { inProgressSeconds });
    } catch (error) {
      throw new TransientConsumerError(`could not claim ${key}: ${errorMessage(error)}`, { cause: error });
    }
    if (claim.status === 'completed') {
      const recorded = previousConfirmation(claim.summary.status);
      context.logger.info(recorded.message, { ...base, eventId: context.eventId });
      return { status: 'skipped', reason: recorded.reason, summary: base };
    }
    if (claim.status === 'in_progress') {
      throw new TransientConsumerError(
        `the confirmation of order ${detail.order_id} is being sent; retry later`,
      );
    }
    const { token } = claim;

    let messageId: string;
    let modelId: string;
    try {
      const result = await modelAnswer(
        options.model,
        {
          tenantId: eventConsumersTenant,
          model: modelKey,
          messages: [{ role: 'user', content: orderConfirmationPrompt(detail) }],
          maxTokens: 512,
          temperature: 0.5,
          requestId: `${context.eventId}:confirmation`,
          chain: context.chain,
        },
        { deadlineMs, ...(options.clock ? { clock: options.clock } : {}) },
      );
      const body = result.text.trim();
      if (body === '') throw new TransientConsumerError('the model wrote an empty confirmation');
      modelId = result.modelId;
      ({ messageId } = await options.emails.send({
        to: detail.customer_email.trim(),
        ...emailFor(detail, body),
        idempotencyKey: key,
      }));
    } catch (error) {
      if (error instanceof EmailOutcomeUnknownError) {
        const unknown = { ...base, event_id: context.eventId, error: error.message };
        // Not released: another copy would send a second email if SES did take this one.
        await dedupe.complete(key, token, { status: 'unknown', ...unknown }).catch((storeError: unknown) => {
          context.logger.error('order confirmation: could not record the unknown outcome', {
            ...base,
            error: errorMessage(storeError),
          });
        });
        context.logger.error(
          'order confirmation may or may not have been sent; not resent. Check SES and, if nothing went out, delete the confirmation record and replay the event',
          { ...unknown, confirmation_key: key },
        );
        throw new PermanentConsumerError(
          `the email service did not say whether it sent the confirmation of order ${detail.order_id}: ${error.message}`,
          'email-outcome-unknown',
          { cause: error },
        );
      }
      if (error instanceof EmailRejectedError) {
        await dedupe
          .complete(key, token, { status: 'rejected', code: error.code, event_id: context.eventId })
          .catch(() => undefined);
        throw new PermanentConsumerError(
          `the email service refused the confirmation of order ${detail.order_id}: ${error.message}`,
          'email-rejected',
          { cause: error },
        );
      }
      await dedupe.release(key, token).catch(() => undefined);
      throw error;
    }

    const sent = { ...base, message_id: messageId, model_id: modelId, event_id: context.eventId };
    try {
      await dedupe.complete(key, token, {
        status: 'sent',
        ...sent,
        sent_at: new Date(context.now()).toISOString(),
      });
    } catch (error) {
      context.logger.error('order confirmation sent but not recorded', {
        ...sent,
        error: errorMessage(error),
      });
    }
    if (context.replay !== undefined) {
      context.logger.warn('order confirmation sent from a replayed event (none was recorded)', sent);
    }
    return { status: 'processed', summary: sent };
  };
}

/** What an earlier copy recorded on the confirmation key, as this copy's skip. */
function previousConfirmation(status: unknown): { reason: string; message: string } {
  if (status === 'rejected') {
    return { reason: 'confirmation-refused-before', message: 'order confirmation refused before' };
  }
  if (status === 'unknown') {
    return {
      reason: 'confirmation-outcome-unknown',
      message: 'order confirmation outcome unknown; not resent',
    };
  }
  return { reason: 'confirmation-already-sent', message: 'order confirmation already sent' };
}

/** One line of customer-controlled text: cleaned, no line breaks, at most 128 characters. */
function cleanLine(text: string): string {
  return Array.from(sanitizeForPrompt(text).replace(/[\r\n\t]+/gu, ' '))
    .slice(0, 128)
    .join('');
}
