import {
  BadRequestException,
  MessageRejected,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EmailRejectedError, type OutgoingEmail } from '../consumers/email-sender.js';
import { SesEmailSender } from './ses-email-sender.js';

const sesMock = mockClient(SESv2Client);

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
  return new SesEmailSender(new SESv2Client({ region: 'ap-northeast-1' }), {
    fromAddress: 'noreply@mangaassist.example.com',
    ...options,
  });
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

  it.each([
    ['MessageRejected', new MessageRejected({ message: 'Email address is not verified.', $metadata: {} })],
    ['BadRequestException', new BadRequestException({ message: 'Missing final @domain', $metadata: {} })],
  ])('reports %s as a refusal of the message', async (code, error) => {
    sesMock.on(SendEmailCommand).rejects(error);
    const sent = sender().send(confirmation());
    await expect(sent).rejects.toBeInstanceOf(EmailRejectedError);
    await expect(sent).rejects.toMatchObject({ code });
  });

  it('lets a throttle through unchanged, for the caller to retry', async () => {
    sesMock
      .on(SendEmailCommand)
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }));
    await expect(sender().send(confirmation())).rejects.toBeInstanceOf(TooManyRequestsException);
  });
});
