/**
 * EventBridge event patterns, matched with EventBridge's semantics (Event Ruler, the library
 * behind EventBridge rules and `TestEventPattern`), for the local bus and the local
 * `TestEventPattern` endpoint.
 *
 * Semantics, from the EventBridge user guide ("Creating Amazon EventBridge event patterns",
 * "Comparison operators for use in event patterns", "Arrays in event patterns", "Matching null
 * values and empty strings") and Event Ruler where the guide is silent:
 * - keys are AND-ed; the values in a list are OR-ed; `$or` alternatives at any level;
 * - an event array matches when any element matches; conditions met inside objects of an array
 *   must all be met by the same element;
 * - strings match exactly (no case folding); `null` matches only `null`, `""` only `""`;
 * - numbers match by value within ±5.0e9 to six decimal places (300 matches 3.0e2), by value
 *   equality outside that range; `numeric` matches JSON numbers only, never numeric strings;
 * - `exists` looks at leaves: `{ "exists": false }` matches a missing field and a field holding
 *   an object or an empty array, `{ "exists": true }` any leaf including `null`;
 * - `anything-but` (with its `prefix`, `suffix`, `equals-ignore-case` and `wildcard` variants)
 *   needs a value: a missing field never matches; a value of another type than the excluded
 *   ones (a number against strings, `null`, a boolean) always does;
 * - `prefix`, `suffix`, `equals-ignore-case`, `wildcard` and `cidr` match strings only;
 * - a string value that spells an IP address matches that address however it is written.
 */
import { type EventField, type EventFields, flattenEvent } from './event-fields.js';
import { InvalidEventPatternError } from './invalid-event-pattern-error.js';
import { compilePattern, type FieldCondition, type PatternBranch } from './pattern-compiler.js';

export { InvalidEventPatternError };

/** An event pattern as JSON (`{ "source": ["mangaassist.ai"], "detail": { … } }`). */
export type EventPattern = { readonly [key: string]: unknown };

/** The outcome of `validateEventPattern`. */
export type EventPatternValidation =
  | { readonly ok: true; readonly pattern: EventPattern }
  | { readonly ok: false; readonly message: string };

/** A compiled pattern: whether it matches a parsed JSON event. */
export type EventMatcher = (event: unknown) => boolean;

/**
 * Checks `pattern` the way `PutRule` and `TestEventPattern` do. `message` reads like
 * EventBridge's `InvalidEventPatternException` ("Event pattern is not valid. Reason: …").
 * Never throws.
 */
export function validateEventPattern(pattern: unknown): EventPatternValidation {
  try {
    return { ok: true, pattern: compilePattern(pattern).pattern };
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return { ok: false, message: error.message };
    throw error;
  }
}

/**
 * Compiles `pattern` once for matching many events. Throws `InvalidEventPatternError` when
 * EventBridge would refuse the pattern.
 */
export function compileEventPattern(pattern: unknown): EventMatcher {
  const { branches } = compilePattern(pattern);
  return (event) => {
    const fields = flattenEvent(event);
    return branches.some((branch) => matchesBranch(branch, fields));
  };
}

const compiled = new WeakMap<EventPattern, EventMatcher>();

/**
 * Whether `event` (parsed JSON) matches `pattern`, as EventBridge would decide. The compiled
 * form of each pattern object is cached. Throws `InvalidEventPatternError` for an invalid
 * pattern; never throws for any event.
 *
 * @example
 * matchesEventPattern({ detail: { severity: ['high', 'critical'] } }, event)
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  let matcher = compiled.get(pattern);
  if (matcher === undefined) {
    matcher = compileEventPattern(pattern);
    compiled.set(pattern, matcher);
  }
  return matcher(event);
}

function matchesBranch(branch: PatternBranch, fields: EventFields): boolean {
  // For each condition, the fields that could satisfy it; a condition met by absence or by a
  // field in no array needs no choice.
  const choices: (readonly EventField[])[] = [];
  for (const condition of branch) {
    const present = fields.get(condition.path) ?? [];
    if (present.length === 0) {
      if (condition.matchesAbsence) continue;
      return false;
    }
    const candidates = present.filter((field) => satisfies(condition, field));
    if (candidates.length === 0) return false;
    if (candidates.some((field) => field.positions.length === 0)) continue;
    choices.push(candidates);
  }
  choices.sort((left, right) => left.length - right.length);
  return chooseConsistently(choices, 0, new Map());
}

function satisfies(condition: FieldCondition, field: EventField): boolean {
  return condition.matchers.some((matcher) => matcher(field.value));
}

/**
 * Picks one field per condition so that no two come from different elements of the same array
 * (Event Ruler's array-consistent matching).
 */
function chooseConsistently(
  choices: readonly (readonly EventField[])[],
  next: number,
  bound: ReadonlyMap<number, number>,
): boolean {
  const candidates = choices[next];
  if (candidates === undefined) return true;
  return candidates.some((field) => {
    const conflicts = field.positions.some(({ array, index }) => {
      const chosen = bound.get(array);
      return chosen !== undefined && chosen !== index;
    });
    if (conflicts) return false;
    const extended = new Map(bound);
    for (const { array, index } of field.positions) extended.set(array, index);
    return chooseConsistently(choices, next + 1, extended);
  });
}
