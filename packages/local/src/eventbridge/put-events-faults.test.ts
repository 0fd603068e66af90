import { describe, expect, it } from 'vitest';
import { PutEventsFaults, putEventsFaultSpecSchema } from './put-events-faults.js';

const review = { source: 'mangaassist.reviews', detailType: 'ReviewSubmitted' };
const catalog = { source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock' };

function randomSequence(...values: number[]) {
  let index = 0;
  return () => values[index++ % values.length] ?? 0;
}

describe('PutEventsFaults', () => {
  it('fails the next N entries, then lets entries through', () => {
    const faults = new PutEventsFaults();
    faults.failNext({ count: 2, errorCode: 'ThrottlingException' });

    expect(faults.entryFailure(review)?.errorCode).toBe('ThrottlingException');
    expect(faults.list()).toEqual([
      expect.objectContaining({ scope: 'entry', errorCode: 'ThrottlingException', remaining: 1 }),
    ]);
    expect(faults.entryFailure(review)?.errorCode).toBe('ThrottlingException');
    expect(faults.entryFailure(review)).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('fails entries at a rate drawn from the random source until cleared', () => {
    const faults = new PutEventsFaults(randomSequence(0.1, 0.9));
    faults.add({ rate: 0.5 });

    expect(faults.entryFailure(review)).toEqual({
      errorCode: 'InternalFailure',
      errorMessage: 'InternalFailure (injected by the local EventBridge endpoint).',
    });
    expect(faults.entryFailure(review)).toBeUndefined();
    expect(faults.entryFailure(review)).toBeDefined();
    faults.clear();
    expect(faults.entryFailure(review)).toBeUndefined();
  });

  it('applies an entry fault only to the source and detail type it names', () => {
    const faults = new PutEventsFaults();
    faults.add({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock', errorMessage: 'nope' });

    expect(faults.entryFailure(review)).toBeUndefined();
    expect(faults.entryFailure(catalog)).toEqual({ errorCode: 'InternalFailure', errorMessage: 'nope' });
  });

  it('keeps request faults and entry faults apart', () => {
    const faults = new PutEventsFaults();
    faults.add({ scope: 'request', errorType: 'ThrottlingException', count: 1 });

    expect(faults.entryFailure(review)).toBeUndefined();
    expect(faults.requestFailure()).toEqual({
      errorType: 'ThrottlingException',
      message: 'ThrottlingException (injected by the local EventBridge endpoint).',
    });
    expect(faults.requestFailure()).toBeUndefined();
  });

  it('refuses specs outside the schema', () => {
    const faults = new PutEventsFaults();
    expect(() => faults.add({ rate: 2 })).toThrow();
    expect(() => faults.add({ count: 0 })).toThrow();
    expect(putEventsFaultSpecSchema.safeParse({ errorCode: 'NoSuchCode' }).success).toBe(false);
    expect(
      putEventsFaultSpecSchema.safeParse({ scope: 'request', errorCode: 'InternalFailure' }).success,
    ).toBe(false);
  });
});
