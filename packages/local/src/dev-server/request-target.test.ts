import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from './request-target.js';

describe('parseRequestTarget', () => {
  it('reads a path and its query', () => {
    const url = parseRequestTarget('/v1/chat?debug=1');
    expect(url?.pathname).toBe('/v1/chat');
    expect(url?.searchParams.get('debug')).toBe('1');
  });

  it('reads a missing target as /', () => {
    expect(parseRequestTarget(undefined)?.pathname).toBe('/');
  });

  it('reads targets that new URL(target, base) refuses or misreads as paths, without throwing', () => {
    expect(parseRequestTarget('//')?.pathname).toBe('//');
    expect(parseRequestTarget('//[')?.pathname).toBe('//[');
    expect(parseRequestTarget('//localhost/_local/api-keys')?.pathname).toBe('//localhost/_local/api-keys');
  });

  it('reads an absolute-form target as it stands', () => {
    expect(parseRequestTarget('http://127.0.0.1:3000/v1/chat')?.pathname).toBe('/v1/chat');
  });

  it('answers undefined for a target that is no URL at all', () => {
    for (const target of ['*', 'http://[', 'not a url', ''])
      expect(parseRequestTarget(target)).toBeUndefined();
  });
});
