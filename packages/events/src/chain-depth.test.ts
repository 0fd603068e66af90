import { eventChainLimits } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { nextChainDepth, withChainMetadata } from './chain-depth.js';

interface LoopEvent {
  readonly id: string;
  readonly detail: Record<string, unknown>;
}

function reviewDetail(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { review_id: 'review-1', review_text: 'ひどい', processing_stage: 'raw', ...overrides };
}

/**
 * A bus with one consumer that re-emits whatever it consumes, so every delivery would loop
 * forever without the depth check. Returns what the consumer did, delivery by delivery.
 */
function runLoopingConsumer(first: Record<string, unknown>, max?: number) {
  const queue: LoopEvent[] = [{ id: 'event-0', detail: first }];
  const emitted: LoopEvent[] = [];
  const refusals: string[] = [];
  let deliveries = 0;
  for (let event = queue.shift(); event !== undefined && deliveries < 100; event = queue.shift()) {
    deliveries += 1;
    const check = nextChainDepth(event.detail, max);
    if (!check.ok) {
      refusals.push(check.reason);
      continue;
    }
    const next = {
      id: `event-${deliveries}`,
      detail: withChainMetadata(event.detail, { depth: check.depth, sourceEventId: event.id }),
    };
    emitted.push(next);
    queue.push(next);
  }
  return { deliveries, emitted, refusals };
}

describe('nextChainDepth', () => {
  it('counts a missing chain depth as 0, so the first output has depth 1', () => {
    expect(nextChainDepth(reviewDetail())).toEqual({ ok: true, depth: 1 });
    expect(nextChainDepth(reviewDetail({ chain_depth: undefined }))).toEqual({ ok: true, depth: 1 });
  });

  it('allows depths below the maximum and returns the next one', () => {
    expect(nextChainDepth({ chain_depth: 0 })).toEqual({ ok: true, depth: 1 });
    expect(nextChainDepth({ chain_depth: 1 })).toEqual({ ok: true, depth: 2 });
    expect(nextChainDepth({ chain_depth: 2 })).toEqual({ ok: true, depth: 3 });
  });

  it('refuses an event whose depth reached the maximum of 3', () => {
    expect(eventChainLimits.maxChainDepth).toBe(3);
    expect(nextChainDepth({ chain_depth: 3 })).toMatchObject({
      ok: false,
      depth: 3,
      reason: 'max-depth-reached',
    });
    expect(nextChainDepth({ chain_depth: 50 })).toMatchObject({
      ok: false,
      depth: 50,
      reason: 'max-depth-reached',
    });
  });

  it('refuses a negative, fractional, NaN, infinite or string depth as if at the limit', () => {
    for (const chain_depth of [
      -1,
      -5,
      1.5,
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '2',
      '0',
      '',
      null,
      {},
      [1],
    ]) {
      const check = nextChainDepth({ chain_depth });
      expect(check, String(chain_depth)).toMatchObject({
        ok: false,
        depth: 3,
        reason: 'malformed-chain-depth',
      });
    }
  });

  it('refuses a detail that is not an object', () => {
    for (const detail of [undefined, null, 'detail', 42, [{ chain_depth: 1 }]]) {
      expect(nextChainDepth(detail), String(detail)).toMatchObject({
        ok: false,
        reason: 'malformed-chain-depth',
      });
    }
  });

  it('explains a refusal in one log line', () => {
    const check = nextChainDepth({ chain_depth: '2' });

    expect(check.ok).toBe(false);
    if (!check.ok)
      expect(check.message).toBe(
        'chain_depth "2" is not a non-negative integer: treated as at the maximum chain depth 3, event dropped',
      );
  });

  it('honours another maximum and rejects one that is not a positive integer', () => {
    expect(nextChainDepth({ chain_depth: 4 }, 5)).toEqual({ ok: true, depth: 5 });
    expect(nextChainDepth({ chain_depth: 1 }, 1)).toMatchObject({ ok: false, reason: 'max-depth-reached' });
    for (const max of [0, -1, 2.5, Number.NaN]) {
      expect(() => nextChainDepth({}, max), String(max)).toThrow(RangeError);
    }
  });
});

describe('withChainMetadata', () => {
  it('adds depth, source event id and the processed stage to a copy', () => {
    const detail = reviewDetail();

    const chained = withChainMetadata(detail, { depth: 1, sourceEventId: 'event-0' });

    expect(chained).toEqual({
      ...detail,
      chain_depth: 1,
      source_event_id: 'event-0',
      processing_stage: 'processed',
    });
    expect(detail.processing_stage).toBe('raw');
    expect(detail).not.toHaveProperty('chain_depth');
  });

  it('replaces chain metadata the detail already had', () => {
    const chained = withChainMetadata(
      { chain_depth: 1, source_event_id: 'old', processing_stage: 'processed' },
      { depth: 2, sourceEventId: 'new' },
    );

    expect(chained).toEqual({ chain_depth: 2, source_event_id: 'new', processing_stage: 'processed' });
  });

  it('rejects a depth below 1 or not an integer, and an empty source event id', () => {
    expect(() => withChainMetadata({}, { depth: 0, sourceEventId: 'e' })).toThrow(RangeError);
    expect(() => withChainMetadata({}, { depth: 1.5, sourceEventId: 'e' })).toThrow(RangeError);
    expect(() => withChainMetadata({}, { depth: 1, sourceEventId: '' })).toThrow(RangeError);
  });
});

describe('a consumer that re-emits what it consumes', () => {
  it('stops after three hops when the chain starts fresh', () => {
    const run = runLoopingConsumer(reviewDetail());

    expect(run.emitted.map((event) => event.detail.chain_depth)).toEqual([1, 2, 3]);
    expect(run.emitted.map((event) => event.detail.source_event_id)).toEqual([
      'event-0',
      'event-1',
      'event-2',
    ]);
    expect(run.deliveries).toBe(4);
    expect(run.refusals).toEqual(['max-depth-reached']);
  });

  it('stops at once when the first event carries a malformed depth', () => {
    for (const chain_depth of [-5, '2', 1.5, Number.NaN, null]) {
      const run = runLoopingConsumer(reviewDetail({ chain_depth }));

      expect(run.emitted, String(chain_depth)).toEqual([]);
      expect(run.refusals).toEqual(['malformed-chain-depth']);
    }
  });

  it('stops after the hops left when the chain is already under way', () => {
    const run = runLoopingConsumer(reviewDetail({ chain_depth: 2 }));

    expect(run.emitted.map((event) => event.detail.chain_depth)).toEqual([3]);
    expect(run.deliveries).toBe(2);
  });

  it('survives a JSON round trip between hops, as on the bus', () => {
    const check = nextChainDepth(
      JSON.parse(JSON.stringify(withChainMetadata(reviewDetail(), { depth: 3, sourceEventId: 'e' }))),
    );

    expect(check).toMatchObject({ ok: false, reason: 'max-depth-reached' });
  });
});
