/**
 * The values of a pattern's lists compiled into tests of one leaf of the event: literals
 * (strings, numbers, booleans, `null`) and the comparison operators of "Comparison operators for
 * use in event patterns in Amazon EventBridge" (`prefix`, `suffix`, `equals-ignore-case`,
 * `wildcard`, `anything-but` and its variants, `numeric`, `exists`, `cidr`), with Event Ruler's
 * refusals (`JsonRuleCompiler.java`).
 */
import { numericRangeMessage, toMicros } from './comparable-number.js';
import type { JsonLeaf } from './event-fields.js';
import { refusePattern as fail, isJsonObject } from './invalid-event-pattern-error.js';
import { CidrSyntaxError, isInRange, isSameAddress, parseCidr, parseIpAddress } from './ip-address.js';
import {
  endsWithIgnoringCase,
  equalsIgnoringCase,
  matchesWildcard,
  parseWildcard,
  startsWithIgnoringCase,
  type WildcardPattern,
  WildcardSyntaxError,
} from './text-matching.js';

/** Whether a leaf of the event satisfies one value of a pattern's list. */
export type ValueMatcher = (value: JsonLeaf) => boolean;

/** The test for a literal value of a list. */
export function compileLiteral(value: unknown): ValueMatcher {
  if (typeof value === 'string') {
    // Event Ruler matches a string that spells an IP address as that address, however written.
    const address = parseIpAddress(value);
    if (address === undefined) return (leaf) => leaf === value;
    return (leaf) => {
      if (typeof leaf !== 'string') return false;
      const candidate = parseIpAddress(leaf);
      return candidate !== undefined && isSameAddress(candidate, address);
    };
  }
  if (typeof value === 'number') {
    // Both the number's value (within ±5e9, to six decimals) and its literal form match.
    const micros = toMicros(value);
    return (leaf) => {
      if (typeof leaf !== 'number') return false;
      if (leaf === value) return true;
      return micros !== undefined && toMicros(leaf) === micros;
    };
  }
  if (value === null || typeof value === 'boolean') return (leaf) => leaf === value;
  return fail('Match value must be String, number, true, false, or null');
}

/**
 * The test for an operator object of a list (`{ "prefix": "us-" }`); `'absent'` for
 * `{ "exists": false }`, which no leaf satisfies.
 */
export function compileOperator(expression: Readonly<Record<string, unknown>>): ValueMatcher | 'absent' {
  const entries = Object.entries(expression);
  const [first] = entries;
  if (first === undefined) return fail('Match expression name not found');
  if (entries.length > 1) fail('Only one key allowed in match expression');
  const [operator, operand] = first;
  switch (operator) {
    case 'prefix':
      return compileAffix(operand, 'prefix');
    case 'suffix':
      return compileAffix(operand, 'suffix');
    case 'equals-ignore-case': {
      const text = requireString(operand, 'equals-ignore-case match pattern must be a string');
      return (leaf) => typeof leaf === 'string' && equalsIgnoringCase(leaf, text);
    }
    case 'wildcard': {
      const wildcard = compileWildcard(operand);
      return (leaf) => typeof leaf === 'string' && matchesWildcard(wildcard, leaf);
    }
    case 'numeric':
      return compileNumeric(operand);
    case 'anything-but':
      return compileAnythingBut(operand);
    case 'exists':
      if (operand === true) return () => true;
      if (operand === false) return 'absent';
      return fail('exists match pattern must be either true or false.');
    case 'cidr': {
      const range = compileCidr(operand);
      return (leaf) => {
        if (typeof leaf !== 'string') return false;
        const address = parseIpAddress(leaf);
        return address !== undefined && isInRange(address, range);
      };
    }
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
}

function compileAffix(operand: unknown, kind: 'prefix' | 'suffix'): ValueMatcher {
  if (isJsonObject(operand)) {
    const entries = Object.entries(operand);
    const [first] = entries;
    const label = kind === 'prefix' ? 'Prefix' : 'Suffix';
    if (first === undefined) return fail(`${label} expression name not found`);
    const [option, text] = first;
    if (option !== 'equals-ignore-case') fail(`Unsupported ${kind} pattern: ${option}`);
    const affix = requireString(text, 'equals-ignore-case match pattern must be a string');
    if (entries.length > 1) fail('Only one key allowed in match expression');
    return kind === 'prefix'
      ? (leaf) => typeof leaf === 'string' && startsWithIgnoringCase(leaf, affix)
      : (leaf) => typeof leaf === 'string' && endsWithIgnoringCase(leaf, affix);
  }
  const affix = requireString(operand, `${kind} match pattern must be a string`);
  return kind === 'prefix'
    ? (leaf) => typeof leaf === 'string' && leaf.startsWith(affix)
    : (leaf) => typeof leaf === 'string' && leaf.endsWith(affix);
}

function compileWildcard(operand: unknown): WildcardPattern {
  const text = requireString(operand, 'wildcard match pattern must be a string');
  try {
    return parseWildcard(text);
  } catch (error) {
    if (error instanceof WildcardSyntaxError) return fail(error.message);
    throw error;
  }
}

function compileCidr(operand: unknown) {
  const text = requireString(operand, 'cidr match pattern must be a string');
  try {
    return parseCidr(text);
  } catch (error) {
    if (error instanceof CidrSyntaxError) return fail(error.message);
    throw error;
  }
}

interface Bound {
  readonly micros: bigint;
  readonly open: boolean;
}

function compileNumeric(operand: unknown): ValueMatcher {
  if (!Array.isArray(operand)) return fail('Value of numeric must be an array.');
  const [operator, value, secondOperator, secondValue] = operand;
  if (typeof operator !== 'string') return fail(`Invalid member in numeric match: ${describe(operator)}`);
  const operandOf = (candidate: unknown, label: string): bigint => {
    if (typeof candidate !== 'number') return fail(`Value of ${label} must be numeric`);
    const micros = toMicros(candidate);
    return micros ?? fail(numericRangeMessage);
  };
  switch (operator) {
    case '=': {
      const micros = operandOf(value, 'equals');
      if (operand.length > 2) fail('Too many elements in numeric expression');
      return numericMatcher({ micros, open: false }, { micros, open: false });
    }
    case '<':
    case '<=': {
      const top = operandOf(value, operator);
      if (operand.length > 2) fail('Too many elements in numeric expression');
      return numericMatcher(undefined, { micros: top, open: operator === '<' });
    }
    case '>':
    case '>=': {
      const bottom = { micros: operandOf(value, operator), open: operator === '>' };
      if (operand.length === 2) return numericMatcher(bottom, undefined);
      if (typeof secondOperator !== 'string')
        return fail(`Bad value in numeric range: ${describe(secondOperator)}`);
      if (secondOperator !== '<' && secondOperator !== '<=')
        fail(`Bad numeric range operator: ${secondOperator}`);
      const top = { micros: operandOf(secondValue, secondOperator), open: secondOperator === '<' };
      if (operand.length > 4) fail('Too many terms in numeric range expression');
      if (bottom.micros >= top.micros) fail('Bottom must be less than top');
      return numericMatcher(bottom, top);
    }
    default:
      return fail(`Unrecognized numeric range operator: ${operator}`);
  }
}

function numericMatcher(bottom: Bound | undefined, top: Bound | undefined): ValueMatcher {
  return (leaf) => {
    if (typeof leaf !== 'number') return false;
    const micros = toMicros(leaf);
    if (micros === undefined) return false;
    if (bottom !== undefined && (bottom.open ? micros <= bottom.micros : micros < bottom.micros))
      return false;
    if (top !== undefined && (top.open ? micros >= top.micros : micros > top.micros)) return false;
    return true;
  };
}

type StringTest = (leaf: string) => boolean;

function compileAnythingBut(operand: unknown): ValueMatcher {
  // Anything-but needs a value to compare: an absent field never matches it. A value of another
  // type than the excluded ones (a number against strings, null, a boolean) always matches.
  if (isJsonObject(operand)) return excludingStrings(compileAnythingButVariant(operand));
  if (typeof operand === 'string') return excludingStrings((leaf) => leaf === operand);
  if (typeof operand === 'number') return excludingNumbers([operand]);
  if (!Array.isArray(operand)) {
    return fail('Value of anything-but must be an array or single string/number value.');
  }
  const strings = operand.filter((value): value is string => typeof value === 'string');
  const numbers = operand.filter((value): value is number => typeof value === 'number');
  if (strings.length + numbers.length !== operand.length) {
    fail('Inside anything but list, start|null|boolean is not supported.');
  }
  if (strings.length > 0 === numbers.length > 0) {
    fail('Inside anything but list, either all values are number or string, mixed type is not supported');
  }
  if (numbers.length > 0) return excludingNumbers(numbers);
  const excluded = new Set(strings);
  return excludingStrings((leaf) => excluded.has(leaf));
}

function compileAnythingButVariant(expression: Readonly<Record<string, unknown>>): StringTest {
  const entries = Object.entries(expression);
  const [first] = entries;
  if (first === undefined) return fail('Anything-But expression name not found');
  const [variant, operand] = first;
  const typeMessage: Record<string, string> = {
    'equals-ignore-case':
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    prefix: 'prefix/suffix match pattern must be a string',
    suffix: 'prefix/suffix match pattern must be a string',
    wildcard: 'wildcard match pattern must be a string',
  };
  const message = typeMessage[variant];
  if (message === undefined) return fail(`Unsupported anything-but pattern: ${variant}`);
  if (!Array.isArray(operand) && typeof operand !== 'string') {
    if (typeof operand === 'number') fail(message);
    fail('Value of anything-but must be an array or single string/number value.');
  }
  const values = (Array.isArray(operand) ? operand : [operand]).map((value) => requireString(value, message));
  if (entries.length > 1) fail('Only one key allowed in match expression');
  if ((variant === 'prefix' || variant === 'suffix') && values.some((value) => value === '')) {
    fail('Null prefix/suffix not allowed');
  }
  switch (variant) {
    case 'prefix':
      return (leaf) => values.some((value) => leaf.startsWith(value));
    case 'suffix':
      return (leaf) => values.some((value) => leaf.endsWith(value));
    case 'wildcard': {
      const wildcards = values.map((value) => compileWildcard(value));
      return (leaf) => wildcards.some((wildcard) => matchesWildcard(wildcard, leaf));
    }
    default:
      return (leaf) => values.some((value) => equalsIgnoringCase(leaf, value));
  }
}

function excludingStrings(isExcluded: StringTest): ValueMatcher {
  return (leaf) => !(typeof leaf === 'string' && isExcluded(leaf));
}

function excludingNumbers(numbers: readonly number[]): ValueMatcher {
  const excluded = new Set(numbers.map((value) => toMicros(value) ?? fail(numericRangeMessage)));
  return (leaf) => {
    if (typeof leaf !== 'number') return true;
    const micros = toMicros(leaf);
    return micros === undefined || !excluded.has(micros);
  };
}

function requireString(value: unknown, message: string): string {
  return typeof value === 'string' ? value : fail(message);
}

function describe(value: unknown): string {
  return value === undefined ? ']' : JSON.stringify(value);
}
