import { describe, expect, it } from 'vitest';
import { pascalCase } from '../../../lib/constructs/pascal-case.js';

describe('pascalCase', () => {
  it('joins kebab-case, dotted and @-separated names into one construct id', () => {
    expect(pascalCase('inference-completed-fan-out')).toBe('InferenceCompletedFanOut');
    expect(pascalCase('mangaassist.catalog@CatalogUpdate.new_release')).toBe(
      'MangaassistCatalogCatalogUpdateNewRelease',
    );
  });
});
