import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import type { CallbackSecrets } from '../callbacks/callback-delivery.js';

/** The secret's JSON: each tenant's callback secrets, the one to sign with first (rotation: add in front). */
export const callbackSecretsDocumentSchema = z.record(
  z.string().check(z.minLength(1)),
  z
    .array(z.string().check(z.regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'whsec_ and base64')))
    .check(z.minLength(1)),
);

export type CallbackSecretsDocument = z.infer<typeof callbackSecretsDocumentSchema>;

/**
 * `CallbackSecrets` on one Secrets Manager secret (`{ "<tenant>": ["whsec_…"] }`), read with
 * `GetSecretValue` and kept for `ttlMs` (a rotation takes effect within it, without a deploy).
 * A malformed document throws (the delivery is retried; the error names no secret). Needs
 * `secretsmanager:GetSecretValue` on the secret.
 */
export class SecretsManagerCallbackSecrets implements CallbackSecrets {
  #loaded?: { readonly document: CallbackSecretsDocument; readonly at: number };

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly options: { readonly ttlMs?: number; readonly now?: () => number } = {},
  ) {}

  async signingSecret(tenantId: string): Promise<string | undefined> {
    const document = await this.#document();
    return Object.hasOwn(document, tenantId) ? document[tenantId]?.[0] : undefined;
  }

  async #document(): Promise<CallbackSecretsDocument> {
    const now = (this.options.now ?? Date.now)();
    if (this.#loaded && now - this.#loaded.at < (this.options.ttlMs ?? 60_000)) return this.#loaded.document;
    const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    let json: unknown;
    try {
      json = JSON.parse(SecretString ?? '');
    } catch {
      throw new Error(`the callback secrets (${this.secretId}) are not JSON`);
    }
    const parsed = callbackSecretsDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const paths = parsed.error.issues.map((issue) => issue.path.map(String).join('.')).join(', ');
      throw new Error(`the callback secrets (${this.secretId}) are malformed at: ${paths}`);
    }
    this.#loaded = { document: parsed.data, at: now };
    return parsed.data;
  }
}
