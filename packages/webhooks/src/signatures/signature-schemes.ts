import { randomUUID } from 'node:crypto';
import type { SignatureScheme } from '../signature-scheme.js';
import type { SignedPart } from './constant-time.js';
import {
  createHmacSha256HexScheme,
  generateHmacSha256HexSecret,
  signHmacSha256Hex,
} from './hmac-sha256-hex-scheme.js';
import {
  createStandardWebhooksScheme,
  generateStandardWebhooksSecret,
  signStandardWebhooks,
} from './standard-webhooks-scheme.js';
import { createStripeScheme, generateStripeSecret, signStripe } from './stripe-scheme.js';

export type SignatureSchemeName = SignatureScheme['name'];

/** Every scheme name, for config validation (`z.enum(signatureSchemeNames)`). */
export const signatureSchemeNames = [
  'stripe',
  'standard-webhooks',
  'hmac-sha256-hex',
] as const satisfies readonly SignatureSchemeName[];

/**
 * The signature schemes with their default header names: `stripe-signature`;
 * `webhook-id` / `webhook-timestamp` / `webhook-signature`; `x-signature` / `x-timestamp`.
 * Use the `create*Scheme` factories for other header names.
 */
export const signatureSchemes: Readonly<Record<SignatureSchemeName, SignatureScheme>> = {
  stripe: createStripeScheme(),
  'standard-webhooks': createStandardWebhooksScheme(),
  'hmac-sha256-hex': createHmacSha256HexScheme(),
};

export interface SignWebhookOptions {
  /** The exact body that will be sent. */
  readonly body: SignedPart;
  readonly secret: string;
  /** Epoch seconds. */
  readonly timestampSeconds: number;
  /** Standard Webhooks' `webhook-id`. @default `msg_<random UUID>` */
  readonly deliveryId?: string;
}

/**
 * The headers (lower-case names, default header names of `signatureSchemes`) that make a
 * delivery of `body` verify under the named scheme: what a sender would attach. For tests, the
 * local dev server's examples and scripts. Throws `TypeError` for a Standard Webhooks secret that
 * is not `whsec_` + base64.
 *
 * @example
 * const headers = signedWebhookHeaders('stripe', { body, secret, timestampSeconds: Math.floor(Date.now() / 1000) });
 * await fetch('http://localhost:3000/webhooks/stripe', { method: 'POST', headers, body });
 */
export function signedWebhookHeaders(
  name: SignatureSchemeName,
  options: SignWebhookOptions,
): Record<string, string> {
  const timestamp = Math.floor(options.timestampSeconds);
  switch (name) {
    case 'stripe':
      return { 'stripe-signature': signStripe(options.body, options.secret, timestamp) };
    case 'standard-webhooks': {
      const deliveryId = options.deliveryId ?? `msg_${randomUUID()}`;
      return {
        'webhook-id': deliveryId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhooks(options.body, options.secret, deliveryId, timestamp),
      };
    }
    case 'hmac-sha256-hex':
      return {
        'x-signature': signHmacSha256Hex(options.body, options.secret),
        'x-timestamp': String(timestamp),
      };
  }
}

/** A new random secret in the named scheme's format (for the local dev secrets); it passes `secretProblem`. */
export function generateWebhookSecret(name: SignatureSchemeName): string {
  switch (name) {
    case 'stripe':
      return generateStripeSecret();
    case 'standard-webhooks':
      return generateStandardWebhooksSecret();
    case 'hmac-sha256-hex':
      return generateHmacSha256HexSecret();
  }
}
