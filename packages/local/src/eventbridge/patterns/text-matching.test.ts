import { describe, expect, it } from 'vitest';
import {
  endsWithIgnoringCase,
  equalsIgnoringCase,
  matchesWildcard,
  parseWildcard,
  startsWithIgnoringCase,
  WildcardSyntaxError,
} from './text-matching.js';

describe('wildcards', () => {
  it('matches any run of characters, including none, at each wildcard', () => {
    const pattern = parseWildcard('a*b*c');
    expect(['abc', 'aXbYc', 'abbbc', 'a*b*c'].map((value) => matchesWildcard(pattern, value))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['ab', 'acb', 'xabc'].map((value) => matchesWildcard(pattern, value))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('does not let the literal runs overlap', () => {
    expect(matchesWildcard(parseWildcard('ab*ba'), 'aba')).toBe(false);
  });

  it('reads escaped asterisks and backslashes as themselves', () => {
    expect(parseWildcard('a\\*b\\\\c*')).toEqual({ literals: ['a*b\\c', ''] });
  });

  it('refuses consecutive wildcards and unknown escapes', () => {
    expect(() => parseWildcard('a**')).toThrow(
      new WildcardSyntaxError('Consecutive wildcard characters at pos 2'),
    );
    expect(() => parseWildcard('a\\')).toThrow(new WildcardSyntaxError('Invalid escape character at pos 1'));
  });
});

describe('case-insensitive comparisons', () => {
  it('compares character by character in any script with case', () => {
    expect(equalsIgnoringCase('ΣΟΦΙΑ', 'σοφια')).toBe(true);
    expect(equalsIgnoringCase('漫画', '漫画')).toBe(true);
    expect(equalsIgnoringCase('abc', 'abcd')).toBe(false);
  });

  it('finds prefixes and suffixes ignoring case', () => {
    expect(startsWithIgnoringCase('EventBridge', 'eventb')).toBe(true);
    expect(startsWithIgnoringCase('Ev', 'eventb')).toBe(false);
    expect(endsWithIgnoringCase('cover.PNG', '.png')).toBe(true);
    expect(endsWithIgnoringCase('png', '.png')).toBe(false);
  });
});
