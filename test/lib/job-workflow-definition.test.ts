import { describe, expect, it } from 'vitest';
import { jobWorkflowDefinition, shortestTaskTimeoutSeconds } from '../../lib/job-workflow-definition.js';

describe('shortestTaskTimeoutSeconds', () => {
  it('is the shortest Task timeout of the job workflow (every Task has the same)', () => {
    expect(shortestTaskTimeoutSeconds()).toBe(300);
  });

  it('looks into Map processors and ignores states that are not Tasks', () => {
    const definition = jobWorkflowDefinition();
    const chunk = definition.States.ProcessChunks.ItemProcessor.States.ProcessChunk;
    const shorter = {
      ...definition,
      States: {
        ...definition.States,
        ProcessChunks: {
          ...definition.States.ProcessChunks,
          ItemProcessor: {
            ...definition.States.ProcessChunks.ItemProcessor,
            States: {
              ...definition.States.ProcessChunks.ItemProcessor.States,
              ProcessChunk: { ...chunk, TimeoutSeconds: 200 },
            },
          },
        },
      },
    };
    expect(shortestTaskTimeoutSeconds(shorter)).toBe(200);
    expect(shortestTaskTimeoutSeconds({ ...definition, TimeoutSeconds: 99_999 })).toBe(300);
  });
});
