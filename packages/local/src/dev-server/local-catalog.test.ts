import { describe, expect, it } from 'vitest';
import { catalogEnabled } from './local-catalog.js';

describe('catalogEnabled', () => {
  it('turns the sample catalog off for 0, false, off and no, in any case, and on otherwise', () => {
    for (const off of ['0', 'false', 'OFF', ' no ']) expect(catalogEnabled(off), off).toBe(false);
    for (const on of [undefined, '', '1', 'true', 'yes']) expect(catalogEnabled(on), String(on)).toBe(true);
  });
});
