import { Deadline, DeadlineExceededError } from '@mangaassist/commons';
import { settlesWithin } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../resilience/circuit-breaker.js';
import { MemoryEmbeddingCache } from './embedding-cache.js';
import { EmbeddingGateway, EmbeddingUnavailableError } from './embedding-gateway.js';
import type { EmbeddingModelSpec } from './embedding-model.js';
import type { EmbeddingPurpose, EmbeddingRuntime } from './embedding-runtime.js';

const model: EmbeddingModelSpec = {
  modelId: 'cohere.embed-multilingual-v3',
  displayName: 'Cohere Embed Multilingual v3',
  inputPer1M: 0.1,
  dimensions: 4,
  maxTextsPerRequest: 3,
  maxCharacters: 20,
  timeoutMs: 1_000,
};

/** A vector that names its text: the text's length and first character code. */
const vectorOf = (text: string) => Float32Array.from([text.length, text.codePointAt(0) ?? 0, 0, 1]);

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** Runtimes that record their calls; `fail` decides, per region and call, what to throw. */
function runtimes(fail: (region: string, call: number) => Error | undefined = () => undefined) {
  const calls: { region: string; texts: readonly string[]; purpose: EmbeddingPurpose }[] = [];
  const provider = (region: string): EmbeddingRuntime => ({
    region,
    async embed(_modelId, texts, purpose) {
      calls.push({ region, texts, purpose });
      const error = fail(region, calls.filter((call) => call.region === region).length);
      if (error) throw error;
      return texts.map(vectorOf);
    },
  });
  return { calls, provider };
}

const noWait = { baseDelayMs: 0, maxDelayMs: 0 };

describe('EmbeddingGateway', () => {
  it('embeds in order, in batches of the model’s size, each distinct text once', async () => {
    const { calls, provider } = runtimes();
    const gateway = new EmbeddingGateway({ model, runtimes: provider, regions: ['ap-northeast-1'] });
    const texts = ['a', 'bb', 'a', 'ccc', 'dddd', 'eeeee'];
    const result = await gateway.embed(texts, 'document');
    expect(result.vectors).toEqual(texts.map(vectorOf));
    expect(calls.map((call) => call.texts)).toEqual([
      ['a', 'bb', 'ccc'],
      ['dddd', 'eeeee'],
    ]);
    expect(calls.every((call) => call.purpose === 'document')).toBe(true);
    // Tokens as the gateway estimates them (`estimateTokens`): a word is at least one, 5 letters 1.25 → 2.
    expect(result).toMatchObject({ cached: 0, embedded: 5, inputTokens: 6 });
    expect(result.costUsd).toBeCloseTo((6 * 0.1) / 1_000_000, 15);
  });

  it('answers from the cache what it embedded before, for the same purpose only', async () => {
    const { calls, provider } = runtimes();
    const cache = new MemoryEmbeddingCache();
    const gateway = new EmbeddingGateway({ model, runtimes: provider, regions: ['ap-northeast-1'], cache });
    await gateway.embed(['ワンピース', 'NARUTO'], 'document');
    const again = await gateway.embed(['NARUTO', 'ワンピース', 'BLEACH'], 'document');
    expect(again).toMatchObject({ cached: 2, embedded: 1 });
    expect(again.vectors).toEqual(['NARUTO', 'ワンピース', 'BLEACH'].map(vectorOf));
    expect(calls.at(-1)?.texts).toEqual(['BLEACH']);
    await gateway.embed(['NARUTO'], 'query');
    expect(calls.at(-1)).toMatchObject({ texts: ['NARUTO'], purpose: 'query' });
  });

  it('retries a throttled region in place, then hands the batch to the next region', async () => {
    const { calls, provider } = runtimes((region) =>
      region === 'ap-northeast-1' ? awsError('ThrottlingException', 429) : undefined,
    );
    const gateway = new EmbeddingGateway({
      model,
      runtimes: provider,
      regions: ['ap-northeast-1', 'ap-northeast-3'],
      retry: { maxAttempts: 2, ...noWait },
    });
    const result = await gateway.embed(['a'], 'query');
    expect(result.vectors).toEqual([vectorOf('a')]);
    expect(calls.map((call) => call.region)).toEqual(['ap-northeast-1', 'ap-northeast-1', 'ap-northeast-3']);
  });

  it('does not try another region with a request Bedrock refused', async () => {
    const { calls, provider } = runtimes(() => awsError('ValidationException', 400));
    const gateway = new EmbeddingGateway({
      model,
      runtimes: provider,
      regions: ['ap-northeast-1', 'ap-northeast-3'],
    });
    await expect(gateway.embed(['a'], 'query')).rejects.toMatchObject({ name: 'ValidationException' });
    expect(calls.map((call) => call.region)).toEqual(['ap-northeast-1']);
  });

  it('fails with EmbeddingUnavailableError, the last error its cause, when every region fails', async () => {
    const { provider } = runtimes(() => awsError('ServiceUnavailableException', 503));
    const gateway = new EmbeddingGateway({
      model,
      runtimes: provider,
      regions: ['ap-northeast-1', 'us-east-1'],
      retry: { maxAttempts: 1, ...noWait },
    });
    const failure = gateway.embed(['a'], 'query');
    await expect(failure).rejects.toBeInstanceOf(EmbeddingUnavailableError);
    await expect(failure).rejects.toMatchObject({ cause: { name: 'ServiceUnavailableException' } });
  });

  it('skips a region whose circuit is open without calling it', async () => {
    const { calls, provider } = runtimes((region) =>
      region === 'ap-northeast-1' ? awsError('ServiceUnavailableException', 503) : undefined,
    );
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 2 });
    const gateway = new EmbeddingGateway({
      model,
      runtimes: provider,
      regions: ['ap-northeast-1', 'ap-northeast-3'],
      breakers,
      retry: { maxAttempts: 1, ...noWait },
    });
    await gateway.embed(['a'], 'query');
    await gateway.embed(['b'], 'query');
    const before = calls.length;
    await gateway.embed(['c'], 'query');
    expect(calls.slice(before).map((call) => call.region)).toEqual(['ap-northeast-3']);
  });

  it('refuses a vector of the wrong size or count from a region, and tries the next', async () => {
    const { provider: good } = runtimes();
    const gateway = new EmbeddingGateway({
      model,
      regions: ['bad', 'good'],
      retry: { maxAttempts: 1, ...noWait },
      runtimes: (region) =>
        region === 'bad'
          ? { region, embed: async (_m, texts) => texts.map(() => new Float32Array(3)) }
          : good(region),
    });
    expect((await gateway.embed(['a'], 'query')).vectors).toEqual([vectorOf('a')]);
    const short = new EmbeddingGateway({
      model,
      regions: ['bad', 'good'],
      retry: { maxAttempts: 1, ...noWait },
      runtimes: (region) =>
        region === 'bad' ? { region, embed: async () => [vectorOf('a')] } : good(region),
    });
    expect((await short.embed(['a', 'bb'], 'query')).vectors).toEqual([vectorOf('a'), vectorOf('bb')]);
  });

  it('refuses a text longer than the model takes, and embeds nothing for no text', async () => {
    const { calls, provider } = runtimes();
    const gateway = new EmbeddingGateway({ model, runtimes: provider, regions: ['ap-northeast-1'] });
    await expect(gateway.embed(['ok', 'x'.repeat(21)], 'document')).rejects.toThrow(
      'text 1: longer than the 20 characters Cohere Embed Multilingual v3 takes',
    );
    expect(await gateway.embed([], 'document')).toMatchObject({ vectors: [], embedded: 0, costUsd: 0 });
    expect(calls).toEqual([]);
  });

  describe('as an independent review found it', () => {
    /** A runtime that never answers until its signal aborts, and then rejects as the SDK does. */
    const hung = (region: string): EmbeddingRuntime => ({
      region,
      embed: (_model, _texts, _purpose, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () =>
            reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
          );
        }),
    });

    it('hands a batch to the next region when an attempt runs out of time, and counts it against the breaker', async () => {
      const { calls, provider } = runtimes();
      const breakers = new CircuitBreakerRegistry();
      const gateway = new EmbeddingGateway({
        model: { ...model, timeoutMs: 50 },
        regions: ['slow', 'good'],
        breakers,
        retry: { maxAttempts: 1, ...noWait },
        minAttemptMs: 10,
        runtimes: (region) => (region === 'slow' ? hung(region) : provider(region)),
      });
      expect((await settlesWithin(gateway.embed(['a'], 'query'), 5_000, 'the embedding')).vectors).toEqual([
        vectorOf('a'),
      ]);
      expect(calls.map((call) => call.region)).toEqual(['good']);
      expect(breakers.snapshot().find((breaker) => breaker.key.includes('slow'))?.consecutiveFailures).toBe(
        1,
      );
    });

    it('fails with the deadline’s own error when the caller’s time runs out', async () => {
      const gateway = new EmbeddingGateway({
        model,
        regions: ['slow', 'also-slow'],
        runtimes: hung,
        minAttemptMs: 10,
      });
      const deadline = new Deadline(100);
      try {
        await expect(
          settlesWithin(gateway.embed(['a'], 'query', { deadline }), 5_000, 'the embedding'),
        ).rejects.toBeInstanceOf(DeadlineExceededError);
      } finally {
        deadline.dispose();
      }
    });

    it('gives every caller and every position its own vector, never the cache’s', async () => {
      const { provider } = runtimes();
      const gateway = new EmbeddingGateway({
        model,
        runtimes: provider,
        regions: ['r'],
        cache: new MemoryEmbeddingCache(),
      });
      const first = await gateway.embed(['abc', 'abc'], 'document');
      expect(first.vectors[0]).not.toBe(first.vectors[1]);
      (first.vectors[0] as Float32Array)[0] = 999;
      expect((await gateway.embed(['abc'], 'document')).vectors[0]).toEqual(vectorOf('abc'));
    });

    it('refuses an empty or blank text', async () => {
      const { provider } = runtimes();
      const gateway = new EmbeddingGateway({ model, runtimes: provider, regions: ['r'] });
      await expect(gateway.embed(['ok', ' '], 'document')).rejects.toThrow('text 1: empty');
    });

    it('embeds when the cache fails to read or to write', async () => {
      const { calls, provider } = runtimes();
      const broken = {
        get: async () => {
          throw new Error('cache down');
        },
        set: async () => {
          throw new Error('cache down');
        },
      };
      const gateway = new EmbeddingGateway({ model, runtimes: provider, regions: ['r'], cache: broken });
      expect((await gateway.embed(['a'], 'query')).vectors).toEqual([vectorOf('a')]);
      expect(calls).toHaveLength(1);
    });
  });
});

describe('MemoryEmbeddingCache', () => {
  it('keeps the most recently used vectors up to its capacity', async () => {
    const cache = new MemoryEmbeddingCache(2);
    await cache.set([
      ['a', vectorOf('a')],
      ['b', vectorOf('b')],
    ]);
    await cache.get(['a']);
    await cache.set([['c', vectorOf('c')]]);
    expect(await cache.get(['a', 'b', 'c'])).toEqual([vectorOf('a'), undefined, vectorOf('c')]);
    expect(() => new MemoryEmbeddingCache(0)).toThrow(RangeError);
  });
});
