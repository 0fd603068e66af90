import { describe, expect, it } from 'vitest';
import { batchJobStatuses, isTerminalBatchStatus, toBatchJobStatus } from './batch-inference.js';

describe('batch job statuses', () => {
  it('treats only the five end states as terminal', () => {
    expect(batchJobStatuses.filter(isTerminalBatchStatus)).toEqual([
      'Completed',
      'PartiallyCompleted',
      'Failed',
      'Stopped',
      'Expired',
    ]);
    expect(isTerminalBatchStatus('Unknown')).toBe(false);
  });

  it('keeps a reported status it knows and calls any other Unknown', () => {
    expect(toBatchJobStatus('Stopping')).toBe('Stopping');
    expect(toBatchJobStatus('Paused')).toBe('Unknown');
    expect(toBatchJobStatus(undefined)).toBe('Unknown');
  });
});
