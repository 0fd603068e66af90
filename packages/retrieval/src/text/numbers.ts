const digits: Record<string, number> = {
  〇: 0,
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const units: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** A number written in kanji up to 9,999 (`十二` 12, `百十一` 111, `二千` 2000, `三〇` 30); undefined otherwise. */
export function kanjiNumber(text: string): number | undefined {
  if (!/^[〇一二三四五六七八九十百千]+$/u.test(text)) return undefined;
  if (/^[〇一二三四五六七八九]+$/u.test(text))
    return Number([...text].map((character) => digits[character]).join(''));
  let total = 0;
  let pending: number | undefined;
  let lastUnit = Number.POSITIVE_INFINITY;
  for (const character of text) {
    const digit = digits[character];
    if (digit !== undefined) {
      if (pending !== undefined) return undefined;
      pending = digit;
      continue;
    }
    const unit = units[character] as number;
    if (unit >= lastUnit) return undefined;
    total += (pending ?? 1) * unit;
    pending = undefined;
    lastUnit = unit;
  }
  return total + (pending ?? 0);
}

/**
 * The text with full-width ASCII (`５２８`, `，`, `ＩＳＢＮ`) and the full-width yen sign as their
 * ASCII forms, one UTF-16 unit for one: an index into the result is an index into `text`.
 */
export function foldWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e\uffe5]/gu, (character) =>
    character === '\uffe5' ? '¥' : String.fromCharCode(character.charCodeAt(0) - 0xfee0),
  );
}
