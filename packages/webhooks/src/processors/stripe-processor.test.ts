import { EventPublishError } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { describe, expect, it } from 'vitest';
import { checkoutSession, stripeEvent, webhookContext } from '../testing/processor-fixtures.js';
import { makeStripeProcessor } from './stripe-processor.js';
import { WebhookPayloadError } from './webhook-payload-error.js';

function setup() {
  const bus = recordingPublisher();
  return { ...bus, process: makeStripeProcessor({ events: bus.publisher }) };
}

describe('the Stripe processor', () => {
  it('turns a paid checkout.session.completed into one PaymentCompleted event', async () => {
    const { process, published } = setup();
    const outcome = await process(stripeEvent(), webhookContext());

    expect(outcome).toEqual({
      status: 'processed',
      events: 1,
      detail: { order_id: 'order-42', checkout_session_id: 'cs_test_a1' },
    });
    expect(published).toEqual([
      {
        source: 'mangaassist.payments',
        detailType: 'PaymentCompleted',
        detail: {
          order_id: 'order-42',
          stripe_event_id: 'evt_1NGqqC2eZvKYlo2C',
          checkout_session_id: 'cs_test_a1',
          amount: 1980,
          currency: 'JPY',
          customer_email: 'reader@example.jp',
          processing_stage: 'raw',
        },
      },
    ]);
  });

  it('takes the order id from metadata.order_id when there is no client_reference_id', async () => {
    const { process, published } = setup();
    await process(stripeEvent({}, checkoutSession({ client_reference_id: null })), webhookContext());
    expect(published[0]?.detail.order_id).toBe('meta-order-42');
  });

  it('falls back to the session id as the order id when neither is set', async () => {
    const { process, published } = setup();
    await process(
      stripeEvent({}, checkoutSession({ client_reference_id: '', metadata: {} })),
      webhookContext(),
    );
    expect(published[0]?.detail.order_id).toBe('cs_test_a1');
  });

  it('leaves the customer email out when Stripe has none', async () => {
    const { process, published } = setup();
    await process(stripeEvent({}, checkoutSession({ customer_details: { email: null } })), webhookContext());
    expect(published[0]?.detail).not.toHaveProperty('customer_email');
  });

  it('acknowledges and ignores event types it does not act on', async () => {
    const { process, calls } = setup();
    const outcome = await process(
      stripeEvent({ type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } }),
      webhookContext(),
    );
    expect(outcome).toEqual({
      status: 'ignored',
      events: 0,
      detail: { reason: 'unhandled_type', type: 'payment_intent.succeeded' },
    });
    expect(calls).toEqual([]);
  });

  it('waits for the money on a completed session that is still unpaid (konbini)', async () => {
    const { process, published } = setup();
    const pending = checkoutSession({ payment_status: 'unpaid' });

    const completed = await process(stripeEvent({}, pending), webhookContext());
    expect(completed).toMatchObject({ status: 'ignored', events: 0, detail: { reason: 'payment_pending' } });
    expect(published).toEqual([]);

    const paid = await process(
      stripeEvent({ id: 'evt_2', type: 'checkout.session.async_payment_succeeded' }, checkoutSession()),
      webhookContext(),
    );
    expect(paid).toMatchObject({ status: 'processed', events: 1 });
    expect(published.map((event) => event.detail.stripe_event_id)).toEqual(['evt_2']);
  });

  it('ignores a completed session without an amount (setup mode)', async () => {
    const { process, calls } = setup();
    const outcome = await process(
      stripeEvent({}, checkoutSession({ mode: 'setup', amount_total: null, currency: null })),
      webhookContext(),
    );
    expect(outcome).toMatchObject({ status: 'ignored', detail: { reason: 'no_payment' } });
    expect(calls).toEqual([]);
  });

  it('refuses a checkout.session.completed whose session fails its schema, naming the field', async () => {
    const { process, calls } = setup();
    const failure = process(stripeEvent({}, checkoutSession({ amount_total: '1980' })), webhookContext());

    await expect(failure).rejects.toBeInstanceOf(WebhookPayloadError);
    await expect(failure).rejects.toMatchObject({
      issues: [{ path: 'data.object.amount_total', message: expect.any(String) }],
    });
    expect(calls).toEqual([]);
  });

  it('publishes under the delivery’s abort signal, so a stalled bus cannot outlive the delivery', async () => {
    const { process, signals } = setup();
    const delivery = webhookContext();
    await process(stripeEvent(), delivery);
    expect(signals).toEqual([delivery.signal]);
  });

  it('fails the delivery when the bus does not accept the event', async () => {
    const bus = recordingPublisher(() => new Map([[0, 'InternalFailure']]));
    const process = makeStripeProcessor({ events: bus.publisher });
    await expect(process(stripeEvent(), webhookContext())).rejects.toBeInstanceOf(EventPublishError);
  });
});
