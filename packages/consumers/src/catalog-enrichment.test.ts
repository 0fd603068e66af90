import { describe, expect, it } from 'vitest';
import { parseDescriptionAndTags } from './catalog-enrichment.js';

describe('parseDescriptionAndTags', () => {
  it('reads the description and the tags of the seed’s format', () => {
    expect(
      parseDescriptionAndTags('A fine volume. Read it.\nTags: shonen, pirates, action, comedy, drama'),
    ).toStrictEqual({
      ok: true,
      description: 'A fine volume. Read it.',
      tags: ['shonen', 'pirates', 'action', 'comedy', 'drama'],
    });
  });

  it('drops a Description label, markdown and blank lines, and joins the lines', () => {
    const answer =
      '**Description:** A fine volume.\n\nRead it now.\n\n**Tags:** "shonen", #pirates, [action], comedy, drama.';
    expect(parseDescriptionAndTags(answer)).toStrictEqual({
      ok: true,
      description: 'A fine volume. Read it now.',
      tags: ['shonen', 'pirates', 'action', 'comedy', 'drama'],
    });
  });

  it('splits Japanese commas and keeps Japanese tags', () => {
    const result = parseDescriptionAndTags('熱い一冊。\nタグ無し\nTags：少年漫画、海賊、冒険、友情、新刊');
    expect(result).toMatchObject({ ok: true, tags: ['少年漫画', '海賊', '冒険', '友情', '新刊'] });
  });

  it('keeps the first five of more tags, dropping repeats first', () => {
    expect(parseDescriptionAndTags('Text.\nTags: a, A, b, , c, d, e, f')).toMatchObject({
      ok: true,
      tags: ['a', 'b', 'c', 'd', 'e'],
    });
  });

  it('rejects fewer than five distinct tags', () => {
    expect(parseDescriptionAndTags('Text.\nTags: a, b, a, c, d')).toStrictEqual({
      ok: false,
      problem: '4 usable tags, 5 needed',
    });
  });

  it('rejects an answer without a Tags line', () => {
    expect(
      parseDescriptionAndTags('A fine volume with pirates, action, comedy, drama and more.'),
    ).toMatchObject({
      ok: false,
      problem: 'no "Tags:" line',
    });
  });

  it('rejects an answer with tags but no description', () => {
    expect(parseDescriptionAndTags('Tags: a, b, c, d, e')).toMatchObject({
      ok: false,
      problem: 'no description',
    });
  });
});
