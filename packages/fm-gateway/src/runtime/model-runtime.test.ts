import { describe, expect, it } from 'vitest';
import { stopReasons, toStopReason } from './model-runtime.js';

describe('toStopReason', () => {
  it('keeps every reason it knows', () => {
    for (const reason of stopReasons) {
      expect(toStopReason(reason)).toBe(reason);
    }
  });

  it("maps Anthropic's refusal to content_filtered", () => {
    expect(toStopReason('refusal')).toBe('content_filtered');
  });

  it('maps an unknown, missing or empty reason to other', () => {
    expect(toStopReason('pause_turn')).toBe('other');
    expect(toStopReason('END_TURN')).toBe('other');
    expect(toStopReason('')).toBe('other');
    expect(toStopReason(null)).toBe('other');
    expect(toStopReason(undefined)).toBe('other');
  });
});
