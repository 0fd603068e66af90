import * as z from 'zod/mini';
import { type Geography, geographies, geographyOfRegion, isWithin } from './geography.js';
import type { ModelSpec } from './model-catalog.js';

/**
 * Where the gateway may send a request, in order of preference: a region and, optionally, the
 * cross-region inference profile to call from it. Without a profile the model is called on
 * demand in that region (only models with `onDemand: true`).
 */
export const regionTargetSchema = z.strictObject({
  region: z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region like ap-northeast-1')),
  profile: z.optional(z.enum(geographies)),
});

export type RegionTarget = z.infer<typeof regionTargetSchema>;

export const regionTargetsSchema = z.array(regionTargetSchema).check(z.minLength(1));

/** MangaAssist's default: stay in Japan, then Asia-Pacific, then the US. */
export const defaultRegionTargets: readonly RegionTarget[] = [
  { region: 'ap-northeast-1', profile: 'jp' },
  { region: 'ap-northeast-3', profile: 'jp' },
  { region: 'ap-northeast-1', profile: 'apac' },
  { region: 'us-east-1', profile: 'us' },
];

export interface InvocationTarget {
  readonly region: string;
  /** The id to send: `jp.anthropic.…` for a profile, the base id on demand. */
  readonly modelId: string;
  /** Where the data may be processed. */
  readonly geography: Geography;
  /** The cross-region inference profile called from `region`; absent for an on-demand call. */
  readonly profile?: Geography;
}

export interface SkippedTarget {
  readonly region: string;
  readonly profile?: Geography;
  readonly reason: 'no-profile' | 'not-on-demand' | 'geography';
}

/**
 * The targets a model can be invoked through, in the configured order, restricted to the
 * allowed geographies (undefined = no restriction), plus the targets skipped and why.
 */
export function invocationTargets(
  spec: ModelSpec,
  targets: readonly RegionTarget[],
  allowedGeographies?: readonly Geography[],
): { usable: InvocationTarget[]; skipped: SkippedTarget[] } {
  const usable: InvocationTarget[] = [];
  const skipped: SkippedTarget[] = [];
  for (const target of targets) {
    const { region, profile } = target;
    if (profile !== undefined && !spec.profiles.includes(profile)) {
      skipped.push({ region, profile, reason: 'no-profile' });
      continue;
    }
    if (profile === undefined && !spec.onDemand) {
      skipped.push({ region, reason: 'not-on-demand' });
      continue;
    }
    const geography = profile ?? geographyOfRegion(region);
    if (allowedGeographies && !isWithin(geography, allowedGeographies)) {
      skipped.push({ region, ...(profile ? { profile } : {}), reason: 'geography' });
      continue;
    }
    const modelId = profile ? `${profile}.${spec.modelId}` : spec.modelId;
    if (!usable.some((existing) => existing.region === region && existing.modelId === modelId)) {
      usable.push({ region, modelId, geography, ...(profile ? { profile } : {}) });
    }
  }
  return { usable, skipped };
}
