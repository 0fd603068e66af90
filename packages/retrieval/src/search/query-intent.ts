/** What a question asks of a series beyond its title: one volume, or the newest. */
export interface QueryIntent {
  readonly volume?: number;
  readonly latest: boolean;
}

const kanjiDigits: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** `一`…`九十九` as a number (`十二` → 12, `二十` → 20). */
function kanjiNumber(text: string): number | undefined {
  const match = /^([一二三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!match || text === '') return undefined;
  const [, tens, ten, ones] = match;
  if (ten === undefined) return tens === undefined || ones !== undefined ? undefined : kanjiDigits[tens];
  return (tens ? (kanjiDigits[tens] ?? 0) : 1) * 10 + (ones ? (kanjiDigits[ones] ?? 0) : 0);
}

const volumePatterns = [
  /第?\s*(\d{1,4})\s*(?:巻|かん)/u,
  /第\s*([一二三四五六七八九十]{1,3})\s*巻/u,
  /([一二三四五六七八九十]{1,3})\s*巻/u,
  /\bvol(?:ume)?\.?\s*#?\s*(\d{1,4})\b/iu,
  /\bbook\s*#?\s*(\d{1,4})\b/iu,
  /#\s*(\d{1,4})\b/u,
];

const latestPattern =
  /最新刊|最新巻|新刊|最新の巻|最終巻|\blatest\b|\bnewest\b|\bmost recent\b|\bnew volume\b|\b(?:final|last) volume\b/iu;

/**
 * The volume a question names (`100巻`, `第3巻`, `三巻`, `vol. 12`, `volume 7`, `#5`), and whether
 * it asks for the newest (`最新刊`, `新刊`, `最終巻`, `latest`, `newest`, `most recent`, `last volume`): a
 * finished series' newest volume is its last.
 */
export function queryIntent(question: string): QueryIntent {
  const text = question.normalize('NFKC');
  const latest = latestPattern.test(text);
  for (const pattern of volumePatterns) {
    const found = pattern.exec(text)?.[1];
    if (found === undefined) continue;
    const volume = /^\d+$/.test(found) ? Number(found) : kanjiNumber(found);
    if (volume !== undefined && volume > 0) return { volume, latest };
  }
  return { latest };
}
