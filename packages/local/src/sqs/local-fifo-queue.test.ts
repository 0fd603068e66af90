import { recordingLogger } from '@mangaassist/commons/testing';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalFifoQueue, type LocalQueueConsumer } from './local-fifo-queue.js';

/** A gate a test opens by hand. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once `condition` holds; fails with a message instead of hanging. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`still waiting for: ${what}`);
}

const message = (groupId: string, id: string, body = id) => ({ groupId, deduplicationId: id, body });

function recorder() {
  const seen: { body: string; receiveCount: string; group: string | undefined }[] = [];
  const consume: LocalQueueConsumer = async (event: SQSEvent) => {
    for (const record of event.Records) {
      seen.push({
        body: record.body,
        receiveCount: record.attributes.ApproximateReceiveCount,
        group: record.attributes.MessageGroupId,
      });
    }
  };
  return { seen, consume };
}

describe('LocalFifoQueue', () => {
  it('hands each message to the consumer as a one-record SQS event of the group', async () => {
    const { seen, consume } = recorder();
    const queue = new LocalFifoQueue({ name: 'ws-messages.fifo', consume });
    queue.send(message('c1', 'm1', '{"a":1}'));
    await queue.settled();
    expect(seen).toEqual([{ body: '{"a":1}', receiveCount: '1', group: 'c1' }]);
  });

  it('consumes one group in order, one at a time, while another group goes on', async () => {
    const first = gate();
    const order: string[] = [];
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      consume: async (event) => {
        const body = event.Records[0]?.body ?? '';
        order.push(`start ${body}`);
        if (body === 'c1-a') await first.opened;
        order.push(`end ${body}`);
      },
    });
    queue.send(message('c1', 'a', 'c1-a'));
    queue.send(message('c1', 'b', 'c1-b'));
    queue.send(message('c2', 'c', 'c2-a'));
    await until(() => queue.listing().in_flight === 1, 'the other group to be consumed');
    expect(order).toEqual(['start c1-a', 'start c2-a', 'end c2-a']);
    expect(queue.listing()).toMatchObject({ waiting: 1, in_flight: 1 });
    first.open();
    await queue.settled();
    expect(order).toEqual(['start c1-a', 'start c2-a', 'end c2-a', 'end c1-a', 'start c1-b', 'end c1-b']);
  });

  it('accepts and drops a deduplication id sent again within the window, and takes it after', async () => {
    let now = 1_000_000;
    const { seen, consume } = recorder();
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      consume,
      now: () => now,
      deduplicationWindowMs: 300_000,
    });
    queue.send(message('c1', 'm1', 'first'));
    queue.send(message('c1', 'm1', 'again'));
    now += 300_000;
    queue.send(message('c1', 'm1', 'at the end of the window'));
    now += 1;
    queue.send(message('c1', 'm1', 'later'));
    await queue.settled();
    expect(seen.map((entry) => entry.body)).toEqual(['first', 'later']);
  });

  it('with content-based deduplication, drops a body sent again within the window, whatever its group', async () => {
    let now = 1_000_000;
    const seen: { body: string; deduplicationId: string | undefined }[] = [];
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      consume: async (event) => {
        for (const record of event.Records) {
          seen.push({ body: record.body, deduplicationId: record.attributes.MessageDeduplicationId });
        }
      },
      now: () => now,
      contentBasedDeduplication: true,
    });
    queue.send({ groupId: 'p1', body: '{"item":1}' });
    queue.send({ groupId: 'p1', body: '{"item":1}' });
    queue.send({ groupId: 'p2', body: '{"item":1}' });
    queue.send({ groupId: 'p1', body: '{"item":2}' });
    queue.send({ groupId: 'p1', deduplicationId: 'explicit', body: '{"item":1}' });
    now += 300_001;
    queue.send({ groupId: 'p1', body: '{"item":1}' });
    await queue.settled();
    expect(seen.map((entry) => entry.body)).toEqual(['{"item":1}', '{"item":2}', '{"item":1}', '{"item":1}']);
    // SHA-256 of the body, as SQS computes it.
    expect(seen[0]?.deduplicationId).toBe('8a90f2b609081eaf2e6fd34f85016f6a865cb41be9c56e2883c3c3e70385cebd');
    expect(seen[2]?.deduplicationId).toBe('explicit');
  });

  it('refuses a message without a deduplication id on a queue without content-based deduplication', () => {
    const queue = new LocalFifoQueue({ name: 'q.fifo', consume: async () => {} });
    expect(() => queue.send({ groupId: 'p1', body: 'x' })).toThrow(/no content-based deduplication/);
  });

  it('handles at most maxConcurrency messages at once, the other groups waiting their turn in order', async () => {
    const gates = new Map<string, ReturnType<typeof gate>>();
    const started: string[] = [];
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      maxConcurrency: 2,
      consume: async (event) => {
        const body = event.Records[0]?.body ?? '';
        started.push(body);
        const opened = gate();
        gates.set(body, opened);
        await opened.opened;
      },
    });
    for (const [group, body] of [
      ['g1', 'g1-a'],
      ['g2', 'g2-a'],
      ['g3', 'g3-a'],
      ['g1', 'g1-b'],
      ['g4', 'g4-a'],
    ] as const) {
      queue.send(message(group, body));
    }
    await until(() => started.length === 2, 'two messages handled');
    expect(started).toEqual(['g1-a', 'g2-a']);
    expect(queue.listing()).toMatchObject({ waiting: 3, in_flight: 2 });

    gates.get('g1-a')?.open();
    await until(() => started.length === 3, 'a third message handled');
    // g1's next message asks for a slot after g3 and g4 did: they go first.
    expect(started).toEqual(['g1-a', 'g2-a', 'g3-a']);
    gates.get('g2-a')?.open();
    gates.get('g3-a')?.open();
    await until(() => started.length === 5, 'every message handled');
    expect(started).toEqual(['g1-a', 'g2-a', 'g3-a', 'g4-a', 'g1-b']);
    for (const opened of gates.values()) opened.open();
    await queue.settled();
    expect(queue.listing()).toMatchObject({ waiting: 0, in_flight: 0 });
  });

  it('receives a failed message again, then dead-letters it after maxReceiveCount and moves on', async () => {
    const logger = recordingLogger();
    const received: string[] = [];
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      maxReceiveCount: 3,
      redeliveryDelayMs: 0,
      logger,
      now: () => Date.parse('2026-12-06T00:00:00Z'),
      consume: async (event) => {
        const record = event.Records[0];
        received.push(`${record?.body} #${record?.attributes.ApproximateReceiveCount}`);
        if (record?.body === 'bad') throw new Error('consumer broke');
      },
    });
    queue.send(message('c1', 'm1', 'bad'));
    queue.send(message('c1', 'm2', 'good'));
    await queue.settled();
    expect(received).toEqual(['bad #1', 'bad #2', 'bad #3', 'good #1']);
    expect(queue.listing().dead_letters).toEqual([
      {
        message_id: 'local-1',
        group_id: 'c1',
        body: 'bad',
        error: 'consumer broke',
        receive_count: 3,
        at: '2026-12-06T00:00:00.000Z',
      },
    ]);
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(1);
  });

  it('treats a record the consumer reports in batchItemFailures as failed, as the mapping does', async () => {
    let receives = 0;
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      maxReceiveCount: 2,
      redeliveryDelayMs: 0,
      consume: async (event) => {
        receives += 1;
        return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    queue.send(message('c1', 'm1'));
    await queue.settled();
    expect(receives).toBe(2);
    expect(queue.listing().dead_letters).toEqual([
      expect.objectContaining({ error: expect.stringContaining('batchItemFailures'), receive_count: 2 }),
    ]);
  });

  it('keeps the newest dead letters up to its capacity and counts the ones it forgot', async () => {
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      maxReceiveCount: 1,
      deadLetterCapacity: 2,
      consume: async () => {
        throw new Error('no');
      },
    });
    for (const id of ['a', 'b', 'c']) queue.send(message('c1', id));
    await queue.settled();
    expect(queue.listing()).toMatchObject({
      dead_letters: [expect.objectContaining({ body: 'c' }), expect.objectContaining({ body: 'b' })],
      dropped: 1,
    });
  });

  it('refuses what SQS refuses: a body over 256 KiB, ids it does not allow, and any message once closed', async () => {
    const queue = new LocalFifoQueue({ name: 'q.fifo', consume: async () => {} });
    expect(() => queue.send(message('c1', 'big', 'x'.repeat(256 * 1024 + 1)))).toThrow(RangeError);
    expect(() => queue.send(message('c 1', 'm1'))).toThrow(/MessageGroupId/);
    expect(() => queue.send(message('c1', 'é'))).toThrow(/MessageDeduplicationId/);
    expect(() => queue.send(message('c1', 'x'.repeat(129)))).toThrow(/MessageDeduplicationId/);
    expect(() => queue.send(message('L0SM9cOFvHcCIhw=', 'Qk3n+LfK/vtjMCJTg='))).not.toThrow();
    await queue.close();
    expect(() => queue.send(message('c1', 'late'))).toThrow(/closed/);
  });

  it('refuses messages beyond maxWaiting until the consumer catches up', async () => {
    const held = gate();
    const queue = new LocalFifoQueue({ name: 'q.fifo', maxWaiting: 2, consume: () => held.opened });
    queue.send(message('c1', 'a'));
    queue.send(message('c2', 'b'));
    expect(() => queue.send(message('c3', 'c'))).toThrow(/full \(2 messages waiting\)/);
    held.open();
    await queue.settled();
    expect(() => queue.send(message('c3', 'c'))).not.toThrow();
    await queue.settled();
  });

  it('on close, finishes what the consumer is handling, starts nothing more and logs what it abandoned', async () => {
    const first = gate();
    const consumed: string[] = [];
    const logger = recordingLogger();
    const queue = new LocalFifoQueue({
      name: 'q.fifo',
      logger,
      consume: async (event) => {
        const body = event.Records[0]?.body ?? '';
        if (body === 'a') await first.opened;
        consumed.push(body);
      },
    });
    queue.send(message('c1', 'a'));
    queue.send(message('c1', 'b'));
    const closing = queue.close();
    first.open();
    await closing;
    await queue.settled();
    expect(consumed).toEqual(['a']);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: { queue: 'q.fifo', abandoned: 1 } }),
    );
  });

  it('stops waiting for a consumer that outlives the drain time', async () => {
    const never = gate();
    const queue = new LocalFifoQueue({ name: 'q.fifo', consume: () => never.opened });
    queue.send(message('c1', 'm1'));
    await queue.close(10);
    expect(queue.listing()).toMatchObject({ in_flight: 1 });
    never.open();
    await queue.settled();
  });

  it('refuses options a queue cannot have', () => {
    const consume = async () => {};
    expect(() => new LocalFifoQueue({ name: 'q', consume, maxReceiveCount: 0 })).toThrow(RangeError);
    expect(() => new LocalFifoQueue({ name: 'q', consume, redeliveryDelayMs: -1 })).toThrow(RangeError);
    expect(() => new LocalFifoQueue({ name: 'q', consume, deadLetterCapacity: 1.5 })).toThrow(RangeError);
    expect(() => new LocalFifoQueue({ name: 'q', consume, maxConcurrency: 0 })).toThrow(RangeError);
  });
});
