import { describe, expect, it } from 'vitest';
import { makeReenrichmentStepsFunctionHandler } from './reenrichment.js';

describe('makeReenrichmentStepsFunctionHandler', () => {
  it('answers the step and flushes the gateway’s events, also when the step fails', async () => {
    const flushed: number[] = [];
    const flush = async (ms: number) => {
      flushed.push(ms);
    };
    const answering = makeReenrichmentStepsFunctionHandler({
      handler: async (event) => ({ got: event }),
      flush,
    });
    await expect(answering({ step: 'plan' })).resolves.toEqual({ got: { step: 'plan' } });

    const failing = makeReenrichmentStepsFunctionHandler({
      handler: async () => {
        throw Object.assign(new Error('throttled'), { name: 'ModelThrottled' });
      },
      flush,
    });
    await expect(failing({})).rejects.toMatchObject({ name: 'ModelThrottled' });
    expect(flushed).toEqual([300, 300]);
  });
});
