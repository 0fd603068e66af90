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
