import { kanjiNumber } from '../text/numbers.js';

/** What a question asks of a series beyond its title: one volume, or the newest. */
export interface QueryIntent {
  readonly volume?: number;
  readonly latest: boolean;
}

const volumePatterns = [
  /(?<![全\d]\s*)第?\s*(?<!\d)(\d{1,4})\s*(?:巻|かん)/u,
  /第\s*([〇一二三四五六七八九十百千]{1,5})\s*巻/u,
  /(?<![全〇一二三四五六七八九十百千])([〇一二三四五六七八九十百千]{1,5})\s*巻/u,
  /\bvol(?:ume)?\.?\s*#?\s*(\d{1,4})\b/iu,
  /\bbook\s*#?\s*(\d{1,4})\b/iu,
  /(?<=\p{L}\s*)#\s*(\d{1,4})(?!\s*\p{L})/u,
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
