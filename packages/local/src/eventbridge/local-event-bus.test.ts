import { describe, expect, it } from 'vitest';
import { eventTime, LocalEventBus, type PutOnBus } from './local-event-bus.js';

function reviewEvent(overrides: Partial<PutOnBus> = {}): PutOnBus {
  return {
    source: 'mangaassist.reviews',
    detailType: 'ReviewSubmitted',
    detail: { review_id: 'r-1', processing_stage: 'raw' },
    ...overrides,
  };
}

function sequentialIds() {
  let next = 0;
  return () => `event-${++next}`;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LocalEventBus', () => {
  it('lists every accepted event newest first in the /_local/events shape', () => {
    const bus = new LocalEventBus({
      newId: sequentialIds(),
      now: () => new Date('2026-03-01T09:00:00.750Z'),
    });
    bus.put(reviewEvent());
    bus.put(reviewEvent({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock', detail: {} }));

    expect(bus.list()).toEqual({
      events: [
        {
          id: 'event-2',
          time: '2026-03-01T09:00:00Z',
          source: 'mangaassist.catalog',
          'detail-type': 'CatalogUpdate.restock',
          detail: {},
          rules: [],
        },
        {
          id: 'event-1',
          time: '2026-03-01T09:00:00Z',
          source: 'mangaassist.reviews',
          'detail-type': 'ReviewSubmitted',
          detail: { review_id: 'r-1', processing_stage: 'raw' },
          rules: [],
        },
      ],
    });
  });

  it('builds the envelope rules match against, with the time the sender gave', () => {
    const bus = new LocalEventBus({ account: '123456789012', region: 'ap-northeast-3' });
    const event = bus.put(
      reviewEvent({ time: new Date('2026-01-02T03:04:05.999Z'), resources: ['arn:aws:s3:::manga'] }),
    );
    expect(event).toMatchObject({
      version: '0',
      account: '123456789012',
      region: 'ap-northeast-3',
      time: '2026-01-02T03:04:05Z',
      resources: ['arn:aws:s3:::manga'],
      'detail-type': 'ReviewSubmitted',
    });
    expect(bus.get(event.id)).toEqual({ event, eventBusName: 'default' });
  });

  it('forgets the oldest events beyond its capacity but still counts them as accepted', () => {
    const bus = new LocalEventBus({ capacity: 3, newId: sequentialIds() });
    for (let index = 0; index < 5; index++) bus.put(reviewEvent());
    expect(bus.list().events.map((event) => event.id)).toEqual(['event-5', 'event-4', 'event-3']);
    expect(bus.get('event-1')).toBeUndefined();
    expect(bus.accepted).toBe(5);
  });

  it('filters the listing by source, detail type, bus and limit', () => {
    const bus = new LocalEventBus({ newId: sequentialIds() });
    bus.put(reviewEvent());
    bus.put(reviewEvent({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock' }));
    bus.put(reviewEvent({ eventBusName: 'other' }));
    bus.put(reviewEvent());

    expect(bus.list({ source: 'mangaassist.catalog' }).events.map((event) => event.id)).toEqual(['event-2']);
    expect(bus.list({ detailType: 'ReviewSubmitted', limit: 2 }).events.map((event) => event.id)).toEqual([
      'event-4',
      'event-3',
    ]);
    expect(bus.list({ eventBusName: 'other' }).events.map((event) => event.id)).toEqual(['event-3']);
  });

  it('tells subscribers about each event after put returns, and stops when they unsubscribe', async () => {
    const bus = new LocalEventBus();
    const seen: string[] = [];
    const unsubscribe = bus.subscribe((event, eventBusName) => {
      seen.push(`${eventBusName}:${event['detail-type']}`);
    });
    bus.put(reviewEvent({ eventBusName: 'MangaAssist-AI-Events' }));
    expect(seen).toEqual([]);
    await settle();
    expect(seen).toEqual(['MangaAssist-AI-Events:ReviewSubmitted']);

    unsubscribe();
    bus.put(reviewEvent());
    await settle();
    expect(seen).toHaveLength(1);
  });

  it('logs a failing subscriber without affecting the put or other subscribers', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    const bus = new LocalEventBus({ logger });
    let delivered = 0;
    bus.subscribe(async () => {
      throw new Error('target down');
    });
    bus.subscribe(() => {
      delivered += 1;
    });
    expect(() => bus.put(reviewEvent())).not.toThrow();
    await settle();
    expect(delivered).toBe(1);
    expect(warnings).toEqual(['local event bus listener failed']);
  });

  it('shows recorded rule outcomes in the listing, the latest record of a rule replacing the earlier', () => {
    const bus = new LocalEventBus();
    const { id } = bus.put(reviewEvent());
    bus.recordRule(id, {
      name: 'reviews-to-fm',
      targets: [{ name: 'fm-trigger', status: 'failed', error: 'boom' }],
    });
    bus.recordRule(id, { name: 'reviews-to-fm', targets: [{ name: 'fm-trigger', status: 'ok' }] });
    bus.recordRule('no-such-event', { name: 'ignored', targets: [] });
    expect(bus.list().events[0]?.rules).toEqual([
      { name: 'reviews-to-fm', targets: [{ name: 'fm-trigger', status: 'ok' }] },
    ]);
  });

  it('clears kept events and the accepted count', () => {
    const bus = new LocalEventBus();
    bus.put(reviewEvent());
    bus.clear();
    expect(bus.list()).toEqual({ events: [] });
    expect(bus.accepted).toBe(0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LocalEventBus({ capacity: 0 })).toThrow(RangeError);
    expect(() => new LocalEventBus({ capacity: 1.5 })).toThrow(RangeError);
  });
});

describe('eventTime', () => {
  it('writes UTC to the second, as EventBridge does', () => {
    expect(eventTime(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31T23:59:59Z');
  });
});
