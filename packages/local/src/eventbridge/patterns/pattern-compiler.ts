/**
 * Compiles an EventBridge event pattern into match branches, the way Event Ruler's
 * `JsonRuleCompiler` (the matcher behind EventBridge) does: keys are AND-ed, each `$or` forks
 * every branch built so far into one branch per alternative, and a path named twice in one
 * branch keeps its last value list. Every refusal throws `InvalidEventPatternError` with Event
 * Ruler's reason text.
 */
import { refusePattern as fail, isJsonObject } from './invalid-event-pattern-error.js';
import { compileLiteral, compileOperator, type ValueMatcher } from './value-matchers.js';

/** What one path of a branch requires. */
export interface FieldCondition {
  /** Dot-joined keys, as in the flattened event (`detail.state`). */
  readonly path: string;
  /** A leaf at the path matching any of these satisfies the condition. */
  readonly matchers: readonly ValueMatcher[];
  /** `{ "exists": false }` is in the list: no leaf at the path satisfies the condition too. */
  readonly matchesAbsence: boolean;
}

/** One alternative of the pattern: every condition must hold. */
export type PatternBranch = readonly FieldCondition[];

const orKeyword = '$or';

/** Field names a `$or` alternative may not use (Event Ruler's reserved words). */
const reservedInsideOr = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

type MutableBranch = Map<string, FieldCondition>;

/** A valid pattern and its branches: it matches an event when any branch does. */
export interface CompiledPattern {
  readonly pattern: Readonly<Record<string, unknown>>;
  readonly branches: readonly PatternBranch[];
}

/** Compiles `pattern`; throws `InvalidEventPatternError` when EventBridge would refuse it. */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (!isJsonObject(pattern)) return fail('Filter is not an object');
  const branches = compileObject(pattern, '', [new Map()], false);
  return { pattern, branches: branches.map((branch) => [...branch.values()]) };
}

function compileObject(
  object: Readonly<Record<string, unknown>>,
  prefix: string,
  branches: readonly MutableBranch[],
  insideOr: boolean,
): MutableBranch[] {
  const entries = Object.entries(object);
  if (entries.length === 0) fail('Empty objects are not allowed');
  let current = [...branches];
  for (const [key, value] of entries) {
    if (key === orKeyword) {
      current = compileOr(value, prefix, current);
      continue;
    }
    if (insideOr && reservedInsideOr.has(key)) {
      fail(`${key} is Ruler reserved fieldName which cannot be used inside ${orKeyword}.`);
    }
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (Array.isArray(value)) {
      const condition = compileValueList(path, value);
      for (const branch of current) branch.set(path, condition);
    } else if (isJsonObject(value)) {
      current = compileObject(value, path, current, insideOr);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
  return current;
}

function compileOr(value: unknown, prefix: string, branches: readonly MutableBranch[]): MutableBranch[] {
  if (!Array.isArray(value)) fail(`It must be an Array followed with ${orKeyword}.`);
  const forked: MutableBranch[] = [];
  for (const alternative of value) {
    if (!isJsonObject(alternative))
      fail(`Only JSON object is allowed in array of ${orKeyword} relationship.`);
    const copies = branches.map((branch) => new Map(branch));
    forked.push(...compileObject(alternative, prefix, copies, true));
  }
  if (value.length < 2) fail(`There must have at least 2 Objects in ${orKeyword} relationship.`);
  return forked;
}

function compileValueList(path: string, values: readonly unknown[]): FieldCondition {
  if (values.length === 0) fail('Empty arrays are not allowed');
  const matchers: ValueMatcher[] = [];
  let matchesAbsence = false;
  for (const value of values) {
    if (isJsonObject(value)) {
      const compiled = compileOperator(value);
      if (compiled === 'absent') matchesAbsence = true;
      else matchers.push(compiled);
    } else {
      matchers.push(compileLiteral(value));
    }
  }
  return { path, matchers, matchesAbsence };
}
