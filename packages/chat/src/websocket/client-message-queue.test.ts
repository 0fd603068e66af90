import { describe, expect, it } from 'vitest';
import { fifoMessageOf, readQueuedMessage } from './client-message-queue.js';

const message = {
  connection_id: 'L0SM9cOFvHcCIhw=',
  message_id: 'Qk3nLfKvtjMCJTg=',
  body: '{"action":"getHistory"}',
  received_at: 1_767_225_600_000,
};

describe('the queued client message', () => {
  it('is grouped by connection and deduplicated by API Gateway’s message id, and reads back whole', () => {
    const fifo = fifoMessageOf(message);
    expect(fifo).toMatchObject({ groupId: 'L0SM9cOFvHcCIhw=', deduplicationId: 'Qk3nLfKvtjMCJTg=' });
    expect(readQueuedMessage(fifo.body)).toEqual({ ok: true, message });
  });

  it('says why a body is not one: not JSON, or which fields are wrong', () => {
    expect(readQueuedMessage('{')).toEqual({ ok: false, reason: 'the body is not JSON' });
    const missing = readQueuedMessage(JSON.stringify({ ...message, connection_id: '' }));
    expect(missing).toEqual({
      ok: false,
      reason: expect.stringMatching(/^not a queued client message \(connection_id: /),
    });
    expect(readQueuedMessage('[]')).toEqual({ ok: false, reason: expect.stringContaining('(body): ') });
  });
});
