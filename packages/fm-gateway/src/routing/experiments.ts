import { createHash } from 'node:crypto';
import type { Random } from '@mangaassist/commons';
import * as z from 'zod/mini';

/**
 * Weighted A/B traffic splitting (seed 000 §4.3: 20 % Sonnet / 80 % Haiku), sticky per session.
 *
 * A session's bucket is the first 48 bits of SHA-256(`<experiment name>:<session id>`) as a
 * fraction of 2^48, laid over the variants' cumulative weights. The same session therefore
 * always lands on the same variant while the configuration is unchanged, and different
 * experiments split sessions independently. Changing weights moves only the sessions whose
 * bucket crosses a boundary. SHA-256 is used (not a 32-bit hash) because sequential ids
 * (`session-0001`, `session-0002` …) must spread evenly, and because any other language can
 * reproduce the assignment for analysis.
 */

export const experimentVariantSchema = z.strictObject({
  /** A catalog key or an alias (`fast | balanced | quality`). */
  model: z.string().check(z.minLength(1)),
  /** Relative share of traffic; weights need not add up to 100. */
  weight: z.number().check(z.positive()),
});

export const experimentSchema = z.strictObject({
  /** Appears in routing reasons and seeds the hash; renaming an experiment reshuffles sessions. */
  name: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" or "-", at most 64 characters')),
  /** The requested model name the experiment takes over: `auto`, an alias or a catalog key. */
  appliesTo: z.string().check(z.minLength(1)),
  variants: z.array(experimentVariantSchema).check(z.minLength(1)),
});

export type ExperimentConfig = z.input<typeof experimentSchema>;
export type ExperimentVariant = z.infer<typeof experimentVariantSchema>;

/** A position in [0, 1) derived from the experiment and the session; stable across processes. */
export function stickyBucket(experimentName: string, sessionId: string): number {
  const digest = createHash('sha256').update(`${experimentName}:${sessionId}`, 'utf8').digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The variant a session is assigned to: sticky when `sessionId` is given, otherwise drawn from
 * `random` (so two requests without a session may see different variants).
 */
export function pickVariant<V extends { readonly weight: number }>(
  experimentName: string,
  variants: readonly [V, ...V[]],
  sessionId: string | undefined,
  random: Random,
): V {
  const position = sessionId === undefined ? random() : stickyBucket(experimentName, sessionId);
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  const point = position * total;
  let cumulative = 0;
  for (const variant of variants) {
    cumulative += variant.weight;
    if (point < cumulative) return variant;
  }
  // Rounding can leave `point` a hair above the last boundary.
  return variants[variants.length - 1] ?? variants[0];
}
