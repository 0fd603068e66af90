import { awsError, createFakeClock, recordingLogger } from '@mangaassist/commons/testing';
import { MemoryProductCatalog } from '@mangaassist/consumers';
import { consumerEmissions, recommendationGeneratedDetailSchema } from '@mangaassist/contracts';
import type { DomainEvent, EventPublisher } from '@mangaassist/events';
import {
  AllModelsFailedError,
  type AttemptRecord,
  FmGateway,
  type GatewayRequest,
  type GatewayResult,
  loadModelCatalog,
  resolveModelKey,
} from '@mangaassist/fm-gateway';
import { createFakeRuntimes, type FakeCall, type FakeReply } from '@mangaassist/fm-gateway/testing';
import { describe, expect, it } from 'vitest';
import { makeRecommendationSteps, type RecommendationStepsDependencies } from './recommendation-steps.js';
import { MemoryRecommendationStore } from './recommendation-store.js';
import { product, shelf } from './testing/catalog-shelf.js';

const catalog = loadModelCatalog();

function recordingPublisher() {
  const published: DomainEvent[] = [];
  const events: EventPublisher = {
    async publish(batch) {
      published.push(...batch);
    },
  };
  return { events, published };
}
const haiku = 'jp.anthropic.claude-haiku-4-5-20251001-v1:0';

const picksBySegment: Record<string, string[]> = {
  shonen: ['jujutsu-28', 'onepiece-108', 'naruto-72'],
  shojo: ['nana-21'],
  seinen: ['vagabond-37'],
};

/** The segment a prompt asks about (`## <segment>`). */
function segmentOf(call: FakeCall): string {
  return /## ([a-z0-9-]+)/.exec(JSON.stringify(call.request.messages))?.[1] ?? '';
}

/** Answers each segment's prompt with its picks. */
const goodReply = (call: FakeCall): FakeReply => {
  const segment = segmentOf(call);
  return { text: JSON.stringify({ [segment]: picksBySegment[segment] ?? [] }) };
};

function setup(
  reply: (call: FakeCall) => FakeReply = goodReply,
  overrides: Partial<RecommendationStepsDependencies> = {},
) {
  const clock = createFakeClock();
  const runtimes = createFakeRuntimes(reply, clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: runtimes.provider,
    selectModel: ({ model }) => ({
      model: resolveModelKey(catalog, model) ?? 'claude-haiku-4-5',
      requested: model,
      reason: 'explicit',
    }),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
    random: () => 0,
    retry: { maxAttempts: 1 },
  });
  const { events, published } = recordingPublisher();
  const store = new MemoryRecommendationStore();
  const logger = recordingLogger();
  const requests: GatewayRequest[] = [];
  const step = makeRecommendationSteps({
    catalog: new MemoryProductCatalog(shelf()),
    model: {
      complete: (request, options) => {
        requests.push(request);
        return gateway.complete(request, options);
      },
    },
    store,
    events,
    logger,
    clock,
    ...overrides,
  });
  return { step, calls: runtimes.calls, requests, published, store, logger };
}

/** The gateway's graceful last resort for `request`: not a model's answer. */
function degradedAnswer(request: GatewayRequest): GatewayResult {
  return {
    requestId: request.requestId ?? 'request',
    text: 'We are busy; please try again shortly.',
    model: 'none',
    modelId: 'none',
    region: 'none',
    stopReason: 'end_turn',
    usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0,
    latencyMs: 0,
    cached: false,
    stale: false,
    degraded: true,
    routing: { model: 'claude-haiku-4-5', requested: 'fast', reason: 'explicit' },
    attempts: [],
  };
}

const runId = 'recommendations-2026-12-07T06';
const generatedAt = '2026-12-07T06:00:00.123Z';
const segmentInput = (segment: string) => ({
  step: 'recommend-segment',
  segment,
  run_id: runId,
  generated_at: generatedAt,
});

describe('recommendation steps: plan', () => {
  it('names the segments that have candidates, with the run’s id and time', async () => {
    const { step, calls } = setup();

    await expect(
      step({ step: 'plan', run_id: runId, started_at: '2026-12-07T06:00:00.123Z' }),
    ).resolves.toEqual({
      run_id: runId,
      generated_at: generatedAt,
      segments: ['shonen', 'shojo', 'seinen'],
    });
    expect(calls).toEqual([]);
  });

  it('reads the execution’s start time in any offset as UTC', async () => {
    const { step } = setup();

    await expect(
      step({ step: 'plan', run_id: runId, started_at: '2026-12-07T15:00:00+09:00' }),
    ).resolves.toMatchObject({ generated_at: '2026-12-07T06:00:00.000Z' });
  });

  it('names no segment when no product falls in one', async () => {
    const { step } = setup(goodReply, {
      catalog: new MemoryProductCatalog([product('cookbook', { genre: 'cooking' })]),
    });

    await expect(step({ step: 'plan', run_id: runId, started_at: generatedAt })).resolves.toMatchObject({
      segments: [],
    });
  });

  it('fails as StoreUnavailable, retried, when the catalog cannot be read', async () => {
    const { step } = setup(goodReply, {
      catalog: {
        list: async () => {
          throw new Error('table unreachable');
        },
      },
    });

    await expect(step({ step: 'plan', run_id: runId, started_at: generatedAt })).rejects.toMatchObject({
      name: 'StoreUnavailable',
    });
  });
});

describe('recommendation steps: recommend-segment', () => {
  it('asks the fast model once about this segment’s candidates only, never from the cache', async () => {
    const { step, calls, requests } = setup();

    await step(segmentInput('shojo'));

    expect(requests).toEqual([expect.objectContaining({ useCache: false, requestId: `${runId}:shojo` })]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.request.modelId).toBe(haiku);
    const prompt = JSON.stringify(calls[0]?.request.messages);
    expect(prompt).toContain('nana-21');
    expect(prompt).not.toContain('onepiece-108');
    expect(prompt).not.toContain('cookbook');
  });

  it('stores the list and announces it, starting a chain at depth 1', async () => {
    const { step, store, published } = setup();

    await expect(step(segmentInput('shonen'))).resolves.toEqual({ segment: 'shonen', status: 'generated' });

    const list = {
      segment: 'shonen',
      product_ids: ['jujutsu-28', 'onepiece-108', 'naruto-72'],
      model_id: haiku,
      generated_at: generatedAt,
    };
    await expect(store.get('shonen')).resolves.toEqual(list);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ source: 'mangaassist.ai', detailType: 'Recommendation.Generated' });
    expect(published[0]?.detail).toEqual({
      ...list,
      chain_depth: 1,
      source_event_id: runId,
      processing_stage: 'processed',
    });
    expect(recommendationGeneratedDetailSchema.safeParse(published[0]?.detail).success).toBe(true);
    expect(consumerEmissions['recommendation-regeneration']).toContain('Recommendation.Generated');
  });

  it('keeps only candidate ids and logs the others', async () => {
    const { step, store, logger } = setup(() => ({
      text: JSON.stringify({ shonen: ['ghost-1', 'onepiece-108', 'nana-21'] }),
    }));

    await step(segmentInput('shonen'));

    await expect(store.get('shonen')).resolves.toMatchObject({ product_ids: ['onepiece-108'] });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ segment: 'shonen', unknownIds: ['ghost-1', 'nana-21'] }),
      }),
    );
  });

  it.each([
    ['not the JSON asked for', 'I recommend ONE PIECE!'],
    ['no candidate id', JSON.stringify({ shonen: ['ghost'] })],
    ['another segment’s picks only', JSON.stringify({ shojo: ['nana-21'] })],
  ])(
    'fails as UnusableRecommendations for an answer with %s, storing and announcing nothing',
    async (_, text) => {
      const { step, store, published } = setup(() => ({ text }));

      await expect(step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'UnusableRecommendations' });
      await expect(store.get('shonen')).resolves.toBeUndefined();
      expect(published).toEqual([]);
    },
  );

  it('fails as ModelThrottled when the model refuses for load, and ModelUnavailable when it fails otherwise', async () => {
    const throttled = setup(() => ({ error: awsError('ThrottlingException') }));
    await expect(throttled.step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'ModelThrottled' });

    const broken = setup(() => ({ error: awsError('InternalServerException') }));
    await expect(broken.step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'ModelUnavailable' });
    expect(broken.published).toEqual([]);
  });

  it('counts every throttle the gateway knows (quotas, 429) as ModelThrottled', async () => {
    for (const code of ['ServiceQuotaExceededException', 'TooManyRequestsException']) {
      const { step } = setup(() => ({ error: awsError(code) }));
      await expect(step(segmentInput('shonen')), code).rejects.toMatchObject({ name: 'ModelThrottled' });
    }
  });

  it('fails as ModelThrottled when the gateway throws that every model refused for load', async () => {
    const throwing = (error: Error) =>
      setup(goodReply, {
        model: {
          complete: async () => {
            throw error;
          },
        },
      });
    await expect(
      throwing(new AllModelsFailedError([], 'throttled')).step(segmentInput('shonen')),
    ).rejects.toMatchObject({ name: 'ModelThrottled' });
    await expect(
      throwing(new AllModelsFailedError([], 'unavailable')).step(segmentInput('shonen')),
    ).rejects.toMatchObject({ name: 'ModelUnavailable' });
  });

  it('fails as ModelUnavailable for a degraded answer no model failed for (every target skipped)', async () => {
    const skipped: AttemptRecord = {
      model: 'claude-haiku-4-5',
      region: 'ap-northeast-1',
      modelId: haiku,
      outcome: 'skipped',
      calls: 0,
      reason: 'circuit-open',
    };
    const { step, calls, published } = setup(goodReply, {
      model: {
        complete: async (request) => ({ ...degradedAnswer(request), attempts: [skipped] }),
      },
    });
    await expect(step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'ModelUnavailable' });
    expect(calls).toEqual([]);
    expect(published).toEqual([]);
  });

  it('announces what this run already stored when retried after the bus failed, without asking the model again', async () => {
    let busDown = true;
    const published: DomainEvent[] = [];
    const { step, calls, store } = setup(goodReply, {
      events: {
        publish: async (batch) => {
          if (busDown) throw new Error('bus down');
          published.push(...batch);
        },
      },
    });
    await expect(step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'StoreUnavailable' });
    const stored = await store.get('shonen');
    expect(calls).toHaveLength(1);

    busDown = false;
    await expect(step(segmentInput('shonen'))).resolves.toEqual({ segment: 'shonen', status: 'generated' });
    expect(calls).toHaveLength(1);
    await expect(store.get('shonen')).resolves.toEqual(stored);
    expect(published.map((event) => event.detail)).toEqual([expect.objectContaining({ ...stored })]);
  });

  it('leaves a later run’s list alone and announces nothing', async () => {
    const { step, store, published } = setup();
    const later = {
      segment: 'shonen',
      product_ids: ['naruto-72'],
      model_id: haiku,
      generated_at: '2026-12-07T12:00:00.000Z',
    };
    await store.put(later);

    await expect(step(segmentInput('shonen'))).resolves.toEqual({ segment: 'shonen', status: 'stale' });
    await expect(store.get('shonen')).resolves.toEqual(later);
    expect(published).toEqual([]);
  });

  it('skips a segment that is not configured or has no candidates any more, without a model call', async () => {
    const { step, calls } = setup(goodReply, { segments: { shonen: ['少年'], josei: ['josei'] } });

    await expect(step(segmentInput('seinen'))).resolves.toEqual({
      segment: 'seinen',
      status: 'skipped',
      reason: 'unknown-segment',
    });
    await expect(step(segmentInput('josei'))).resolves.toEqual({
      segment: 'josei',
      status: 'skipped',
      reason: 'no-candidates',
    });
    expect(calls).toEqual([]);
  });

  it('fails as StoreUnavailable, retried, when the table or the bus cannot be reached', async () => {
    const brokenStore = setup(goodReply, {
      store: {
        put: async () => {
          throw new Error('throttled table');
        },
        get: async () => undefined,
        list: async () => [],
      },
    });
    await expect(brokenStore.step(segmentInput('shonen'))).rejects.toMatchObject({
      name: 'StoreUnavailable',
    });
    expect(brokenStore.published).toEqual([]);

    const brokenBus = setup(goodReply, {
      events: {
        publish: async () => {
          throw new Error('bus down');
        },
      },
    });
    await expect(brokenBus.step(segmentInput('shonen'))).rejects.toMatchObject({ name: 'StoreUnavailable' });
  });
});

describe('recommendation steps: summarize', () => {
  const outcome = (segment: string, status: string) => ({ segment, status });

  it('reports each segment’s outcome', async () => {
    const { step } = setup();

    await expect(
      step({
        step: 'summarize',
        run_id: runId,
        results: [
          outcome('shonen', 'generated'),
          outcome('shojo', 'stale'),
          { ...outcome('seinen', 'failed'), error: 'ModelUnavailable' },
        ],
      }),
    ).resolves.toEqual({
      run_id: runId,
      generated: ['shonen'],
      stale: ['shojo'],
      skipped: [],
      failed: ['seinen'],
    });
  });

  it('fails as NoSegmentRecommended when segments failed and none got a list', async () => {
    const { step } = setup();

    await expect(
      step({
        step: 'summarize',
        run_id: runId,
        results: [outcome('shonen', 'failed'), outcome('shojo', 'skipped')],
      }),
    ).rejects.toMatchObject({ name: 'NoSegmentRecommended', message: expect.stringContaining('shonen') });
  });

  it('succeeds when a segment failed but another’s list was already the newest (stale)', async () => {
    const { step } = setup();

    await expect(
      step({
        step: 'summarize',
        run_id: runId,
        results: [outcome('shonen', 'failed'), outcome('shojo', 'stale')],
      }),
    ).resolves.toMatchObject({ stale: ['shojo'], failed: ['shonen'] });
  });

  it('succeeds when every segment was skipped: nothing was wrong', async () => {
    const { step } = setup();

    await expect(
      step({ step: 'summarize', run_id: runId, results: [outcome('shonen', 'skipped')] }),
    ).resolves.toMatchObject({ skipped: ['shonen'], failed: [] });
  });
});

describe('recommendation steps: input', () => {
  it('refuses input no state sends', async () => {
    const { step } = setup();

    await expect(
      step({ step: 'recommend-segment', segment: 'Shonen!', run_id: runId, generated_at: generatedAt }),
    ).rejects.toThrow(TypeError);
    await expect(step({ step: 'publish' })).rejects.toThrow(TypeError);
  });

  it('refuses a catalog limit outside 1 to 1000 when it is built', () => {
    expect(() => setup(goodReply, { maxProducts: 0 })).toThrow(RangeError);
    expect(() => setup(goodReply, { maxProducts: 1_001 })).toThrow(RangeError);
  });
});
