import { describe, expect, it } from 'vitest';
import { parseModerationVerdict } from './moderation-verdict.js';

const heldForReview = {
  safe: false,
  severity: 'medium',
  categories: ['unverified'],
  review_required: true,
};

describe('parseModerationVerdict', () => {
  it('takes the verdict the model wrote, even inside prose', () => {
    expect(
      parseModerationVerdict(
        'Here is my verdict: {"safe": false, "severity": "high", "categories": ["harassment"], "reason": "insult"} Done.',
      ),
    ).toEqual({
      safe: false,
      severity: 'high',
      categories: ['harassment'],
      reason: 'insult',
      review_required: false,
    });
  });

  it.each([
    ['no JSON at all', 'The text looks fine to me.'],
    ['JSON that does not parse', '{"safe": true, "severity": }'],
    ['a verdict off the contract', '{"safe": "yes", "severity": "none", "categories": [], "reason": ""}'],
    ['braces in the wrong order', '} not a verdict {'],
  ])('never takes %s as safe: the text is held for a person to review', (_, text) => {
    expect(parseModerationVerdict(text)).toMatchObject(heldForReview);
  });
});
