/**
 * String comparisons of EventBridge's pattern operators: case-insensitive equality, prefix and
 * suffix (each character equal, or equal once both are lower- or upper-cased, the way Event
 * Ruler folds case character by character), and `wildcard` (`*` for any run of characters,
 * `\*` for an asterisk, `\\` for a backslash).
 */

/** Why a `wildcard` value is refused; the text mirrors Event Ruler's `WildcardParser`. */
export class WildcardSyntaxError extends Error {
  override readonly name = 'WildcardSyntaxError';
}

/** A parsed `wildcard` value: the literal runs between its wildcards. */
export interface WildcardPattern {
  /** Literal text; a wildcard stands between each two entries. */
  readonly literals: readonly string[];
}

/**
 * Parses a `wildcard` value. Throws `WildcardSyntaxError` for two consecutive wildcards or a
 * backslash that escapes anything but `*` or `\` (or ends the value).
 */
export function parseWildcard(text: string): WildcardPattern {
  const literals: string[] = [];
  let current = '';
  let previousWasWildcard = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '*') {
      if (previousWasWildcard)
        throw new WildcardSyntaxError(`Consecutive wildcard characters at pos ${index}`);
      literals.push(current);
      current = '';
      previousWasWildcard = true;
      continue;
    }
    previousWasWildcard = false;
    if (character === '\\') {
      const escaped = text[index + 1];
      if (escaped !== '*' && escaped !== '\\')
        throw new WildcardSyntaxError(`Invalid escape character at pos ${index}`);
      current += escaped;
      index++;
      continue;
    }
    current += character;
  }
  literals.push(current);
  return { literals };
}

/** Whether `value` matches the parsed wildcard pattern as a whole. */
export function matchesWildcard(pattern: WildcardPattern, value: string): boolean {
  const { literals } = pattern;
  const first = literals[0] ?? '';
  if (literals.length === 1) return value === first;
  const last = literals[literals.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (const literal of literals.slice(1, -1)) {
    const found = value.indexOf(literal, position);
    if (found < 0 || found + literal.length > end) return false;
    position = found + literal.length;
  }
  return true;
}

/** Whether two strings are equal ignoring case. */
export function equalsIgnoringCase(left: string, right: string): boolean {
  const leftCharacters = Array.from(left);
  const rightCharacters = Array.from(right);
  return (
    leftCharacters.length === rightCharacters.length &&
    leftCharacters.every((character, index) => sameCharacterIgnoringCase(character, rightCharacters[index]))
  );
}

/** Whether `value` starts with `prefix`, ignoring case. */
export function startsWithIgnoringCase(value: string, prefix: string): boolean {
  const valueCharacters = Array.from(value);
  const prefixCharacters = Array.from(prefix);
  return (
    valueCharacters.length >= prefixCharacters.length &&
    prefixCharacters.every((character, index) => sameCharacterIgnoringCase(character, valueCharacters[index]))
  );
}

/** Whether `value` ends with `suffix`, ignoring case. */
export function endsWithIgnoringCase(value: string, suffix: string): boolean {
  const valueCharacters = Array.from(value);
  const suffixCharacters = Array.from(suffix);
  const offset = valueCharacters.length - suffixCharacters.length;
  return (
    offset >= 0 &&
    suffixCharacters.every((character, index) =>
      sameCharacterIgnoringCase(character, valueCharacters[offset + index]),
    )
  );
}

function sameCharacterIgnoringCase(left: string, right: string | undefined): boolean {
  if (right === undefined) return false;
  return (
    left === right || left.toLowerCase() === right.toLowerCase() || left.toUpperCase() === right.toUpperCase()
  );
}
