import { type ModerationVerdict, moderationVerdictSchema } from '@mangaassist/contracts';

/**
 * The model's verdict, validated; a verdict that does not parse is never taken as safe (the
 * seed fails open): it comes back unsafe with `review_required: true` for a person to decide.
 */
export function parseModerationVerdict(text: string): ModerationVerdict & { review_required: boolean } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const verdict = moderationVerdictSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
      if (verdict.success) return { ...verdict.data, review_required: false };
    } catch {
      // falls through to the held-for-review verdict
    }
  }
  return {
    safe: false,
    severity: 'medium',
    categories: ['unverified'],
    reason: 'The model did not return a valid verdict; held for human review.',
    review_required: true,
  };
}
