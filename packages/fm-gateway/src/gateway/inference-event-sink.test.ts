import { createFakeClock, recordingLogger } from '@mangaassist/commons/testing';
import type { DomainEvent, EventPublisher } from '@mangaassist/events';
import { describe, expect, it } from 'vitest';
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
  return {
    requestId: 'req-1',
    text: 'こんにちは！',
    model: 'claude-haiku-4-5',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    stopReason: 'end_turn',
    usage: { inputTokens: 12, outputTokens: 4, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0.000032,
    latencyMs: 120,
    cached: false,
    stale: false,
    degraded: false,
    routing: { model: 'claude-haiku-4-5', requested: 'fast', reason: 'alias:fast' },
    attempts: [],
    ...overrides,
  };
}

function recordingEvents(): EventPublisher & { readonly published: DomainEvent[] } {
  const published: DomainEvent[] = [];
  return {
    published,
    async publish(events) {
      published.push(...events);
    },
  };
}

describe('InferenceEventSink', () => {
  it('publishes one InferenceCompleted per answer, in the background', async () => {
    const events = recordingEvents();
    const sink = new InferenceEventSink(events, recordingLogger(), createFakeClock());

    expect(sink.answered(request, answer())).toEqual(answer());
    await sink.flush();

    expect(events.published).toEqual([
      expect.objectContaining({
        detailType: 'InferenceCompleted',
        detail: expect.objectContaining({ request_id: 'req-1', status: 'success', tenant_id: 'manga-store' }),
      }),
    ]);
  });

  it('never fails the caller for an event that breaks its contract: logged, not published', async () => {
    const events = recordingEvents();
    const logger = recordingLogger();
    const sink = new InferenceEventSink(events, logger, createFakeClock());
    const odd = answer({ costUsd: Number.NaN, usage: { ...answer().usage, inputTokens: 1.5 } });

    expect(() => sink.answered(request, odd)).not.toThrow();
    await sink.flush();

    expect(events.published).toEqual([]);
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
