import { type EventRule, eventRule, eventRules } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import {
  type CompiledTarget,
  compileLocalRules,
  type LocalTargets,
  NonRetryableTargetError,
  ruleArn,
  targetInput,
} from './local-rules.js';
import { InvalidEventPatternError } from './patterns/event-pattern.js';
import { InvalidInputTransformerError } from './patterns/input-transformer.js';

const noop = async () => {};

/** A local target for every handler and API destination the contract rules name. */
function everyTarget(): LocalTargets {
  const names = eventRules.flatMap((rule) => rule.targets.map((target) => target.handler ?? target.id));
  return Object.fromEntries(names.map((name) => [name, noop]));
}

function patternRule(overrides: Partial<EventRule> = {}): EventRule {
  return {
    name: 'test-rule',
    description: 'test',
    eventPattern: { source: ['test'] },
    targets: [
      {
        id: 'echo',
        kind: 'lambda',
        handler: 'fm-trigger',
        retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 0 },
      },
    ],
    ...overrides,
  };
}

function catalogEvent(title: unknown) {
  return {
    id: 'e-1',
    source: 'mangaassist.catalog',
    'detail-type': 'CatalogUpdate.new_release',
    detail: { product_id: 'manga-1', title },
  };
}

const transformContext = {
  ruleName: 'catalog-updates',
  ruleArn: 'arn:aws:events:ap-northeast-1:000000000000:rule/bus/catalog-updates',
  ingestionTime: new Date('2026-01-31T09:00:00Z'),
};

function compiledTarget(overrides: Partial<CompiledTarget>): CompiledTarget {
  return {
    id: 'target',
    key: 'target',
    kind: 'lambda',
    invoke: noop,
    retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 0 },
    ...overrides,
  };
}

describe('compileLocalRules', () => {
  it('compiles every contract rule: patterns to matchers, the schedule kept as written', () => {
    const compiled = compileLocalRules(eventRules, everyTarget(), 'bus');

    expect(compiled.map((rule) => rule.name)).toEqual(eventRules.map((rule) => rule.name));
    const schedule = compiled.find((rule) => rule.name === 'recommendation-schedule');
    expect(schedule).toMatchObject({ schedule: 'rate(6 hours)', eventBusName: 'bus' });
    expect(schedule?.matches).toBeUndefined();
    const moderation = compiled.find((rule) => rule.name === 'moderation-high-severity');
    expect(
      moderation?.matches?.({
        source: 'mangaassist.ai',
        'detail-type': 'ModerationFlagged',
        detail: { severity: 'high' },
      }),
    ).toBe(true);
  });

  it('wires a Lambda target by its handler and an API destination by its id', () => {
    const targets = everyTarget();
    const [alert] =
      compileLocalRules([eventRule('moderation-critical-notification')], targets)[0]?.targets ?? [];
    expect(alert?.invoke).toBe(targets['moderation-alert-webhook']);
  });

  it('refuses a target with no local target to run', () => {
    const { 'fm-trigger': _missing, ...targets } = everyTarget();
    expect(() => compileLocalRules(eventRules, targets)).toThrow(
      'no local target "fm-trigger" for target fm-trigger of rule payments-and-reviews',
    );
  });

  it('refuses a pattern EventBridge would refuse', () => {
    expect(() =>
      compileLocalRules([patternRule({ eventPattern: { source: 'test' } })], everyTarget()),
    ).toThrow(InvalidEventPatternError);
  });

  it('refuses an input transformer EventBridge would refuse', () => {
    const [target] = patternRule().targets;
    const rule = patternRule({
      targets: [
        {
          ...(target ?? {
            id: 'x',
            kind: 'lambda',
            retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 0 },
          }),
          inputTransformer: { inputPathsMap: {}, inputTemplate: '{"a": <undefined>}' },
        },
      ],
    });
    expect(() => compileLocalRules([rule], everyTarget())).toThrow(InvalidInputTransformerError);
  });

  it('refuses a rule with both a pattern and a schedule, or neither', () => {
    expect(() => compileLocalRules([patternRule({ schedule: 'rate(6 hours)' })], everyTarget())).toThrow(
      /either an event pattern or a schedule/,
    );
    const { eventPattern: _pattern, ...neither } = patternRule();
    expect(() => compileLocalRules([neither], everyTarget())).toThrow(
      /either an event pattern or a schedule/,
    );
  });
});

describe('targetInput', () => {
  const [embedding] = compileLocalRules([eventRule('catalog-updates')], everyTarget())[0]?.targets ?? [];

  it('gives a target without a transformer the event itself', () => {
    const event = catalogEvent('x');
    expect(targetInput(compiledTarget({}), event, transformContext)).toBe(event);
  });

  it('gives a transformed Lambda target the parsed JSON, quotes and backslashes intact', () => {
    const title = 'ワンピース "特装版" \\ 第107巻';
    expect(embedding && targetInput(embedding, catalogEvent(title), transformContext)).toEqual({
      action: 'regenerate',
      product_id: 'manga-1',
      title,
    });
  });

  it('fails a Lambda target whose transformed input is not JSON, for good', () => {
    const target = compiledTarget({
      inputTransformer: { inputPathsMap: { title: '$.detail.title' }, inputTemplate: '{"title":"<title>"}' },
    });
    expect(() => targetInput(target, catalogEvent('say "hi"'), transformContext)).toThrow(
      NonRetryableTargetError,
    );
  });

  it('gives an API destination the text when the transformed input is not JSON', () => {
    const target = compiledTarget({
      kind: 'api-destination',
      inputTransformer: { inputPathsMap: { title: '$.detail.title' }, inputTemplate: 'New: <title>' },
    });
    expect(targetInput(target, catalogEvent('呪術廻戦'), transformContext)).toBe('New: 呪術廻戦');
  });
});

describe('ruleArn', () => {
  it('names the bus in the ARN of a rule on a custom bus, and not on the default bus', () => {
    const base = { region: 'ap-northeast-1', account: '123456789012', ruleName: 'r' };
    expect(ruleArn({ ...base, eventBusName: 'default' })).toBe(
      'arn:aws:events:ap-northeast-1:123456789012:rule/r',
    );
    expect(ruleArn({ ...base, eventBusName: 'ai' })).toBe(
      'arn:aws:events:ap-northeast-1:123456789012:rule/ai/r',
    );
  });
});
