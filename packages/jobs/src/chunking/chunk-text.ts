/** Options of {@link chunkText}. */
export interface ChunkOptions {
  /**
   * Largest chunk, overlap included, in Unicode code points: 𠮷 or 😀 (a surrogate pair, two UTF-16
   * code units) counts as one. A positive integer.
   */
  readonly maxChars: number;
  /**
   * Code points of the previous chunk's end repeated at the start of the next, for context. Fewer
   * when the overlap would otherwise start inside a grapheme cluster (it then starts after it). An
   * integer from 0 to `maxChars - 1`.
   * @default 0
   */
  readonly overlapChars?: number;
}

/**
 * Splits text (Japanese, English or both) into chunks of at most `maxChars` code points, cutting
 * where a reader would pause. Each chunk ends at the latest of the best kind of break found between
 * half of `maxChars` and `maxChars`: a blank line, then a line break, then a sentence end (。！？．,
 * or `.` `!` `?` before whitespace, with the closing brackets and quotes after it such as 」』）
 * and the whitespace after that), then a clause break (、，；：, or `,` `;` `:` before whitespace),
 * then whitespace. With none of these it cuts at the last grapheme cluster boundary within
 * `maxChars`, and inside a cluster only when one cluster is longer than the room left.
 *
 * A surrogate pair is never split. With `overlapChars` 0 the chunks joined are exactly `text`.
 * Runs in time linear in the text plus the chunks returned, so a 20 MB document is fine.
 *
 * @returns The chunks in order, each non-empty; `[]` for empty text, `[text]` when it fits.
 * @throws RangeError when `maxChars` is not a positive integer, or `overlapChars` is not an integer
 *   from 0 to `maxChars - 1`.
 * @example
 * chunkText('吾輩は猫である。名前はまだ無い。', { maxChars: 10 }); // ['吾輩は猫である。', '名前はまだ無い。']
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  const { maxChars, overlapChars = 0 } = options;
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    throw new RangeError(`maxChars must be a positive integer, got ${maxChars}`);
  }
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars >= maxChars) {
    throw new RangeError(
      `overlapChars must be an integer from 0 to maxChars - 1 (${maxChars - 1}), got ${overlapChars}`,
    );
  }

  // Only hard cuts and overlaps need one: most texts cut at breaks never build it.
  let segmenter: Intl.Segmenter | undefined;
  const graphemes = (): Intl.Segmenter => {
    segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    return segmenter;
  };

  const chunks: string[] = [];
  // Positions are UTF-16 indices; the chunk is [chunkStart, end), its new text [contentStart, end).
  let chunkStart = 0;
  let contentStart = 0;
  while (contentStart < text.length) {
    const halfway = advanceCodePoints(text, chunkStart, Math.floor(maxChars / 2));
    const limit = advanceCodePoints(text, halfway, maxChars - Math.floor(maxChars / 2));
    if (limit >= text.length) {
      chunks.push(text.slice(chunkStart));
      break;
    }
    const earliestEnd = Math.max(halfway, advanceCodePoints(text, contentStart, 1));
    const end = bestBreak(text, earliestEnd, limit) || hardCut(graphemes(), text, contentStart, limit);
    // Every chunk must take new text: a cut that does not would loop forever, so fail loudly.
    if (end <= contentStart) throw new Error(`chunkText made no progress at ${contentStart}`);
    chunks.push(text.slice(chunkStart, end));
    chunkStart = overlapChars === 0 ? end : overlapStart(text, graphemes(), chunkStart, end, overlapChars);
    contentStart = end;
  }
  return chunks;
}

// Kinds of break, a better one higher; bestBreak keeps the latest position of each kind.
const NO_BREAK = 0;
const SPACE_BREAK = 1;
const CLAUSE_BREAK = 2;
const SENTENCE_BREAK = 3;
const LINE_BREAK = 4;
const PARAGRAPH_BREAK = 5;

// Classes of UTF-16 code units. Every character that matters is in the BMP, so a 64 KB table
// answers in one load per code unit (surrogates are CONTENT).
const CONTENT = 0;
const NEWLINE = 1;
const PARAGRAPH_SEPARATOR = 2;
const BLANK = 3;
const WIDE_STOP = 4;
const NARROW_STOP = 5;
const WIDE_CLOSER = 6;
const NARROW_CLOSER = 7;
const WIDE_COMMA = 8;
const NARROW_COMMA = 9;

const CLASSES = classTable();

function classTable(): Uint8Array {
  const table = new Uint8Array(0x10000);
  const assign = (characters: string, characterClass: number): void => {
    for (const character of characters) table[character.charCodeAt(0)] = characterClass;
  };
  assign('\n\r\u0085\u2028', NEWLINE);
  assign('\u2029', PARAGRAPH_SEPARATOR);
  // No-break spaces are left out: they ask not to be cut at.
  assign('\t\v\f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000', BLANK);
  assign('。．！？｡‼⁇⁈⁉', WIDE_STOP);
  assign('.!?', NARROW_STOP);
  assign('」』）】〉》〕］｝〗〙〛｣＂＇', WIDE_CLOSER);
  assign('"\')]}”’»›', NARROW_CLOSER);
  assign('、，；：､', WIDE_COMMA);
  assign(',;:', NARROW_COMMA);
  return table;
}

// What the last non-blank characters ended with. A narrow (ASCII) stop or comma is a break only
// before whitespace, so that 3.14, 1,000, 12:30 and example.com stay whole.
const WORD = 0;
const WIDE_SENTENCE_END = 1;
const NARROW_SENTENCE_END = 2;
const WIDE_CLAUSE_END = 3;
const NARROW_CLAUSE_END = 4;

// Candidates are read only this far before the earliest end: enough to know whether a sentence or
// clause ended just before it, and it keeps the scan of each chunk proportional to the chunk.
const LOOKBACK = 64;

/**
 * The best break in [earliestEnd, limit] (UTF-16 indices, limit < text.length), or 0 for none. A
 * break is the index of the first character after it.
 */
function bestBreak(text: string, earliestEnd: number, limit: number): number {
  const latest = [0, 0, 0, 0, 0, 0];
  let token = WORD;
  let newlines = 0;
  for (let index = Math.max(0, earliestEnd - LOOKBACK); index < limit; index++) {
    const code = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    const characterClass = CLASSES[code] ?? CONTENT;
    let kind = NO_BREAK;
    if (characterClass === NEWLINE || characterClass === PARAGRAPH_SEPARATOR) {
      // CR LF is one line break: count it, and cut, after the LF.
      if (code === CARRIAGE_RETURN && next === LINE_FEED) continue;
      newlines += characterClass === PARAGRAPH_SEPARATOR ? 2 : 1;
      kind = newlines >= 2 ? PARAGRAPH_BREAK : LINE_BREAK;
    } else if (characterClass === BLANK) {
      // After a line break too, where it is worse than the line break (indentation stays with its
      // line) but better than a hard cut when the line break is before the earliest end.
      kind = breakAtWhitespace(token);
    } else {
      token = nextToken(token, characterClass);
      newlines = 0;
      kind = breakAfterContent(token, CLASSES[next] ?? CONTENT);
    }
    const end = index + 1;
    if (kind !== NO_BREAK && end >= earliestEnd && !attachesToPrevious(text, end)) latest[kind] = end;
  }
  for (let kind = PARAGRAPH_BREAK; kind > NO_BREAK; kind--) {
    const end = latest[kind] ?? 0;
    if (end > 0) return end;
  }
  return 0;
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The break before or after whitespace that follows `token`. */
function breakAtWhitespace(token: number): number {
  if (token === WIDE_SENTENCE_END || token === NARROW_SENTENCE_END) return SENTENCE_BREAK;
  if (token === WIDE_CLAUSE_END || token === NARROW_CLAUSE_END) return CLAUSE_BREAK;
  return SPACE_BREAK;
}

/** The break between a non-blank character ending `token` and the next character. */
function breakAfterContent(token: number, nextClass: number): number {
  // Cutting just before whitespace is as good as just after it: the limit may fall between them.
  if (nextClass === BLANK || nextClass === NEWLINE || nextClass === PARAGRAPH_SEPARATOR) {
    return breakAtWhitespace(token);
  }
  if (continuesPunctuation(nextClass)) return NO_BREAK;
  if (token === WIDE_SENTENCE_END) return SENTENCE_BREAK;
  return token === WIDE_CLAUSE_END ? CLAUSE_BREAK : NO_BREAK;
}

function nextToken(token: number, characterClass: number): number {
  switch (characterClass) {
    case WIDE_STOP:
      return WIDE_SENTENCE_END;
    case NARROW_STOP:
      return NARROW_SENTENCE_END;
    case WIDE_COMMA:
      return WIDE_CLAUSE_END;
    case NARROW_COMMA:
      return NARROW_CLAUSE_END;
    case WIDE_CLOSER:
      // 「なに!?」: a full-width bracket means Japanese, where no space follows a sentence.
      return token === NARROW_SENTENCE_END ? WIDE_SENTENCE_END : token;
    case NARROW_CLOSER:
      return token;
    default:
      return WORD;
  }
}

/** Whether a character after a stop or comma still belongs to it (！？, 。」, 、』). */
function continuesPunctuation(characterClass: number): boolean {
  return characterClass >= WIDE_STOP && characterClass <= NARROW_COMMA;
}

// Characters that join the grapheme cluster before them (Grapheme_Cluster_Break Extend, ZWJ and
// SpacingMark, a little wider): the combining kana marks in が = か + U+3099, variation selectors,
// skin tones. Sticky, so testing one position reads one character; chunkText never yields, so
// sharing lastIndex is safe.
const EXTENDS_CLUSTER = /[\p{Grapheme_Extend}\p{Mc}\p{Emoji_Modifier}\u0e33\u0eb3]|\u200d/uy;

/**
 * Whether `text[index]` joins the cluster before it. Enough after punctuation and whitespace, the
 * only characters a break candidate follows; none of these characters is below U+0300.
 */
function attachesToPrevious(text: string, index: number): boolean {
  if (text.charCodeAt(index) < 0x300) return false;
  EXTENDS_CLUSTER.lastIndex = index;
  return EXTENDS_CLUSTER.test(text);
}

/**
 * The start of the grapheme cluster holding `limit`, or `limit` itself (a code point boundary) when
 * that cluster began at or before `contentStart`: when it is longer than the room left.
 */
function hardCut(segmenter: Intl.Segmenter, text: string, contentStart: number, limit: number): number {
  // Below U+0300 (no combining marks, joiners or flags) only CR LF holds together: skip the segmenter.
  const before = text.charCodeAt(limit - 1);
  const at = text.charCodeAt(limit);
  if (before < 0x300 && at < 0x300 && !(before === CARRIAGE_RETURN && at === LINE_FEED)) return limit;
  // Whether an index is a boundary depends on the characters before it and the one at it.
  const cluster = clusterAround(segmenter, text, contentStart, limit, Math.min(text.length, limit + 2));
  return cluster.start > contentStart ? cluster.start : limit;
}

/** Where the next chunk starts: `overlapChars` code points before `end`, moved forward out of a cluster. */
function overlapStart(
  text: string,
  segmenter: Intl.Segmenter,
  chunkStart: number,
  end: number,
  overlapChars: number,
): number {
  const start = retreatCodePoints(text, end, overlapChars, chunkStart);
  const cluster = clusterAround(segmenter, text, chunkStart, start, end);
  return cluster.start === start ? start : cluster.end;
}

/**
 * The grapheme cluster holding `index`, segmenting only [from, to), where `from` is a cluster
 * boundary. Never the whole text: asked about one index of it, ICU walks the whole run of combining
 * marks or flags around it (quadratic on hostile text), while a slice keeps each cut's work
 * proportional to its chunk.
 */
function clusterAround(
  segmenter: Intl.Segmenter,
  text: string,
  from: number,
  index: number,
  to: number,
): { readonly start: number; readonly end: number } {
  const cluster = segmenter.segment(text.slice(from, to)).containing(index - from);
  // Undefined only for an index outside the slice, which no caller asks about.
  if (cluster === undefined) return { start: index, end: index };
  return { start: from + cluster.index, end: from + cluster.index + cluster.segment.length };
}

/** The index `count` code points after `from`, or the text's length. A lone surrogate counts as one. */
function advanceCodePoints(text: string, from: number, count: number): number {
  let index = from;
  for (let counted = 0; counted < count && index < text.length; counted++) {
    index += isHighSurrogate(text.charCodeAt(index)) && isLowSurrogate(text.charCodeAt(index + 1)) ? 2 : 1;
  }
  return index;
}

/** The index `count` code points before `from`, but not before `floor`. */
function retreatCodePoints(text: string, from: number, count: number, floor: number): number {
  let index = from;
  for (let counted = 0; counted < count && index > floor; counted++) {
    const pair =
      index - 2 >= floor &&
      isLowSurrogate(text.charCodeAt(index - 1)) &&
      isHighSurrogate(text.charCodeAt(index - 2));
    index -= pair ? 2 : 1;
  }
  return index;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
