import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecommendationStore } from '../recommendation-store.js';

/** What every `RecommendationStore` does, run against each implementation. */
export function describeRecommendationStore(
  name: string,
  makeStore: () => Promise<RecommendationStore>,
): void {
  const list = (segment: string, generatedAt: string, productIds = ['p-1', 'p-2']) => ({
    segment,
    product_ids: productIds,
    model_id: 'anthropic.claude-3-haiku-20240307-v1:0',
    generated_at: generatedAt,
  });

  // Segments of their own per test: a shared table may hold other tests' lists.
  const segmentNamed = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

  describe(`${name} (RecommendationStore)`, () => {
    it('stores a segment’s list and gives it back', async () => {
      const store = await makeStore();
      const shonen = segmentNamed('shonen');

      await expect(store.put(list(shonen, '2026-12-07T00:00:00.000Z'))).resolves.toBe('stored');
      await expect(store.get(shonen)).resolves.toEqual(list(shonen, '2026-12-07T00:00:00.000Z'));
      await expect(store.get(segmentNamed('shojo'))).resolves.toBeUndefined();
    });

    it('refuses a time that does not compare as a string', async () => {
      const store = await makeStore();

      await expect(store.put(list(segmentNamed('shonen'), '2026-12-07T09:00:00+09:00'))).rejects.toThrow(
        RangeError,
      );
    });

    it('replaces a list with a later one and with the same run’s, never with an earlier one', async () => {
      const store = await makeStore();
      const seinen = segmentNamed('seinen');
      await store.put(list(seinen, '2026-12-07T06:00:00.000Z', ['p-1']));

      await expect(store.put(list(seinen, '2026-12-07T00:00:00.000Z', ['old']))).resolves.toBe('stale');
      await expect(store.get(seinen)).resolves.toMatchObject({ product_ids: ['p-1'] });
      await expect(store.put(list(seinen, '2026-12-07T06:00:00.000Z', ['retried']))).resolves.toBe('stored');
      await expect(store.get(seinen)).resolves.toMatchObject({ product_ids: ['retried'] });
      await expect(store.put(list(seinen, '2026-12-07T12:00:00.000Z', ['new']))).resolves.toBe('stored');
      await expect(store.get(seinen)).resolves.toMatchObject({ product_ids: ['new'] });
    });

    it('lists every segment’s list by name', async () => {
      const store = await makeStore();
      const run = randomUUID().slice(0, 8);
      await store.put(list(`shonen-${run}`, '2026-12-07T00:00:00.000Z'));
      await store.put(list(`seinen-${run}`, '2026-12-07T00:00:00.000Z'));

      const mine = (await store.list()).filter((stored) => stored.segment.endsWith(run));
      expect(mine).toEqual([
        list(`seinen-${run}`, '2026-12-07T00:00:00.000Z'),
        list(`shonen-${run}`, '2026-12-07T00:00:00.000Z'),
      ]);
    });
  });
}
