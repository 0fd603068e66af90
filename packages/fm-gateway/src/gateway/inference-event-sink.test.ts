import { createFakeClock, recordingLogger } from '@mangaassist/commons/testing';
import type { EventPublisher } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { describe, expect, it } from 'vitest';
import { gatewayResult } from '../testing/gateway-result.js';
import type { GatewayRequest, GatewayResult } from './gateway-types.js';
import { InferenceEventSink } from './inference-event-sink.js';

const request: GatewayRequest = {
  tenantId: 'manga-store',
  requestId: 'req-1',
  model: 'fast',
  messages: [{ role: 'user', content: 'こんにちは' }],
  maxTokens: 256,
};

function answer(overrides: Partial<GatewayResult> = {}): GatewayResult {
  return gatewayResult({ requestId: 'req-1', ...overrides });
}

describe('InferenceEventSink', () => {
  it('publishes one InferenceCompleted per answer, in the background', async () => {
    const { publisher, published } = recordingPublisher();
    const sink = new InferenceEventSink(publisher, recordingLogger(), createFakeClock());

    expect(sink.answered(request, answer())).toEqual(answer());
    await sink.flush();

    expect(published).toEqual([
      expect.objectContaining({
        detailType: 'InferenceCompleted',
        detail: expect.objectContaining({ request_id: 'req-1', status: 'success', tenant_id: 'manga-store' }),
      }),
    ]);
  });

  it('never fails the caller for an event that breaks its contract: logged, not published', async () => {
    const { publisher, published } = recordingPublisher();
    const logger = recordingLogger();
    const sink = new InferenceEventSink(publisher, logger, createFakeClock());
    const odd = answer({ costUsd: Number.NaN, usage: { ...answer().usage, inputTokens: 1.5 } });

    expect(() => sink.answered(request, odd)).not.toThrow();
    await sink.flush();

    expect(published).toEqual([]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'InferenceCompleted was not published' }),
    );
  });

  it('says how many events had not gone when a bounded flush gives up', async () => {
    const logger = recordingLogger();
    const clock = createFakeClock();
    const stalled: EventPublisher = { publish: () => new Promise<void>(() => {}) };
    const sink = new InferenceEventSink(stalled, logger, clock);
    sink.answered(request, answer());
    sink.answered(request, answer({ requestId: 'req-2' }));

    const flushed = sink.flush(2_000);
    await clock.advance(2_000);
    await flushed;

    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'InferenceCompleted events not yet sent when the flush gave up',
        fields: { pending: 2, timeoutMs: 2_000 },
      }),
    );
  });

  it('asks a publisher that holds events back to send them, surviving one whose flush throws', async () => {
    let flushes = 0;
    const holding: EventPublisher = {
      publish: async () => {},
      flush: () => {
        flushes += 1;
        throw new Error('flush broke');
      },
    };
    const sink = new InferenceEventSink(holding, recordingLogger(), createFakeClock());
    await sink.flush();
    expect(flushes).toBe(1);
  });

  it('never fails the caller for a publisher that throws at once', async () => {
    const logger = recordingLogger();
    const throwing: EventPublisher = {
      publish: () => {
        throw new Error('bus misconfigured');
      },
    };
    const sink = new InferenceEventSink(throwing, logger, createFakeClock());

    expect(() => sink.answered(request, answer())).not.toThrow();
    await sink.flush();

    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ error: 'Error: bus misconfigured' }),
      }),
    );
  });
});
