import { describe, expect, it } from 'vitest';
import {
  defaultRegionTargets,
  invocationTargets,
  type RegionTarget,
  regionTargetsSchema,
} from './invocation-targets.js';
import type { ModelSpec } from './model-catalog.js';

const baseId = 'anthropic.claude-haiku-4-5-20251001-v1:0';

function modelSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    modelId: baseId,
    displayName: 'Claude Haiku 4.5',
    inputPer1M: 1,
    outputPer1M: 5,
    maxTokens: 4096,
    temperature: 0.2,
    timeoutMs: 10_000,
    onDemand: false,
    profiles: ['us', 'apac', 'jp'],
    promptCaching: true,
    api: 'converse',
    ...overrides,
  };
}

describe('invocationTargets', () => {
  it('calls a profile by its geography prefix and the base id', () => {
    const { usable, skipped } = invocationTargets(modelSpec(), defaultRegionTargets);

    expect(usable).toEqual([
      { region: 'ap-northeast-1', modelId: `jp.${baseId}`, geography: 'jp', profile: 'jp' },
      { region: 'ap-northeast-3', modelId: `jp.${baseId}`, geography: 'jp', profile: 'jp' },
      { region: 'ap-northeast-1', modelId: `apac.${baseId}`, geography: 'apac', profile: 'apac' },
      { region: 'us-east-1', modelId: `us.${baseId}`, geography: 'us', profile: 'us' },
    ]);
    expect(skipped).toEqual([]);
  });

  it('skips the Japan targets of a model without a jp profile', () => {
    const { usable, skipped } = invocationTargets(
      modelSpec({ profiles: ['us', 'apac'] }),
      defaultRegionTargets,
    );

    expect(usable.map((target) => target.modelId)).toEqual([`apac.${baseId}`, `us.${baseId}`]);
    expect(skipped).toEqual([
      { region: 'ap-northeast-1', profile: 'jp', reason: 'no-profile' },
      { region: 'ap-northeast-3', profile: 'jp', reason: 'no-profile' },
    ]);
  });

  it('calls an on-demand model by its base id in the region, in the region geography', () => {
    const { usable } = invocationTargets(modelSpec({ onDemand: true }), [{ region: 'ap-northeast-1' }]);

    expect(usable).toEqual([{ region: 'ap-northeast-1', modelId: baseId, geography: 'jp' }]);
  });

  it('skips an on-demand target for a model that needs an inference profile', () => {
    const { usable, skipped } = invocationTargets(modelSpec({ onDemand: false }), [
      { region: 'ap-northeast-1' },
      { region: 'ap-northeast-1', profile: 'jp' },
    ]);

    expect(usable.map((target) => target.modelId)).toEqual([`jp.${baseId}`]);
    expect(skipped).toEqual([{ region: 'ap-northeast-1', reason: 'not-on-demand' }]);
  });

  it('drops targets outside the allowed geographies and keeps the ones inside', () => {
    const { usable, skipped } = invocationTargets(modelSpec(), defaultRegionTargets, ['jp', 'apac']);

    expect(usable.map((target) => target.geography)).toEqual(['jp', 'jp', 'apac']);
    expect(skipped).toEqual([{ region: 'us-east-1', profile: 'us', reason: 'geography' }]);
  });

  it('judges an on-demand target by the geography of its region', () => {
    const targets: RegionTarget[] = [{ region: 'us-west-2' }, { region: 'ap-northeast-1' }];

    const { usable, skipped } = invocationTargets(modelSpec({ onDemand: true }), targets, ['apac']);

    expect(usable).toEqual([{ region: 'ap-northeast-1', modelId: baseId, geography: 'jp' }]);
    expect(skipped).toEqual([{ region: 'us-west-2', reason: 'geography' }]);
  });

  it('keeps a Japan profile when only Asia-Pacific is allowed, and drops a global one', () => {
    const spec = modelSpec({ profiles: ['jp', 'global'] });
    const targets: RegionTarget[] = [
      { region: 'ap-northeast-1', profile: 'global' },
      { region: 'ap-northeast-1', profile: 'jp' },
    ];

    const { usable, skipped } = invocationTargets(spec, targets, ['apac']);

    expect(usable.map((target) => target.modelId)).toEqual([`jp.${baseId}`]);
    expect(skipped).toEqual([{ region: 'ap-northeast-1', profile: 'global', reason: 'geography' }]);
  });

  it('allows every geography when no restriction is given', () => {
    const { usable } = invocationTargets(modelSpec({ profiles: ['global'] }), [
      { region: 'us-east-1', profile: 'global' },
    ]);

    expect(usable).toEqual([
      { region: 'us-east-1', modelId: `global.${baseId}`, geography: 'global', profile: 'global' },
    ]);
  });

  it('collapses duplicate targets into the first one, in the configured order', () => {
    const targets: RegionTarget[] = [
      { region: 'us-east-1', profile: 'us' },
      { region: 'ap-northeast-1', profile: 'jp' },
      { region: 'us-east-1', profile: 'us' },
      { region: 'ap-northeast-1', profile: 'apac' },
      { region: 'ap-northeast-1', profile: 'jp' },
    ];

    const { usable } = invocationTargets(modelSpec(), targets);

    expect(usable.map((target) => `${target.region} ${target.modelId}`)).toEqual([
      `us-east-1 us.${baseId}`,
      `ap-northeast-1 jp.${baseId}`,
      `ap-northeast-1 apac.${baseId}`,
    ]);
  });

  it('returns nothing usable when every target is skipped', () => {
    const { usable, skipped } = invocationTargets(modelSpec({ profiles: [], onDemand: true }), [
      { region: 'us-east-1', profile: 'us' },
    ]);

    expect(usable).toEqual([]);
    expect(skipped).toHaveLength(1);
  });
});

describe('regionTargetsSchema', () => {
  it('accepts the default targets', () => {
    expect(regionTargetsSchema.parse(defaultRegionTargets)).toEqual(defaultRegionTargets);
  });

  it('rejects an empty list, a malformed region and an unknown profile', () => {
    expect(regionTargetsSchema.safeParse([]).success).toBe(false);
    expect(regionTargetsSchema.safeParse([{ region: 'tokyo' }]).success).toBe(false);
    expect(regionTargetsSchema.safeParse([{ region: 'ap-northeast-1', profile: 'asia' }]).success).toBe(
      false,
    );
  });
});
