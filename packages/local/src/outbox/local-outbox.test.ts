import { describe, expect, it } from 'vitest';
import { LocalOutbox } from './local-outbox.js';

function confirmation(orderId = 'order-42') {
  return {
    to: 'reader@example.jp',
    subject: `MangaAssist Order Confirmed! #${orderId}`,
    text: 'ご注文ありがとうございます！',
    idempotencyKey: `confirmation:${orderId}`,
  };
}

function outbox(capacity?: number) {
  let id = 0;
  return new LocalOutbox({
    ...(capacity === undefined ? {} : { capacity }),
    now: () => new Date(Date.UTC(2026, 0, 31, 9)),
    newId: () => `id-${++id}`,
  });
}

describe('LocalOutbox', () => {
  it('keeps a sent email and answers its message id', async () => {
    const box = outbox();
    expect(await box.send(confirmation())).toStrictEqual({ messageId: 'id-1' });
    expect(box.list()).toStrictEqual({
      emails: [
        {
          id: 'id-1',
          time: '2026-01-31T09:00:00.000Z',
          from: 'noreply@mangaassist.example.com',
          ...confirmation(),
        },
      ],
      notifications: [],
    });
  });

  it('keeps an outbound notification with its target and payload', () => {
    const box = outbox();
    box.notify({
      target: 'moderation-alert-webhook',
      url: 'https://hooks.example.com/x',
      payload: { text: 'critical' },
    });
    expect(box.list().notifications).toStrictEqual([
      {
        id: 'id-1',
        time: '2026-01-31T09:00:00.000Z',
        target: 'moderation-alert-webhook',
        url: 'https://hooks.example.com/x',
        payload: { text: 'critical' },
      },
    ]);
  });

  it('lists the newest first and keeps duplicates, so a test can count them', async () => {
    const box = outbox();
    await box.send(confirmation('order-1'));
    await box.send(confirmation('order-2'));
    await box.send(confirmation('order-2'));
    expect(box.list().emails.map((email) => email.idempotencyKey)).toStrictEqual([
      'confirmation:order-2',
      'confirmation:order-2',
      'confirmation:order-1',
    ]);
  });

  it('forgets the oldest past its capacity', async () => {
    const box = outbox(2);
    for (const order of ['order-1', 'order-2', 'order-3']) await box.send(confirmation(order));
    for (const target of ['a', 'b', 'c']) box.notify({ target, payload: {} });
    expect(box.list().emails.map((email) => email.idempotencyKey)).toStrictEqual([
      'confirmation:order-3',
      'confirmation:order-2',
    ]);
    expect(box.list().notifications.map((notification) => notification.target)).toStrictEqual(['c', 'b']);
  });

  it('hands out copies, so a listing cannot change what is kept', async () => {
    const box = outbox();
    await box.send(confirmation());
    const listing = box.list();
    Reflect.set(listing.emails[0] ?? {}, 'to', 'someone-else@example.jp');
    expect(box.list().emails[0]?.to).toBe('reader@example.jp');
  });

  it('forgets everything on clear', async () => {
    const box = outbox();
    await box.send(confirmation());
    box.notify({ target: 'moderation-alert-webhook', payload: {} });
    box.clear();
    expect(box.list()).toStrictEqual({ emails: [], notifications: [] });
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new LocalOutbox({ capacity: 0 })).toThrow(RangeError);
  });
});
