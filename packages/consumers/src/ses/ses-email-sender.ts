import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EmailOutcomeUnknownError } from '../consumer-errors.js';
import { EmailRejectedError, type EmailSender, type OutgoingEmail } from '../email-sender.js';

export interface SesClientOptions {
  /** AWS region; unset = the SDK's provider chain (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** A custom endpoint; unset = AWS. */
  readonly endpoint?: string;
  /** Static credentials (a local endpoint); unset = the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Connection establishment timeout, ms. @default 1_000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest the one attempt may take, ms; past it the email counts as possibly sent
   * (`EmailOutcomeUnknownError` from `SesEmailSender`). @default 5_000
   */
  readonly requestTimeoutMs?: number;
}

/**
 * Builds an SES v2 client with short connection and request timeouts, so a hung call fails
 * instead of holding the function to its timeout, and with the SDK's retries OFF
 * (`maxAttempts: 1`): SendEmail has no idempotency token, so the SDK resending after a timeout
 * would mail a second copy whenever SES had accepted the first. Throttling and outages are
 * retried by the caller instead (the event's redelivery). Build one per process.
 */
export function createSesClient(options: SesClientOptions = {}): SESv2Client {
  return traceAwsClient(
    new SESv2Client({
      maxAttempts: 1,
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      requestHandler: new NodeHttpHandler({
        connectionTimeout: options.connectionTimeoutMs ?? 1_000,
        requestTimeout: options.requestTimeoutMs ?? 5_000,
        throwOnRequestTimeout: true,
      }),
    }),
  );
}

export interface SesEmailSenderOptions {
  /** The verified sender identity (`SENDER_EMAIL`), e.g. `noreply@mangaassist.example.com`. */
  readonly fromAddress: string;
  /** A configuration set for event publishing (deliveries, bounces). @default - none */
  readonly configurationSetName?: string;
}

/** The header that carries the email's idempotency key (SES has no idempotency token of its own). */
export const idempotencyKeyHeader = 'X-MangaAssist-Idempotency-Key';

/** SES errors under which SES refuses one message — and, under the same names, account problems. */
const messageErrorNames: ReadonlySet<string> = new Set([
  'MessageRejected',
  'BadRequestException',
  'InvalidParameterValue',
]);

/** What SES says when THIS message or its recipient is at fault (the troubleshooting guide's texts). */
const messageFaults: readonly RegExp[] = [
  /illegal address/iu,
  /missing final '?@domain'?/iu,
  /\b(?:local address|domain) (?:contains|ends with|starts with)\b/iu,
  /\b(?:address blacklisted|suppression list)\b/iu,
  /\bvirus\b/iu,
];

/** Words that put the fault on the account, an identity, a configuration set or a quota instead. */
const operatorFaults =
  /verif|sandbox|paused|suspend|configuration set|quota|rate exceeded|identit|region|authori[sz]|permission/iu;

/** Socket error codes of a request that may have reached SES (`NodeHttpHandler` names them `TimeoutError`). */
const inFlightErrorCodes: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** What a failed `SendEmail` means for the email. */
export type SendEmailFailure =
  /** SES refused this message or recipient for good. */
  | 'refused'
  /** SES may have accepted it: the request went out and no readable answer came back. */
  | 'unknown'
  /** Not sent; worth another try once the cause is gone (throttling, an outage, an operator's fix). */
  | 'transient';

/**
 * Classifies a `SendEmail` failure. Only refusals clearly about this message or recipient are
 * `refused` (an address SES cannot parse, a virus); SES reports an unverified sender, a sandbox
 * recipient or the wrong region as `MessageRejected` too, and those — like a paused or
 * suspended account, an unverified MAIL FROM domain, a configuration-set problem, throttling
 * and anything not recognised — are `transient`, so the event waits in the DLQ for an operator.
 */
export function classifySendEmailFailure(error: unknown): SendEmailFailure {
  if (!(error instanceof Error)) return 'transient';
  if (messageErrorNames.has(error.name)) {
    const aboutThisMessage = messageFaults.some((fault) => fault.test(error.message));
    return aboutThisMessage && !operatorFaults.test(error.message) ? 'refused' : 'transient';
  }
  return mayHaveReachedSes(error) ? 'unknown' : 'transient';
}

/**
 * Whether the request may have been written before it failed: a request or socket timeout, a
 * connection reset or broken pipe, or a success answer the SDK could not read. A failure to
 * resolve or connect (the connection timeout included) sent nothing.
 */
function mayHaveReachedSes(error: Error): boolean {
  const syscall = 'syscall' in error ? error.syscall : undefined;
  if (
    syscall === 'connect' ||
    syscall === 'getaddrinfo' ||
    /did not establish a connection/iu.test(error.message)
  ) {
    return false;
  }
  if (error.name === 'TimeoutError') return true;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && inFlightErrorCodes.has(code)) return true;
  const status = '$metadata' in error ? httpStatusOf(error.$metadata) : undefined;
  return status !== undefined && status >= 200 && status < 300;
}

function httpStatusOf(metadata: unknown): number | undefined {
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/**
 * The email-sender port on Amazon SES v2 (`SendEmail`, a simple UTF-8 text message), one attempt
 * per call (give it a `createSesClient` client: the SDK must not retry). The idempotency key
 * travels as the `X-MangaAssist-Idempotency-Key` header (non-ASCII characters percent-encoded),
 * so a duplicate that slipped through can be traced; preventing duplicates is the caller's job.
 *
 * Errors (`classifySendEmailFailure`):
 * - `EmailRejectedError` (the SES error name as `code`) only for a refusal of this message or
 *   recipient — an invalid recipient address, a virus;
 * - `EmailOutcomeUnknownError` (the SDK error as `cause`) when the request may have reached SES —
 *   a timeout or a connection reset after it was written: do not resend, SES may have sent it;
 * - any other error propagates unchanged and is transient for the caller: throttling, an outage,
 *   and every account or identity problem an operator can fix (`MessageRejected` "Email address
 *   is not verified", a paused or suspended account, an unverified MAIL FROM domain, a missing
 *   or paused configuration set).
 *
 * @example
 * const emails = new SesEmailSender(createSesClient(), { fromAddress: 'noreply@mangaassist.example.com' });
 */
export class SesEmailSender implements EmailSender {
  /**
   * Throws `RangeError` for a `fromAddress` that is not an address (`a@b`, optionally as
   * `Name <a@b>`): SES would refuse every email with an address error, and those count as the
   * recipient's fault.
   */
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesEmailSenderOptions,
  ) {
    if (!plausibleSenderAddress.test(options.fromAddress)) {
      throw new RangeError(
        `fromAddress must be an email address, got ${JSON.stringify(options.fromAddress)}`,
      );
    }
  }

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
      const failure = classifySendEmailFailure(error);
      if (failure === 'refused' && error instanceof Error) {
        throw new EmailRejectedError(`SES refused the email: ${error.message}`, error.name, { cause: error });
      }
      if (failure === 'unknown' && error instanceof Error) {
        throw new EmailOutcomeUnknownError(
          `SES may have accepted the email (${error.name}: ${error.message}); not resent`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** `local@domain`, or `Display Name <local@domain>`: one @, no spaces or angle brackets in the address. */
const plausibleSenderAddress = /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/u;

/** A header value SES accepts: printable ASCII (others percent-encoded), at most 870 characters. */
function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (character) => encodeURIComponent(character)).slice(0, 870);
}
