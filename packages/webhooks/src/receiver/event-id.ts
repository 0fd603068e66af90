import type { SignatureVerdict } from '../signature-scheme.js';

/** A verdict that accepted the delivery: its signed timestamp and (Standard Webhooks) delivery id. */
export type AcceptedSignature = Extract<SignatureVerdict, { readonly ok: true }>;

/**
 * Where a source's event id comes from: the idempotency key is `{source}:{id}`. Returns
 * undefined when the delivery carries none (the receiver then answers 400).
 */
export type EventIdSelector<P> = (payload: P, signature: AcceptedSignature) => string | undefined;

/**
 * The event id from a field of the (schema-valid) payload: Stripe `id`, reviews `review_id`,
 * catalog `batch_id`. Undefined unless the field is a non-empty string.
 */
export function payloadEventId<P>(field: keyof P & string): EventIdSelector<P> {
  return (payload) => {
    const value: unknown = payload[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}

/**
 * The Standard Webhooks `webhook-id` of the verdict: for a source whose payload carries no
 * id of its own. Undefined for a scheme without delivery ids.
 */
export function signedDeliveryId<P>(): EventIdSelector<P> {
  return (_payload, signature) => signature.deliveryId;
}
