import { describe, expect, it } from 'vitest';
import { contentHash, contentPreview, moderationDecision } from './review-moderation.js';

describe('moderationDecision', () => {
  it('takes a safe verdict of severity none or low as safe', () => {
    for (const severity of ['none', 'low']) {
      const decision = moderationDecision(
        `{"safe": true, "severity": "${severity}", "categories": [], "reason": "ok"}`,
      );
      expect(decision.flagged).toBe(false);
    }
  });

  it('flags an unsafe verdict with its severity and categories', () => {
    const answer =
      'Here is my verdict: {"safe": false, "severity": "critical", "categories": ["threat"], "reason": "Threat."}';
    expect(moderationDecision(answer)).toStrictEqual({
      flagged: true,
      severity: 'critical',
      categories: ['threat'],
      reason: 'Threat.',
      reviewRequired: false,
    });
  });

  it.each([
    ['prose', 'Looks fine to me.'],
    ['truncated JSON', '{"safe": true, "severity": "no'],
    ['an unknown severity', '{"safe": true, "severity": "mild", "categories": [], "reason": "ok"}'],
    ['a missing field', '{"safe": true, "severity": "none", "categories": []}'],
  ])('holds %s for human review, never safe', (_, answer) => {
    expect(moderationDecision(answer)).toMatchObject({
      flagged: true,
      severity: 'medium',
      reviewRequired: true,
    });
  });

  it.each([
    ['safe but high', '{"safe": true, "severity": "high", "categories": [], "reason": "ok"}'],
    ['unsafe but none', '{"safe": false, "severity": "none", "categories": ["spam"], "reason": "?"}'],
  ])('holds a verdict that is %s for human review', (_, answer) => {
    expect(moderationDecision(answer)).toMatchObject({
      flagged: true,
      severity: 'medium',
      reviewRequired: true,
      categories: expect.arrayContaining(['unverified']),
    });
  });
});

describe('contentPreview', () => {
  it('keeps a short text whole', () => {
    expect(contentPreview('最高！')).toBe('最高！');
  });

  it('cuts at 200 UTF-16 units without splitting a character', () => {
    const preview = contentPreview(`${'a'.repeat(199)}😀tail`);
    expect(preview).toBe('a'.repeat(199));
  });
});

describe('contentHash', () => {
  it('is the lower-case hex SHA-256 of the UTF-8 text', () => {
    expect(contentHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
