import {
  type WebhookSecrets,
  type WebhookSource,
  webhookSecretsSchema,
  webhookSources,
} from '@mangaassist/contracts';
import type { SignatureScheme } from '../signature-scheme.js';
import { WebhookSecretError } from '../webhook-secret-provider.js';

/**
 * The scheme that checks each source's secrets (`scheme.secretProblem`). The sources listed are
 * the ones served (unless an explicit list says otherwise): a deployed function serves one
 * source and neither judges nor needs the others.
 */
export type WebhookSecretFormats = Partial<
  Readonly<Record<WebhookSource, Pick<SignatureScheme, 'secretProblem'>>>
>;

// Whitespace, control and invisible format characters (zero-width space, BOM) a copy and paste
// brings along: every one would silently change the HMAC key.
const whitespaceOrControl = /[\s\p{Cc}\p{Cf}]/u;

/**
 * The sources a provider serves: `sources` when given, else the keys of `formats`, else every
 * source (a provider told nothing checks everything rather than nothing).
 */
export function servedWebhookSources(
  formats: WebhookSecretFormats = {},
  sources?: readonly WebhookSource[],
): readonly WebhookSource[] {
  if (sources !== undefined) return sources;
  const listed = webhookSources.filter((source) => formats[source] !== undefined);
  return listed.length > 0 ? listed : webhookSources;
}

/**
 * Validates the shared secrets document (`{ "stripe": ["whsec_…"], "reviews": [...], … }`) for
 * the sources served (see `servedWebhookSources`): each must hold at least one secret, each
 * secret a non-empty string without whitespace or control characters (a pasted newline would
 * silently change the key) that its source's scheme accepts (`formats`).
 *
 * Every other key is left alone — another source's secrets, missing, empty or even malformed,
 * and keys of sources this code does not know yet — so one source's mistake never takes down
 * another source's receiver. The result holds the served sources' secrets and `[]` for the
 * others (never served unchecked).
 *
 * Errors: `WebhookSecretError` when the document is not an object, a served source has no
 * secret, or a secret is malformed — naming the source and the index or path, never a secret.
 */
export function parseWebhookSecrets(
  document: unknown,
  formats: WebhookSecretFormats = {},
  sources?: readonly WebhookSource[],
): WebhookSecrets {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new WebhookSecretError(
      `The webhook secrets document is malformed at (document): expected an object like ` +
        `{ ${webhookSources.map((source) => `"${source}": ["…"]`).join(', ')} }.`,
    );
  }
  const served = servedWebhookSources(formats, sources);
  const picked = Object.fromEntries(
    served.flatMap((source) =>
      Object.hasOwn(document, source) ? [[source, Reflect.get(document, source)]] : [],
    ),
  );
  const parsed = webhookSecretsSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(document)';
    throw new WebhookSecretError(
      `The webhook secrets document is malformed at ${where}: ${issue?.message ?? 'invalid'}. ` +
        `Expected a list of secrets per source, like "${served[0] ?? 'stripe'}": ["…"].`,
    );
  }
  for (const source of served) {
    const secrets = parsed.data[source];
    if (secrets.length === 0) {
      throw new WebhookSecretError(
        `The webhook secrets document has no secret for ${source}: expected "${source}": ["…"] with at least one.`,
      );
    }
    const scheme = formats[source];
    secrets.forEach((secret, index) => {
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
export function parseWebhookSecretsJson(
  text: string,
  formats: WebhookSecretFormats = {},
  sources?: readonly WebhookSource[],
): WebhookSecrets {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message may quote the text, which holds the secrets.
    throw new WebhookSecretError('The webhook secrets document is not valid JSON.');
  }
  return parseWebhookSecrets(document, formats, sources);
}
