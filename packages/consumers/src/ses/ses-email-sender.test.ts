import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmailOutcomeUnknownError } from '../consumer-errors.js';
import { EmailRejectedError, type OutgoingEmail } from '../email-sender.js';
import { createSesClient, SesEmailSender } from './ses-email-sender.js';

// Only this instance is mocked: the clients `createSesClient` builds talk to a real socket.
const sesClient = new SESv2Client({ region: 'ap-northeast-1' });
const sesMock = mockClient(sesClient);

beforeEach(() => {
  sesMock.reset();
});

function confirmation(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    to: 'reader@example.jp',
    subject: 'MangaAssist Order Confirmed! #order-42',
    text: 'ご注文ありがとうございます！',
    idempotencyKey: 'confirmation:order-42',
    ...overrides,
  };
}

function sender(options: { configurationSetName?: string } = {}) {
  return new SesEmailSender(sesClient, {
    fromAddress: 'noreply@mangaassist.example.com',
    ...options,
  });
}

/** An SES error under a name this SDK has no class for (the SES v1 names, a future one). */
function sesError(name: string, message: string): SESv2ServiceException {
  return new SESv2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** A socket-level failure as `NodeHttpHandler` reports it. */
function networkError(name: string, message: string, code: string): Error {
  return Object.assign(new Error(message), { name, code });
}

describe('SesEmailSender', () => {
  it('sends a UTF-8 text email from the configured address, with the idempotency key as a header', async () => {
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1' });

    expect(await sender().send(confirmation())).toStrictEqual({ messageId: 'ses-message-1' });
    expect(sesMock).toReceiveCommandTimes(SendEmailCommand, 1);
    expect(sesMock).toReceiveCommandWith(SendEmailCommand, {
      FromEmailAddress: 'noreply@mangaassist.example.com',
      Destination: { ToAddresses: ['reader@example.jp'] },
      Content: {
        Simple: {
          Subject: { Data: 'MangaAssist Order Confirmed! #order-42', Charset: 'UTF-8' },
          Body: { Text: { Data: 'ご注文ありがとうございます！', Charset: 'UTF-8' } },
          Headers: [{ Name: 'X-MangaAssist-Idempotency-Key', Value: 'confirmation:order-42' }],
        },
      },
    });
  });

  it('uses the configuration set when one is configured', async () => {
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-message-2' });
    await sender({ configurationSetName: 'mangaassist-events' }).send(confirmation());
    expect(sesMock).toReceiveCommandWith(SendEmailCommand, { ConfigurationSetName: 'mangaassist-events' });
  });

  it('percent-encodes what a header cannot carry', async () => {
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-message-3' });
    await sender().send(confirmation({ idempotencyKey: 'confirmation:注文-42\n' }));
    const input = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Content?.Simple?.Headers).toStrictEqual([
      { Name: 'X-MangaAssist-Idempotency-Key', Value: 'confirmation:%E6%B3%A8%E6%96%87-42%0A' },
    ]);
  });

  it.each(['', 'noreply', 'no reply@mangaassist.example.com', 'MangaAssist <noreply>'])(
    'refuses the sender address %j at construction, since SES would refuse every email',
    (fromAddress) => {
      expect(() => new SesEmailSender(sesClient, { fromAddress })).toThrow(RangeError);
    },
  );

  it('accepts a sender address with a display name', () => {
    expect(
      () => new SesEmailSender(sesClient, { fromAddress: 'MangaAssist <noreply@mangaassist.example.com>' }),
    ).not.toThrow();
  });

  it.each([
    [
      'an address without a domain',
      new BadRequestException({ message: "Missing final '@domain'", $metadata: {} }),
    ],
    ['an address SES cannot parse', new MessageRejected({ message: 'Illegal address', $metadata: {} })],
    [
      'a local part with whitespace',
      new BadRequestException({ message: 'Local address contains control or whitespace', $metadata: {} }),
    ],
    [
      'a domain with an illegal character',
      new BadRequestException({ message: 'Domain contains illegal character', $metadata: {} }),
    ],
    [
      'a recipient on the suppression list',
      new MessageRejected({ message: 'Address is on the suppression list', $metadata: {} }),
    ],
    ['a message with a virus', new MessageRejected({ message: 'Message contains a virus', $metadata: {} })],
  ])('reports %s as a refusal of this message, with the SES error name as code', async (_, error) => {
    sesMock.on(SendEmailCommand).rejects(error);
    const sent = sender().send(confirmation());
    await expect(sent).rejects.toBeInstanceOf(EmailRejectedError);
    await expect(sent).rejects.toMatchObject({ code: error.name });
  });

  it.each([
    [
      'an unverified sender (or a sandbox recipient, or the wrong region)',
      new MessageRejected({
        message:
          'Email address is not verified. The following identities failed the check in region AP-NORTHEAST-1: noreply@mangaassist.example.com',
        $metadata: {},
      }),
    ],
    [
      'a paused account',
      new SendingPausedException({ message: 'Sending paused for this account.', $metadata: {} }),
    ],
    ['a suspended account', new AccountSuspendedException({ message: 'Account suspended.', $metadata: {} })],
    [
      'an unverified MAIL FROM domain',
      new MailFromDomainNotVerifiedException({ message: 'MAIL FROM domain not verified', $metadata: {} }),
    ],
    [
      'a missing configuration set',
      new NotFoundException({
        message: 'Configuration set mangaassist-events does not exist.',
        $metadata: {},
      }),
    ],
    [
      'a configuration-set problem reported as a bad request',
      new BadRequestException({
        message: 'Configuration set <mangaassist-events> does not exist.',
        $metadata: {},
      }),
    ],
    [
      'a throttle',
      new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }),
    ],
    [
      'a spent daily quota',
      new LimitExceededException({ message: 'Daily message quota exceeded.', $metadata: {} }),
    ],
    [
      'a MessageRejected SES does not explain',
      new MessageRejected({ message: 'Message rejected', $metadata: {} }),
    ],
    ['a paused account (SES v1 name)', sesError('AccountSendingPausedException', 'Sending paused.')],
    ['an unverified MAIL FROM domain (SES v1 name)', sesError('MailFromDomainNotVerified', 'Not verified.')],
    [
      'a paused configuration set (SES v1 name)',
      sesError('ConfigurationSetSendingPausedException', 'Sending paused for this configuration set.'),
    ],
  ])('lets %s through unchanged, for a retry once an operator fixes SES', async (_, error) => {
    sesMock.on(SendEmailCommand).rejects(error);
    const sent = sender().send(confirmation());
    await expect(sent).rejects.toBe(error);
    await expect(sent).rejects.not.toBeInstanceOf(EmailRejectedError);
  });

  it.each([
    [
      'its request timed out',
      networkError(
        'TimeoutError',
        '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 5000 ms requestTimeout.',
        'ETIMEDOUT',
      ),
    ],
    ['its connection was reset', networkError('TimeoutError', 'read ECONNRESET', 'ECONNRESET')],
    ['its connection broke while writing', networkError('TimeoutError', 'write EPIPE', 'EPIPE')],
    ['its socket went idle', networkError('TimeoutError', 'the request socket timed out after 5000 ms', '')],
  ])('reports an email as possibly sent when %s', async (_, error) => {
    sesMock.on(SendEmailCommand).rejects(error);
    const sent = sender().send(confirmation());
    await expect(sent).rejects.toBeInstanceOf(EmailOutcomeUnknownError);
    await expect(sent).rejects.toMatchObject({ cause: error });
  });

  it.each([
    [
      'no connection was made in time',
      networkError(
        'TimeoutError',
        '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.',
        '',
      ),
    ],
    [
      'the connection was refused',
      networkError('Error', 'connect ECONNREFUSED 127.0.0.1:443', 'ECONNREFUSED'),
    ],
    ['the host is unknown', networkError('Error', 'getaddrinfo ENOTFOUND email.example', 'ENOTFOUND')],
  ])('lets a failure before sending through unchanged when %s', async (_, error) => {
    sesMock.on(SendEmailCommand).rejects(error);
    await expect(sender().send(confirmation())).rejects.toBe(error);
  });
});

describe('createSesClient', () => {
  const openServers: ReturnType<typeof createServer>[] = [];

  afterEach(async () => {
    for (const server of openServers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** An SES endpoint that reads every request and never answers it. */
  async function silentEndpoint() {
    const requests: IncomingMessage[] = [];
    const server = createServer((request) => {
      requests.push(request);
      request.resume();
    });
    openServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, requests };
  }

  it("turns the SDK's own retries off, so a send is never repeated behind the caller's back", async () => {
    expect(await createSesClient({ region: 'ap-northeast-1' }).config.maxAttempts()).toBe(1);
  });

  it('sends a timed-out email once and reports it as possibly sent', async () => {
    const { endpoint, requests } = await silentEndpoint();
    const client = createSesClient({
      region: 'ap-northeast-1',
      endpoint,
      requestTimeoutMs: 200,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
    });
    const emails = new SesEmailSender(client, { fromAddress: 'noreply@mangaassist.example.com' });

    await expect(emails.send(confirmation())).rejects.toBeInstanceOf(EmailOutcomeUnknownError);
    expect(requests).toHaveLength(1);
  });
});
