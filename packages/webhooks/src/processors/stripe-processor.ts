import {
  type PaymentCompletedDetail,
  stripeCheckoutSessionSchema,
  type stripeEventSchema,
} from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import * as z from 'zod/mini';
import type { WebhookProcessor } from '../webhook-processor.js';
import { contractEvent, webhookEvents } from './webhook-events.js';
import { WebhookPayloadError } from './webhook-payload-error.js';

export type StripeEvent = z.output<typeof stripeEventSchema>;

/** The Stripe event types that mean "this order is paid". */
const paidEventTypes: ReadonlySet<string> = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
]);

// Not part of the contract's session schema: read on its own so that an unknown value is simply absent.
const paymentStatusSchema = z.object({ payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']) });

export interface StripeProcessorOptions {
  /** Where `PaymentCompleted` goes. */
  readonly events: EventPublisher;
}

/**
 * The Stripe webhook processor (seed 000 §5.1): a paid Checkout Session becomes one
 * `mangaassist.payments` / `PaymentCompleted` event.
 *
 * - `checkout.session.completed` with `payment_status` `paid` (or `no_payment_required`, or no
 *   status at all) publishes the event. Order id: `client_reference_id`, else
 *   `metadata.order_id`, else the session id; amount: `amount_total` in the currency's minor
 *   unit (yen have none); currency upper-cased; the customer's email when Stripe has one.
 * - A completed session still `unpaid` (konbini and bank transfers pay later) is acknowledged and
 *   ignored; its `checkout.session.async_payment_succeeded` publishes the event instead, so an
 *   order is confirmed once, when the money is there.
 * - A session without an amount or currency (setup mode) and every other event type are
 *   acknowledged and ignored (`{ status: 'ignored', events: 0 }`), never refused: refusing would
 *   make Stripe retry for days and eventually disable the endpoint.
 * - A paid-session event whose object fails `stripeCheckoutSessionSchema` throws
 *   `WebhookPayloadError` (the receiver answers 400); nothing is published.
 * - A publish failure rejects with the publisher's `EventPublishError`: the delivery is not
 *   acknowledged, and Stripe's retry publishes again. Publishing runs under the delivery's
 *   signal: when that aborts, it rejects with the signal's reason.
 */
export function makeStripeProcessor(options: StripeProcessorOptions): WebhookProcessor<StripeEvent> {
  return async (payload, context) => {
    if (!paidEventTypes.has(payload.type)) {
      return { status: 'ignored', events: 0, detail: { reason: 'unhandled_type', type: payload.type } };
    }
    const parsed = stripeCheckoutSessionSchema.safeParse(payload.data.object);
    if (!parsed.success) {
      throw WebhookPayloadError.fromZod(
        `${payload.type} carries an invalid Checkout Session.`,
        parsed.error,
        'data.object',
      );
    }
    const session = parsed.data;
    const paymentStatus = paymentStatusSchema.safeParse(payload.data.object).data?.payment_status;
    if (payload.type === 'checkout.session.completed' && paymentStatus === 'unpaid') {
      return {
        status: 'ignored',
        events: 0,
        detail: { reason: 'payment_pending', checkout_session_id: session.id },
      };
    }
    if (session.amount_total === null || session.currency === null) {
      return {
        status: 'ignored',
        events: 0,
        detail: { reason: 'no_payment', checkout_session_id: session.id },
      };
    }

    const email = session.customer_details?.email;
    const detail: PaymentCompletedDetail = {
      order_id: session.client_reference_id || session.metadata?.order_id || session.id,
      stripe_event_id: payload.id,
      checkout_session_id: session.id,
      amount: session.amount_total,
      currency: session.currency.toUpperCase(),
      ...(email ? { customer_email: email } : {}),
      processing_stage: 'raw',
    };
    const { paymentCompleted } = webhookEvents;
    await options.events.publish([contractEvent(paymentCompleted, paymentCompleted.detailType, detail)], {
      signal: context.signal,
    });
    return {
      status: 'processed',
      events: 1,
      detail: { order_id: detail.order_id, checkout_session_id: session.id },
    };
  };
}
