import { describe, expect, it } from 'vitest';
import { asksForModeration, moderate } from './moderation.js';

describe('moderate', () => {
  it('finds nothing in a friendly review', () => {
    expect(moderate('Lovely art, fast delivery.')).toEqual({
      safe: true,
      severity: 'none',
      categories: [],
      reason: 'No abusive terms found by the local emulator lexicon.',
    });
  });

  it('flags a single insult as unsafe with low severity', () => {
    expect(moderate('The author is an idiot')).toMatchObject({
      safe: false,
      severity: 'low',
      categories: ['harassment'],
    });
  });

  it('rates a threat high and a threat with insults critical, in English and Japanese', () => {
    expect(moderate('I will kill the seller')).toMatchObject({
      safe: false,
      severity: 'high',
      categories: ['violence'],
    });
    expect(moderate('死ね、バカ、アホ')).toMatchObject({
      severity: 'critical',
      categories: ['violence', 'harassment'],
    });
  });

  it('does not flag words that merely contain a lexicon word', () => {
    expect(moderate('The skill of this mangaka is unmatched').safe).toBe(true);
  });
});

describe('asksForModeration', () => {
  it('recognises the content-moderator prompt and JSON moderation requests', () => {
    expect(asksForModeration('You are a content moderator for a Japanese manga store.')).toBe(true);
    expect(asksForModeration('Moderate this text and reply as JSON with a "safe" field')).toBe(true);
    expect(asksForModeration('Tell me about moderately priced manga')).toBe(false);
  });
});
