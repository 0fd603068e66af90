export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** The JSON shape moderation prompts ask for (the seeds' content-moderator prompt). */
export interface ModerationVerdict {
  safe: boolean;
  severity: Severity;
  categories: string[];
  reason: string;
}

interface AbuseCategory {
  readonly name: string;
  // Threats and self-harm weigh more than insults: one hit is already high severity.
  readonly weight: number;
  readonly english: readonly string[];
  readonly japanese: readonly string[];
}

const abuseCategories: readonly AbuseCategory[] = [
  {
    name: 'violence',
    weight: 3,
    english: ['kill', 'murder', 'stab', 'shoot'],
    japanese: ['殺す', '殺して', 'ぶっ殺', '死ね'],
  },
  { name: 'self_harm', weight: 3, english: ['suicide', 'kill myself'], japanese: ['自殺', '死にたい'] },
  {
    name: 'harassment',
    weight: 1,
    english: ['idiot', 'stupid', 'moron', 'loser', 'dumb'],
    japanese: ['バカ', 'ばか', '馬鹿', 'アホ', 'クズ', 'きもい', 'キモい'],
  },
  {
    name: 'spam',
    weight: 1,
    english: ['buy now', 'click here', 'free money'],
    japanese: ['今すぐ購入', '副業で稼'],
  },
];

/** True when the prompt asks for a moderation verdict as JSON with a `safe` field. */
export function asksForModeration(prompt: string): boolean {
  const lower = prompt.toLowerCase();
  return (
    lower.includes('content moderator') ||
    (lower.includes('moderat') && lower.includes('json') && lower.includes('safe'))
  );
}

/**
 * A deterministic verdict from a small abuse lexicon: any hit makes the text unsafe, and the
 * severity grows with the weight of the hits (one insult is `low`, one threat `high`).
 */
export function moderate(text: string): ModerationVerdict {
  const categories: string[] = [];
  const matched: string[] = [];
  let weight = 0;
  for (const category of abuseCategories) {
    const hits = [
      ...category.english.filter((word) => new RegExp(`\\b${word}\\b`, 'iu').test(text)),
      ...category.japanese.filter((word) => text.includes(word)),
    ];
    if (hits.length === 0) continue;
    categories.push(category.name);
    matched.push(...hits);
    weight += category.weight * hits.length;
  }
  const severity = severityOf(weight);
  return {
    safe: severity === 'none',
    severity,
    categories,
    reason:
      matched.length === 0
        ? 'No abusive terms found by the local emulator lexicon.'
        : `Local emulator lexicon matched: ${matched.join(', ')}.`,
  };
}

function severityOf(weight: number): Severity {
  if (weight === 0) return 'none';
  if (weight === 1) return 'low';
  if (weight === 2) return 'medium';
  if (weight <= 4) return 'high';
  return 'critical';
}
