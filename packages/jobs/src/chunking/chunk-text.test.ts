import { describe, expect, it } from 'vitest';
import { chunkText } from './chunk-text.js';

const codePoints = (text: string): number => [...text].length;

/** A deterministic pseudo-random source (mulberry32), so a failing seed can be replayed. */
function randomSource(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (((mixed ^ (mixed >>> 14)) >>> 0) % below) | 0;
  };
}

// Pieces of Japanese, English and mixed text, with every kind of break and the characters that are
// easy to split wrongly: surrogate pairs, combining marks, ZWJ sequences, flags, CR LF.
const SIMPLE_PIECES = [
  '吾輩',
  'は',
  '猫',
  'である',
  '。',
  '、',
  '「',
  '」',
  '』',
  '！？',
  'The',
  'cat',
  ' ',
  '  ',
  '.',
  '. ',
  '! ',
  ', ',
  '; ',
  '3.14',
  '1,000',
  '\n',
  '\n\n',
  '\u3000',
  '😀',
  '𠮷',
];
const CLUSTER_PIECES = ['\r\n', 'か\u3099', '葛\u{e0100}', 'e\u0301', '👍🏽', '🇯🇵', '👨‍👩‍👧'];
const LONGEST_CLUSTER = 5;
const LONE_SURROGATE = /\p{Cs}/u;

function generatedText(random: (below: number) => number, pieces: readonly string[]): string {
  const parts: string[] = [];
  const count = random(120);
  for (let part = 0; part < count; part++) parts.push(pieces[random(pieces.length)] ?? '');
  return parts.join('');
}

function graphemeBoundaries(text: string): Set<number> {
  const segments = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text);
  return new Set([...segments].map((segment) => segment.index).concat(text.length));
}

/** Chunk ends as UTF-16 offsets into the text, for chunks without overlap. */
function chunkEnds(chunks: readonly string[]): number[] {
  let offset = 0;
  return chunks.map((chunk) => {
    offset += chunk.length;
    return offset;
  });
}

describe('chunkText', () => {
  it('returns no chunks for empty text', () => {
    expect(chunkText('', { maxChars: 10 })).toStrictEqual([]);
  });

  it('returns text that fits as one chunk, counting a surrogate pair as one character', () => {
    expect(chunkText('短い。', { maxChars: 10 })).toStrictEqual(['短い。']);
    expect(chunkText('𠮷野家😀', { maxChars: 4 })).toStrictEqual(['𠮷野家😀']);
  });

  it('rejects a maxChars that is not a positive integer', () => {
    expect(() => chunkText('abc', { maxChars: 0 })).toThrow(/maxChars must be a positive integer, got 0/);
    expect(() => chunkText('abc', { maxChars: -5 })).toThrow(RangeError);
    expect(() => chunkText('abc', { maxChars: 2.5 })).toThrow(/maxChars must be a positive integer/);
    expect(() => chunkText('', { maxChars: Number.NaN })).toThrow(RangeError);
  });

  it('rejects an overlap that is negative, fractional or not smaller than maxChars', () => {
    expect(() => chunkText('abc', { maxChars: 10, overlapChars: 10 })).toThrow(
      /overlapChars must be an integer from 0 to maxChars - 1 \(9\), got 10/,
    );
    expect(() => chunkText('abc', { maxChars: 10, overlapChars: -1 })).toThrow(RangeError);
    expect(() => chunkText('abc', { maxChars: 10, overlapChars: 1.5 })).toThrow(RangeError);
  });

  it('splits Japanese after 。, keeping the closing 」 in the earlier chunk', () => {
    expect(chunkText('「おはよう。」と彼は言った。「元気？」', { maxChars: 12 })).toStrictEqual([
      '「おはよう。」',
      'と彼は言った。「元気？」',
    ]);
    expect(chunkText('彼女は『もう遅い！』と叫んだ。', { maxChars: 12 })).toStrictEqual([
      '彼女は『もう遅い！』',
      'と叫んだ。',
    ]);
  });

  it('treats ASCII !? closed by a full-width bracket as a Japanese sentence end', () => {
    expect(chunkText('「なに!?」次の日', { maxChars: 8 })).toStrictEqual(['「なに!?」', '次の日']);
  });

  it('splits English after a sentence end and the space after it, not inside 3.14 or 1,000', () => {
    expect(chunkText('The cat sat. The dog ran away. It is 3.14 now.', { maxChars: 20 })).toStrictEqual([
      'The cat sat. ',
      'The dog ran away. ',
      'It is 3.14 now.',
    ]);
    expect(chunkText('Pay 1,000 or 3.14', { maxChars: 10 })).toStrictEqual(['Pay 1,000 ', 'or 3.14']);
  });

  it('does not split inside a number such as 3.14 or 1,000 even with no other break', () => {
    expect(chunkText('abcd3.14159265', { maxChars: 10 })).toStrictEqual(['abcd3.1415', '9265']);
    expect(chunkText('abcd1,00000000', { maxChars: 10 })).toStrictEqual(['abcd1,0000', '0000']);
  });

  it('keeps a closing quote after an English sentence end in the earlier chunk', () => {
    expect(chunkText('He said "stop." Then he left.', { maxChars: 20 })).toStrictEqual([
      'He said "stop." ',
      'Then he left.',
    ]);
  });

  it('cuts at the limit when a sentence end is just before it and whitespace just after', () => {
    expect(chunkText('One two three. Four', { maxChars: 14 })).toStrictEqual(['One two three.', ' Four']);
  });

  it('prefers a blank line to a later line break, sentence end, clause break or space', () => {
    expect(chunkText('第一段落です\n\n第二の行\n文。読点、空白 続き', { maxChars: 16 })).toStrictEqual([
      '第一段落です\n\n',
      '第二の行\n文。読点、空白 続き',
    ]);
  });

  it('counts a line of only whitespace as a blank line', () => {
    expect(chunkText('first line\n  \nsecond\nthird', { maxChars: 22 })).toStrictEqual([
      'first line\n  \n',
      'second\nthird',
    ]);
  });

  it('prefers a line break to a later sentence end, keeping the next line’s indentation with it', () => {
    expect(chunkText('一行目です\n　二行目。三行目の文', { maxChars: 12 })).toStrictEqual([
      '一行目です\n',
      '　二行目。三行目の文',
    ]);
  });

  it('does not cut between CR and LF', () => {
    expect(chunkText('abcdefgh\r\nij', { maxChars: 9 })).toStrictEqual(['abcdefgh', '\r\nij']);
  });

  it('prefers a sentence end to a later clause break', () => {
    expect(chunkText('今日は晴れ。明日は、雨だろう', { maxChars: 12 })).toStrictEqual([
      '今日は晴れ。',
      '明日は、雨だろう',
    ]);
  });

  it('prefers a clause break to a later space', () => {
    expect(chunkText('雨が降り、傘を 持って出た', { maxChars: 10 })).toStrictEqual([
      '雨が降り、',
      '傘を 持って出た',
    ]);
    expect(chunkText('If it rains, we stay in', { maxChars: 18 })).toStrictEqual([
      'If it rains, ',
      'we stay in',
    ]);
  });

  it('prefers a space to a hard cut', () => {
    expect(chunkText('alpha betagammadelta', { maxChars: 10 })).toStrictEqual([
      'alpha ',
      'betagammad',
      'elta',
    ]);
  });

  it('does not separate 。 from its closing bracket when the limit falls between them', () => {
    expect(chunkText('いいい、いいいい。」ううう', { maxChars: 9 })).toStrictEqual([
      'いいい、',
      'いいいい。」ううう',
    ]);
  });

  it('cuts after the indentation of a line whose line break is before half of maxChars, rather than hard', () => {
    expect(chunkText('あああ\n　いいいいいいいい', { maxChars: 10 })).toStrictEqual([
      'あああ\n　',
      'いいいいいいいい',
    ]);
  });

  it('finds a sentence end whose stop is before half of maxChars and whose closing bracket is after', () => {
    expect(chunkText('ああああ。」いいいいいいいい', { maxChars: 10 })).toStrictEqual([
      'ああああ。」',
      'いいいいいいいい',
    ]);
  });

  it('ignores a break earlier than half of maxChars and cuts hard instead', () => {
    expect(chunkText('短。ああああああああああ', { maxChars: 10 })).toStrictEqual([
      '短。ああああああああ',
      'ああ',
    ]);
  });

  it('cuts text with no break at all at exactly maxChars', () => {
    const chunks = chunkText('あ'.repeat(25), { maxChars: 10 });
    expect(chunks.map(codePoints)).toStrictEqual([10, 10, 5]);
  });

  it('never splits a surrogate pair', () => {
    expect(chunkText('😀'.repeat(7), { maxChars: 3 })).toStrictEqual(['😀😀😀', '😀😀😀', '😀']);
    expect(chunkText('𠮷野家𠮷野家𠮷', { maxChars: 2 })).toStrictEqual(['𠮷野', '家𠮷', '野家', '𠮷']);
  });

  it('does not split a base character from its combining mark or variation selector', () => {
    // が spelled as か + U+3099, two code points.
    const ga = 'か\u3099';
    expect(chunkText(ga.repeat(6), { maxChars: 5 })).toStrictEqual([ga + ga, ga + ga, ga + ga]);
    expect(chunkText('葛\u{e0100}'.repeat(3), { maxChars: 3 })).toStrictEqual([
      '葛\u{e0100}',
      '葛\u{e0100}',
      '葛\u{e0100}',
    ]);
  });

  it('does not split an emoji ZWJ sequence or a flag', () => {
    const family = '👨‍👩‍👧';
    expect(chunkText(`${family}${family}`, { maxChars: 7 })).toStrictEqual([family, family]);
    expect(chunkText('🇯🇵🇯🇵🇯🇵', { maxChars: 3 })).toStrictEqual(['🇯🇵', '🇯🇵', '🇯🇵']);
  });

  it('does not cut before a combining mark that follows a break', () => {
    expect(chunkText('ab。\u3099cdefgh', { maxChars: 6 })).toStrictEqual(['ab。\u3099cd', 'efgh']);
  });

  it('cuts inside a grapheme cluster only when the cluster alone is longer than maxChars', () => {
    const zalgo = `a${'\u0301'.repeat(9)}`;
    expect(chunkText(`${zalgo}b`, { maxChars: 4 }).map(codePoints)).toStrictEqual([4, 4, 3]);
  });

  it('keeps the flags of a long run of flags paired', () => {
    const flags = '🇯🇵'.repeat(1_000);
    const chunks = chunkText(flags, { maxChars: 301 });
    expect(chunks.slice(0, -1).every((chunk) => chunk === '🇯🇵'.repeat(150))).toBe(true);
    expect(chunks.join('')).toBe(flags);
  });

  it('cuts a megabyte of combining marks on one base character into full chunks, without overlap inside it', () => {
    const text = `a${'\u0301'.repeat(1_000_000)}`;
    const chunks = chunkText(text, { maxChars: 4_000, overlapChars: 100 });
    expect(chunks).toHaveLength(Math.ceil(1_000_001 / 4_000));
    expect(chunks.slice(0, -1).every((chunk) => chunk.length === 4_000)).toBe(true);
  });

  it('repeats the end of the previous chunk at the start of the next when asked to overlap', () => {
    expect(
      chunkText('Sentence one. Sentence two. Sentence three.', { maxChars: 20, overlapChars: 5 }),
    ).toStrictEqual(['Sentence one. ', 'one. Sentence two. ', 'two. Sentence three.']);
  });

  it('keeps every overlapping chunk within maxChars', () => {
    const chunks = chunkText('吾輩は猫である。名前はまだ無い。'.repeat(20), {
      maxChars: 12,
      overlapChars: 11,
    });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(codePoints(chunk)).toBeLessThanOrEqual(12);
  });

  it('shortens an overlap that would start inside a grapheme cluster', () => {
    const ga = 'か\u3099';
    expect(chunkText(ga.repeat(4), { maxChars: 4, overlapChars: 1 })).toStrictEqual([ga + ga, ga + ga]);
    expect(chunkText(ga.repeat(4), { maxChars: 4, overlapChars: 2 })).toStrictEqual([
      ga + ga,
      ga + ga,
      ga + ga,
    ]);
  });

  it('gives back the text when the chunks are joined, within maxChars, for any generated text', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const random = randomSource(seed);
      const text = generatedText(random, [...SIMPLE_PIECES, ...CLUSTER_PIECES]);
      const maxChars = 1 + random(40);
      const chunks = chunkText(text, { maxChars });
      const context = { seed, maxChars, text };
      expect({ ...context, joined: chunks.join('') }).toStrictEqual({ ...context, joined: text });
      for (const chunk of chunks) {
        expect(chunk.length, JSON.stringify(context)).toBeGreaterThan(0);
        expect(codePoints(chunk), JSON.stringify(context)).toBeLessThanOrEqual(maxChars);
        expect(chunk, JSON.stringify(context)).not.toMatch(LONE_SURROGATE);
      }
      if (maxChars >= LONGEST_CLUSTER) {
        const boundaries = graphemeBoundaries(text);
        for (const end of chunkEnds(chunks)) expect(boundaries.has(end), JSON.stringify(context)).toBe(true);
      }
    }
  });

  it('starts each overlapping chunk with the previous chunk’s last overlapChars characters, for any generated text', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = randomSource(seed);
      const text = generatedText(random, SIMPLE_PIECES);
      const maxChars = 2 + random(30);
      const overlapChars = random(maxChars);
      const chunks = chunkText(text, { maxChars, overlapChars });
      const context = JSON.stringify({ seed, maxChars, overlapChars, text });
      let rebuilt = chunks[0] ?? '';
      for (let index = 1; index < chunks.length; index++) {
        const previous = [...(chunks[index - 1] ?? '')];
        const overlap = previous.slice(Math.max(0, previous.length - overlapChars)).join('');
        const chunk = chunks[index] ?? '';
        expect(chunk.startsWith(overlap), context).toBe(true);
        expect(chunk.length, context).toBeGreaterThan(overlap.length);
        expect(codePoints(chunk), context).toBeLessThanOrEqual(maxChars);
        rebuilt += chunk.slice(overlap.length);
      }
      expect(rebuilt, context).toBe(text);
    }
  });

  it('chunks a 5 MB document of paragraphs into full chunks of whole paragraphs', () => {
    const paragraph = `${'吾輩は猫である。名前はまだ無い。'.repeat(6)}\n\n`;
    expect(codePoints(paragraph)).toBe(98);
    const text = paragraph.repeat(51_200);
    const chunks = chunkText(text, { maxChars: 1_000 });
    const tenParagraphs = paragraph.repeat(10);
    expect(chunks).toHaveLength(5_120);
    expect(chunks.every((chunk) => chunk === tenParagraphs)).toBe(true);
  });

  it('cuts a 5 MB document with no break at all into maxChars chunks', () => {
    const text = '𠮷あ'.repeat(1_250_000);
    const chunks = chunkText(text, { maxChars: 4_096, overlapChars: 96 });
    expect(chunks).toHaveLength(Math.ceil((2_500_000 - 96) / 4_000));
    expect(chunks.slice(0, -1).every((chunk) => codePoints(chunk) === 4_096)).toBe(true);
    expect(chunks.at(-1)?.endsWith('𠮷あ')).toBe(true);
  });
});
