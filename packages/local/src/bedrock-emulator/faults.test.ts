import { describe, expect, it } from 'vitest';
import { FaultBook, faultSpecSchema } from './faults.js';

const tokyo = { region: 'ap-northeast-1', modelId: 'jp.anthropic.claude-sonnet-4-5-20250929-v1:0' };
const virginia = { region: 'us-east-1', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' };

function sequence(...values: number[]): () => number {
  let index = 0;
  return () => {
    const value = values[index % values.length] ?? 0;
    index += 1;
    return value;
  };
}

describe('FaultBook', () => {
  it('fails only requests signed for the fault region', () => {
    const faults = new FaultBook(Math.random);
    faults.add({ region: 'ap-northeast-1', error: 'ThrottlingException', rate: 1 });

    expect(faults.plan(tokyo).error).toBe('ThrottlingException');
    expect(faults.plan(virginia).error).toBeUndefined();
  });

  it('matches the model as a case-insensitive substring of the model id', () => {
    const faults = new FaultBook(Math.random);
    faults.add({ model: 'Sonnet', error: 'ModelTimeoutException', rate: 1 });

    expect(faults.plan(tokyo).error).toBe('ModelTimeoutException');
    expect(faults.plan(virginia).error).toBeUndefined();
  });

  it('fails only prompts containing the match text when the fault has one', () => {
    const faults = new FaultBook(Math.random);
    faults.add({ match: 'SKU-2', error: 'ModelErrorException' });

    expect(faults.plan({ ...tokyo, promptText: 'Describe SKU-2 for the shop' }).error).toBe(
      'ModelErrorException',
    );
    expect(faults.plan({ ...tokyo, promptText: 'Describe SKU-1 for the shop' }).error).toBeUndefined();
    expect(faults.plan(tokyo).error).toBeUndefined();
  });

  it('never fires at rate 0 and always at rate 1, without drawing random numbers', () => {
    const random = () => {
      throw new Error('no draw expected');
    };
    const never = new FaultBook(random);
    never.add({ error: 'ThrottlingException', rate: 0 });
    const always = new FaultBook(random);
    always.add({ error: 'ThrottlingException', rate: 1 });

    expect(never.plan(tokyo).error).toBeUndefined();
    expect(always.plan(tokyo).error).toBe('ThrottlingException');
  });

  it('fires a fractional rate when the random draw falls below it', () => {
    const faults = new FaultBook(sequence(0.2, 0.7));
    faults.add({ error: 'ServiceUnavailableException', rate: 0.5 });

    expect(faults.plan(tokyo).error).toBe('ServiceUnavailableException');
    expect(faults.plan(tokyo).error).toBeUndefined();
  });

  it('lets the first fault that fires decide the error', () => {
    const faults = new FaultBook(Math.random);
    faults.add({ error: 'ThrottlingException', rate: 0 });
    faults.add({ error: 'InternalServerException', rate: 1 });
    faults.add({ error: 'ValidationException', rate: 1 });

    expect(faults.plan(tokyo).error).toBe('InternalServerException');
  });

  it('combines latency by taking the largest of the defaults and every matching fault', () => {
    const faults = new FaultBook(Math.random, { ttftMs: 5, tokenDelayMs: 1 });
    faults.add({ ttftMs: 200 });
    faults.add({ region: 'ap-northeast-1', tokenDelayMs: 30 });
    faults.add({ region: 'us-east-1', ttftMs: 9_000 });

    expect(faults.plan(tokyo)).toEqual({ error: undefined, ttftMs: 200, tokenDelayMs: 30 });
  });

  it('lists faults with the default rate filled in and forgets them on clear', () => {
    const faults = new FaultBook(Math.random);
    faults.add({ error: 'ThrottlingException' });

    expect(faults.list()).toEqual([{ error: 'ThrottlingException', rate: 1 }]);
    faults.clear();
    expect(faults.list()).toEqual([]);
  });
});

describe('faultSpecSchema', () => {
  it('rejects an unknown error name, a rate above 1 and a fault that does nothing', () => {
    expect(faultSpecSchema.safeParse({ error: 'TeapotException', rate: 1 }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ error: 'ThrottlingException', rate: 1.5 }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ region: 'us-east-1' }).success).toBe(false);
  });

  it('accepts a latency-only fault and the mid-stream error', () => {
    expect(faultSpecSchema.safeParse({ ttftMs: 250 }).success).toBe(true);
    expect(faultSpecSchema.safeParse({ error: 'ModelStreamErrorException', rate: 0.1 }).success).toBe(true);
  });
});
