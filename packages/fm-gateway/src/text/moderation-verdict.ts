import {
  type ModerationSeverity,
  type ModerationVerdict,
  moderationVerdictSchema,
} from '@mangaassist/contracts';

/** A verdict that hangs together: safe of no or low severity, or unsafe of some severity. */
export type ConsistentVerdict = Omit<ModerationVerdict, 'safe' | 'severity'> &
  (
    | { readonly safe: true; readonly severity: 'none' | 'low' }
    | { readonly safe: false; readonly severity: ModerationSeverity }
  );

/** The answer alone, or in one json code fence, with nothing else around it but whitespace. */
const wholeAnswer = /^\s*(?:```(?:json)?\s*)?\{[\s\S]*\}\s*(?:```\s*)?$/u;

/**
 * The model's moderation verdict, validated against `moderationVerdictSchema` and taken only when
 * it is consistent — `safe: true` with severity `none` or `low`, `safe: false` with severity `low`
 * or above — and, to be taken as safe, when the answer is that JSON object alone (whitespace or a
 * json code fence around it is fine). Text around the JSON can only make a verdict less safe: an
 * unsafe verdict inside prose is still taken, a safe one is not (an injected instruction or a
 * second verdict hides there).
 *
 * Anything else is never taken as safe (the seed failed open): invalid JSON, a verdict off the
 * contract, one that contradicts itself, or a safe verdict with text around it comes back unsafe,
 * severity `medium`, category `unverified`, with `review_required: true` for a person to decide.
 */
export function parseModerationVerdict(text: string): ConsistentVerdict & { review_required: boolean } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const verdict = moderationVerdictSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
      if (verdict.success && consistent(verdict.data) && (!verdict.data.safe || wholeAnswer.test(text))) {
        return { ...verdict.data, review_required: false };
      }
    } catch {
      // falls through to the held-for-review verdict
    }
  }
  return {
    safe: false,
    severity: 'medium',
    categories: ['unverified'],
    reason: 'The model did not return one consistent verdict; held for human review.',
    review_required: true,
  };
}

function consistent(verdict: ModerationVerdict): verdict is ConsistentVerdict {
  return verdict.safe
    ? verdict.severity === 'none' || verdict.severity === 'low'
    : verdict.severity !== 'none';
}
