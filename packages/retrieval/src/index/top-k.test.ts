import { describe, expect, it } from 'vitest';
import { TopK } from './top-k.js';

describe('TopK', () => {
  it('keeps the k best of any order, best first', () => {
    const scores = [5, 1, 9, 3, 7, 8, 2, 6, 4, 0];
    const best = new TopK<string>(3);
    for (const score of scores) best.offer(`s${score}`, score);
    expect(best.sorted()).toEqual([
      { item: 's9', score: 9 },
      { item: 's8', score: 8 },
      { item: 's7', score: 7 },
    ]);
  });

  it('matches a full sort on many random scores', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const scores = Array.from({ length: 500 }, random);
    const best = new TopK<number>(25);
    scores.forEach((score, index) => {
      best.offer(index, score);
    });
    const expected = scores
      .map((score, index) => ({ item: index, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 25);
    expect(best.sorted()).toEqual(expected);
  });

  it('keeps the earlier of equal scores, and has room until it is full', () => {
    const best = new TopK<string>(2);
    expect(best.threshold).toBe(Number.NEGATIVE_INFINITY);
    best.offer('first', 1);
    best.offer('second', 1);
    expect(best.threshold).toBe(1);
    best.offer('third', 1);
    expect(best.sorted().map(({ item }) => item)).toEqual(['first', 'second']);
  });

  it('keeps nothing for k of 0', () => {
    const none = new TopK<string>(0);
    none.offer('a', 1);
    expect(none.sorted()).toEqual([]);
  });

  it('evicts the later of equal scores when a better one comes', () => {
    const best = new TopK<string>(2);
    best.offer('a', 1);
    best.offer('b', 1);
    best.offer('c', 2);
    expect(best.sorted().map(({ item }) => item)).toEqual(['c', 'a']);
    const reversed = new TopK<string>(2);
    reversed.offer('b', 1);
    reversed.offer('a', 1);
    reversed.offer('c', 2);
    expect(reversed.sorted().map(({ item }) => item)).toEqual(['c', 'b']);
  });

  it('never keeps a score that is not a number', () => {
    const best = new TopK<string>(2);
    for (const [item, score] of [
      ['a', 1],
      ['nan', Number.NaN],
      ['b', 2],
      ['c', 3],
    ] as const)
      best.offer(item, score);
    expect(best.sorted().map(({ item }) => item)).toEqual(['c', 'b']);
  });
});
