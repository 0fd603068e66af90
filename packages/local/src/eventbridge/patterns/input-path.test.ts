import { describe, expect, it } from 'vitest';
import { InputPathSyntaxError, parseInputPath, readInputPath } from './input-path.js';

function read(event: unknown, path: string) {
  return readInputPath(event, parseInputPath(path));
}

describe('input paths', () => {
  const event = {
    detail: { 'product-id': 'P-1', items: [{ id: 'a' }, { id: 'b' }], none: null, 'a/b': 1 },
  };

  it('reads the whole event with $', () => {
    expect(read(event, '$')).toEqual({ found: true, value: event });
  });

  it('reads names with dashes, underscores and slashes, and array indices', () => {
    expect(read(event, '$.detail.product-id')).toEqual({ found: true, value: 'P-1' });
    expect(read(event, '$.detail.items[1].id')).toEqual({ found: true, value: 'b' });
    expect(read(event, '$.detail.a/b')).toEqual({ found: true, value: 1 });
  });

  it('finds a null value, and nothing where the path leads nowhere', () => {
    expect(read(event, '$.detail.none')).toEqual({ found: true, value: null });
    expect(read(event, '$.detail.missing')).toEqual({ found: false });
    expect(read(event, '$.detail.items[5]')).toEqual({ found: false });
    expect(read(event, '$.detail.product-id.deeper')).toEqual({ found: false });
  });

  it('collects every match of a wildcard into an array', () => {
    expect(read(event, '$.detail.items[*].id')).toEqual({ found: true, value: ['a', 'b'] });
    expect(read(event, '$.detail.items.*.id')).toEqual({ found: true, value: ['a', 'b'] });
    expect(read(event, '$.detail.items[*].missing')).toEqual({ found: false });
  });

  it('refuses bracket notation with names and paths not starting at $', () => {
    expect(() => parseInputPath("$['detail']")).toThrow(InputPathSyntaxError);
    expect(() => parseInputPath('detail.id')).toThrow(InputPathSyntaxError);
    expect(() => parseInputPath('$.')).toThrow(InputPathSyntaxError);
  });
});
