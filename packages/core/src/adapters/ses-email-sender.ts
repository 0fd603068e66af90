import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EmailRejectedError, type EmailSender, type OutgoingEmail } from '../consumers/email-sender.js';

export interface SesClientOptions {
  /** AWS region; unset = the SDK's provider chain (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** A custom endpoint; unset = AWS. */
  readonly endpoint?: string;
  /** Connection establishment timeout, ms. @default 1_000 */
  readonly connectionTimeoutMs?: number;
  /** Longest one attempt may take, ms; then the SDK may retry it. @default 5_000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Builds an SES v2 client with short connection and request timeouts, so a hung call fails (and
 * the event is retried) instead of holding the function to its timeout. The SDK's standard
 * retries (throttling included) stay on. Build one per process.
 */
export function createSesClient(options: SesClientOptions = {}): SESv2Client {
  return new SESv2Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
    }),
  });
}

export interface SesEmailSenderOptions {
  /** The verified sender identity (`SENDER_EMAIL`), e.g. `noreply@mangaassist.example.com`. */
  readonly fromAddress: string;
  /** A configuration set for event publishing (deliveries, bounces). @default - none */
  readonly configurationSetName?: string;
}

/** The header that carries the email's idempotency key (SES has no idempotency token of its own). */
export const idempotencyKeyHeader = 'X-MangaAssist-Idempotency-Key';

/**
 * Errors that refuse this message for good (SES v2 `SendEmail`): the message itself or its
 * recipient is invalid. Every other error — throttling, `SendingPausedException`,
 * `AccountSuspendedException`, an unverified MAIL FROM domain, an outage — is left as it is:
 * an operator can fix it, so the event is retried and waits in the DLQ rather than being dropped.
 */
const rejectedErrors: ReadonlySet<string> = new Set(['MessageRejected', 'BadRequestException']);

/**
 * The email-sender port on Amazon SES v2 (`SendEmail`, a simple UTF-8 text message). The
 * idempotency key travels as the `X-MangaAssist-Idempotency-Key` header (non-ASCII characters
 * percent-encoded), so a duplicate that slipped through can be traced; preventing duplicates is
 * the caller's job.
 *
 * Errors: `EmailRejectedError` (with the SES error name as `code`) for `MessageRejected` and
 * `BadRequestException`; any other SDK error propagates unchanged (transient for the caller).
 *
 * @example
 * const emails = new SesEmailSender(createSesClient(), { fromAddress: 'noreply@mangaassist.example.com' });
 */
export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesEmailSenderOptions,
  ) {}

  async send(email: OutgoingEmail): Promise<{ readonly messageId: string }> {
    try {
      const output = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.fromAddress,
          Destination: { ToAddresses: [email.to] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
              Headers: [{ Name: idempotencyKeyHeader, Value: headerValue(email.idempotencyKey) }],
            },
          },
          ...(this.options.configurationSetName === undefined
            ? {}
            : { ConfigurationSetName: this.options.configurationSetName }),
        }),
      );
      return { messageId: output.MessageId ?? '' };
    } catch (error) {
      if (error instanceof Error && rejectedErrors.has(error.name)) {
        throw new EmailRejectedError(`SES refused the email: ${error.message}`, error.name, { cause: error });
      }
      throw error;
    }
  }
}

/** A header value SES accepts: printable ASCII (others percent-encoded), at most 870 characters. */
function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (character) => encodeURIComponent(character)).slice(0, 870);
}
