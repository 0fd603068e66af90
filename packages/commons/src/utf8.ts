/**
 * UTF-8 byte length of `text`, computed from its UTF-16 code units without encoding it.
 *
 * Matches `Buffer.byteLength(text, 'utf8')` and `TextEncoder`: a lone surrogate counts as
 * 3 bytes, the size of the U+FFFD that an encoder writes in its place.
 *
 * @example utf8ByteLength('漫画') // 6
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`; never splits a code
 * point (a surrogate pair stays whole or goes). Returns `text` itself when it already fits.
 *
 * It may split a grapheme cluster made of several code points (a base letter and a combining
 * mark, an emoji ZWJ sequence); NFC-normalise first to keep kana with dakuten whole.
 * Throws `RangeError` when `maxBytes` is negative or not a number.
 *
 * @example truncateUtf8('まんが', 7) // 'まん'
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
  // Every UTF-16 code unit encodes to at most 3 bytes, so short enough strings need no scan.
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    const pair = isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(index + 1));
    const size = unit < 0x80 ? 1 : unit < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > maxBytes) return text.slice(0, index);
    bytes += size;
    if (pair) index++;
  }
  return text;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Also false for `NaN`, which `charCodeAt` returns past the end of the string. */
function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
