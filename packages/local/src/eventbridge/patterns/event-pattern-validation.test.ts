import { eventRules } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern, validateEventPattern } from './event-pattern.js';

interface RefusalCase {
  readonly behaviour: string;
  readonly pattern: unknown;
  readonly reason: string;
}

/** A pattern putting `values` under `detail.field`. */
function onField(values: unknown): Record<string, unknown> {
  return { detail: { field: values } };
}

function operator(name: string, operand: unknown): Record<string, unknown> {
  return onField([{ [name]: operand }]);
}

describe('validateEventPattern', () => {
  it('accepts a valid pattern and hands it back', () => {
    const pattern = { source: ['mangaassist.ai'], detail: { severity: ['high', 'critical'] } };
    expect(validateEventPattern(pattern)).toEqual({ ok: true, pattern });
  });

  it('accepts every pattern of the MangaAssist bus defined in contracts', () => {
    const patterns = eventRules.flatMap((rule) =>
      rule.eventPattern === undefined ? [] : [rule.eventPattern],
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(validateEventPattern(pattern)).toMatchObject({ ok: true });
  });

  it('accepts every operator in its documented form', () => {
    const pattern = {
      a: ['x', 1, true, null],
      b: [{ prefix: 'us-' }, { prefix: { 'equals-ignore-case': 'eu-' } }],
      c: [{ suffix: '.png' }, { suffix: { 'equals-ignore-case': '.jpg' } }],
      d: [{ 'anything-but': 'x' }, { 'anything-but': [1, 2] }, { 'anything-but': { prefix: ['a', 'b'] } }],
      e: [{ 'anything-but': { suffix: '.tmp' } }, { 'anything-but': { 'equals-ignore-case': ['X'] } }],
      f: [{ 'anything-but': { wildcard: '*/lib/*' } }, { numeric: ['>=', 0, '<', 5] }, { numeric: ['=', 1] }],
      g: [
        { exists: true },
        { cidr: '10.0.0.0/24' },
        { cidr: '2001:db8::/32' },
        { 'equals-ignore-case': 'a' },
      ],
      h: [{ wildcard: 'dir/*.png' }],
      $or: [{ i: ['1'] }, { j: { k: ['2'] } }],
    };
    expect(validateEventPattern(pattern)).toMatchObject({ ok: true });
  });

  const refusals: readonly RefusalCase[] = [
    {
      behaviour: 'refuses a pattern that is a string',
      pattern: 'aws.ec2',
      reason: 'Filter is not an object',
    },
    {
      behaviour: 'refuses a pattern that is an array',
      pattern: [{ source: ['x'] }],
      reason: 'Filter is not an object',
    },
    { behaviour: 'refuses a null pattern', pattern: null, reason: 'Filter is not an object' },
    { behaviour: 'refuses an empty pattern', pattern: {}, reason: 'Empty objects are not allowed' },
    {
      behaviour: 'refuses an empty nested object',
      pattern: { detail: {} },
      reason: 'Empty objects are not allowed',
    },
    {
      behaviour: 'refuses a field whose value is not a list',
      pattern: { source: 'aws.ec2' },
      reason: '"source" must be an object or an array',
    },
    { behaviour: 'refuses an empty list', pattern: { source: [] }, reason: 'Empty arrays are not allowed' },
    {
      behaviour: 'refuses a list inside a list',
      pattern: onField([['x']]),
      reason: 'Match value must be String, number, true, false, or null',
    },
    {
      behaviour: 'refuses an empty match expression',
      pattern: onField([{}]),
      reason: 'Match expression name not found',
    },
    {
      behaviour: 'refuses a match expression with two operators',
      pattern: onField([{ prefix: 'a', suffix: 'b' }]),
      reason: 'Only one key allowed in match expression',
    },
    {
      behaviour: 'refuses an unknown operator',
      pattern: operator('regex', 'a.*'),
      reason: 'Unrecognized match type regex',
    },
    {
      behaviour: 'refuses a prefix that is not a string',
      pattern: operator('prefix', 1),
      reason: 'prefix match pattern must be a string',
    },
    {
      behaviour: 'refuses a prefix option other than equals-ignore-case',
      pattern: operator('prefix', { wildcard: 'a' }),
      reason: 'Unsupported prefix pattern: wildcard',
    },
    {
      behaviour: 'refuses a suffix that is not a string',
      pattern: operator('suffix', ['.png']),
      reason: 'suffix match pattern must be a string',
    },
    {
      behaviour: 'refuses equals-ignore-case with a number',
      pattern: operator('equals-ignore-case', 5),
      reason: 'equals-ignore-case match pattern must be a string',
    },
    {
      behaviour: 'refuses a numeric operand that is not a list',
      pattern: operator('numeric', '>'),
      reason: 'Value of numeric must be an array.',
    },
    {
      behaviour: 'refuses a numeric comparison with a string value',
      pattern: operator('numeric', ['=', '5']),
      reason: 'Value of equals must be numeric',
    },
    {
      behaviour: 'refuses an unknown numeric operator',
      pattern: operator('numeric', ['~', 5]),
      reason: 'Unrecognized numeric range operator: ~',
    },
    {
      behaviour: 'refuses a range whose upper operator is not < or <=',
      pattern: operator('numeric', ['>', 0, '>', 5]),
      reason: 'Bad numeric range operator: >',
    },
    {
      behaviour: 'refuses a range written upper bound first',
      pattern: operator('numeric', ['<', 10, '>', 0]),
      reason: 'Too many elements in numeric expression',
    },
    {
      behaviour: 'refuses a range whose bottom is not below its top',
      pattern: operator('numeric', ['>', 5, '<', 5]),
      reason: 'Bottom must be less than top',
    },
    {
      behaviour: 'refuses a numeric operand beyond 5.0e9',
      pattern: operator('numeric', ['<', 6e9]),
      reason: 'Value must be between -5.0E9 and 5.0E9, inclusive',
    },
    {
      behaviour: 'refuses a range with too many terms',
      pattern: operator('numeric', ['>', 0, '<', 5, 6]),
      reason: 'Too many terms in numeric range expression',
    },
    {
      behaviour: 'refuses exists with a string',
      pattern: operator('exists', 'true'),
      reason: 'exists match pattern must be either true or false.',
    },
    {
      behaviour: 'refuses anything-but null',
      pattern: operator('anything-but', null),
      reason: 'Value of anything-but must be an array or single string/number value.',
    },
    {
      behaviour: 'refuses anything-but mixing strings and numbers',
      pattern: operator('anything-but', ['a', 1]),
      reason: 'Inside anything but list, either all values are number or string, mixed type is not supported',
    },
    {
      behaviour: 'refuses anything-but with an empty list',
      pattern: operator('anything-but', []),
      reason: 'Inside anything but list, either all values are number or string, mixed type is not supported',
    },
    {
      behaviour: 'refuses anything-but listing null',
      pattern: operator('anything-but', ['a', null]),
      reason: 'Inside anything but list, start|null|boolean is not supported.',
    },
    {
      behaviour: 'refuses anything-but with an empty prefix',
      pattern: operator('anything-but', { prefix: '' }),
      reason: 'Null prefix/suffix not allowed',
    },
    {
      behaviour: 'refuses an anything-but variant it does not know',
      pattern: operator('anything-but', { numeric: ['>', 1] }),
      reason: 'Unsupported anything-but pattern: numeric',
    },
    {
      behaviour: 'refuses anything-but equals-ignore-case with a number',
      pattern: operator('anything-but', { 'equals-ignore-case': [1] }),
      reason: 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    },
    {
      behaviour: 'refuses anything-but wildcard with consecutive wildcards',
      pattern: operator('anything-but', { wildcard: 'a**' }),
      reason: 'Consecutive wildcard characters at pos 2',
    },
    {
      behaviour: 'refuses a wildcard escaping a letter',
      pattern: operator('wildcard', 'a\\b'),
      reason: 'Invalid escape character at pos 1',
    },
    {
      behaviour: 'refuses a CIDR without a mask',
      pattern: operator('cidr', '10.0.0.0'),
      reason: "Malformed CIDR, one '/' required",
    },
    {
      behaviour: 'refuses a CIDR whose mask is not a number',
      pattern: operator('cidr', '10.0.0.0/x'),
      reason: 'Malformed CIDR, mask bits must be an integer',
    },
    {
      behaviour: 'refuses an IPv4 CIDR of 32 bits, as Event Ruler does',
      pattern: operator('cidr', '10.0.0.1/32'),
      reason: 'IPv4 mask bits must be < 32',
    },
    {
      behaviour: 'refuses a CIDR whose address is not one',
      pattern: operator('cidr', '10.0.0/8'),
      reason: 'Invalid IP address: 10.0.0',
    },
    {
      behaviour: 'refuses $or that is not a list',
      pattern: { $or: { a: ['x'] } },
      reason: 'It must be an Array followed with $or.',
    },
    {
      behaviour: 'refuses $or with one alternative',
      pattern: { $or: [{ a: ['x'] }] },
      reason: 'There must have at least 2 Objects in $or relationship.',
    },
    {
      behaviour: 'refuses $or alternatives that are not objects',
      pattern: { $or: [['a'], ['b']] },
      reason: 'Only JSON object is allowed in array of $or relationship.',
    },
    {
      behaviour: 'refuses an operator name used as a field inside $or',
      pattern: { $or: [{ numeric: [123] }, { prefix: ['abc'] }] },
      reason: 'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    },
  ];

  it.each(refusals)('$behaviour', ({ pattern, reason }) => {
    expect(validateEventPattern(pattern)).toEqual({
      ok: false,
      message: `Event pattern is not valid. Reason: ${reason}`,
    });
  });
});

describe('matchesEventPattern', () => {
  it('throws InvalidEventPatternError, coded as EventBridge codes it, for an invalid pattern', () => {
    const attempt = () => matchesEventPattern({ source: 'aws.ec2' }, { source: 'aws.ec2' });
    expect(attempt).toThrow(InvalidEventPatternError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'InvalidEventPatternException' }));
  });
});
