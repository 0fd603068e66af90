import { describe, expect, it } from 'vitest';
import { fnv1a } from './fnv1a.js';

describe('fnv1a', () => {
  it('gives FNV-1a’s published 32-bit values, unsigned', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('starts from another seed when given one', () => {
    expect(fnv1a('a', 0x9747b28c)).not.toBe(fnv1a('a'));
  });
});
