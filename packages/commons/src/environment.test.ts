import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ConfigurationError, configFromEnvironment, requireOutsideDev } from './environment.js';

const schema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  targets: z._default(z.array(z.object({ region: z.string() })), []),
  zones: z.optional(z.array(z.enum(['a', 'b']))),
  limit: z._default(z.coerce.number().check(z.int(), z.positive()), 10),
});

const fields = {
  name: { variable: 'APP_NAME' },
  targets: { variable: 'APP_TARGETS', format: 'json' },
  zones: { variable: 'APP_ZONES', format: 'list' },
  limit: { variable: 'APP_LIMIT' },
} as const;

describe('configFromEnvironment', () => {
  it('reads text, JSON and comma-separated lists, and leaves unset, empty and blank variables to the defaults', () => {
    expect(
      configFromEnvironment(
        schema,
        {
          APP_NAME: ' shop ',
          APP_TARGETS: '[{"region":"ap-northeast-1"}]',
          APP_ZONES: 'a, b',
          APP_LIMIT: '  ',
          OTHER: 'ignored',
        },
        fields,
      ),
    ).toEqual({ name: 'shop', targets: [{ region: 'ap-northeast-1' }], zones: ['a', 'b'], limit: 10 });
  });

  it('names every variable that is wrong, and what configuration it belongs to', () => {
    const read = () =>
      configFromEnvironment(schema, { APP_NAME: '', APP_ZONES: 'c', APP_LIMIT: '-1' }, fields, 'shop');
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/^invalid shop configuration: APP_NAME: .*; APP_ZONES: .*; APP_LIMIT: /);
    expect(() => configFromEnvironment(schema, {}, fields)).toThrow(/invalid the configuration: APP_NAME: /);
  });

  it('names a JSON variable that is not JSON', () => {
    expect(() => configFromEnvironment(schema, { APP_NAME: 'x', APP_TARGETS: '[{' }, fields)).toThrow(
      /^APP_TARGETS is not valid JSON: /,
    );
  });
});

describe('requireOutsideDev', () => {
  it('lets dev fall back to memory', () => {
    expect(() =>
      requireOutsideDev({ stage: 'dev', redisUrl: undefined }, ['redisUrl'], 'the door'),
    ).not.toThrow();
  });

  it('names, outside dev, every store the door needs and lacks', () => {
    expect(() =>
      requireOutsideDev(
        { stage: 'prod', redisUrl: undefined, table: 't', tenants: undefined },
        ['redisUrl', 'table', 'tenants'],
        'the door',
      ),
    ).toThrow(new ConfigurationError('the door needs redisUrl, tenants when the stage is prod'));
    expect(() =>
      requireOutsideDev({ stage: 'staging', redisUrl: 'redis://x' }, ['redisUrl'], 'the door'),
    ).not.toThrow();
  });
});
