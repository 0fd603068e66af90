import {
  type WebhookSecrets,
  type WebhookSource,
  webhookSecretsSchema,
  webhookSources,
} from '@mangaassist/contracts';
import type { SignatureScheme } from '../signature-scheme.js';
import { WebhookSecretError } from '../webhook-secret-provider.js';

/**
 * The scheme that checks each source's secrets (`scheme.secretProblem`). Only the sources
 * listed are format-checked: a deployed function serves one source and need not judge the others.
 */
export type WebhookSecretFormats = Partial<
  Readonly<Record<WebhookSource, Pick<SignatureScheme, 'secretProblem'>>>
>;

// Whitespace, control and invisible format characters (zero-width space, BOM) a copy and paste
// brings along: every one would silently change the HMAC key.
const whitespaceOrControl = /[\s\p{Cc}\p{Cf}]/u;

/**
 * Validates a secrets document (`{ "stripe": ["whsec_…"], "reviews": [...], "catalog": [...] }`):
 * its shape by `webhookSecretsSchema`, then every secret of each source in `formats` by that
 * source's scheme, after a check that applies to every scheme (no whitespace or control
 * characters anywhere: a pasted newline would silently change the key).
 *
 * Errors: `WebhookSecretError` naming the source and the index of the first bad secret, or the
 * path of the first shape issue — never the secret itself.
 */
export function parseWebhookSecrets(document: unknown, formats: WebhookSecretFormats = {}): WebhookSecrets {
  const parsed = webhookSecretsSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(document)';
    throw new WebhookSecretError(
      `The webhook secrets document is malformed at ${where}: ${issue?.message ?? 'invalid'}. ` +
        `Expected { ${webhookSources.map((source) => `"${source}": ["…"]`).join(', ')} }.`,
    );
  }
  for (const source of webhookSources) {
    const scheme = formats[source];
    parsed.data[source].forEach((secret, index) => {
      const problem = whitespaceOrControl.test(secret)
        ? 'it contains whitespace or a control character'
        : scheme?.secretProblem(secret);
      if (problem !== undefined) {
        throw new WebhookSecretError(`Webhook secret ${source}[${index}] is malformed: ${problem}.`);
      }
    });
  }
  return parsed.data;
}

/** Parses the JSON text of a secrets document; `WebhookSecretError` when it is not JSON. */
export function parseWebhookSecretsJson(text: string, formats: WebhookSecretFormats = {}): WebhookSecrets {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message may quote the text, which holds the secrets.
    throw new WebhookSecretError('The webhook secrets document is not valid JSON.');
  }
  return parseWebhookSecrets(document, formats);
}
