import { describe, expect, it } from 'vitest';
import { byPriority, jobPriorities, makeCreateJobRequestSchema } from './jobs.js';

describe('byPriority', () => {
  it('builds one of something per lane, each from its own priority, in lane order', () => {
    const made: string[] = [];
    const lanes = byPriority((priority) => {
      made.push(priority);
      return `${priority}-queue`;
    });
    expect(lanes).toEqual({ normal: 'normal-queue', low: 'low-queue' });
    expect(made).toEqual([...jobPriorities]);
  });
});

describe('makeCreateJobRequestSchema', () => {
  const schema = makeCreateJobRequestSchema(['fast']);

  it('fills in the model and the priority', () => {
    expect(schema.parse({ type: 'summarize', document: { text: '本文' } })).toMatchObject({
      model: 'auto',
      priority: 'normal',
    });
  });

  it('refuses a document that is both text and an upload, and an unknown model', () => {
    expect(
      schema.safeParse({
        type: 'summarize',
        document: { text: 'x', upload_id: 'upl_aaaaaaaaaaaaaaaaaaaaaaaaaa' },
      }).success,
    ).toBe(false);
    expect(schema.safeParse({ type: 'summarize', document: { text: 'x' }, model: 'gpt' }).success).toBe(
      false,
    );
  });
});
