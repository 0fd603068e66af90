/**
 * The `auto` route's complexity heuristic: seed 000 §5.2's `select_model_for_complexity`
 * (more than 200 words, or an analysis keyword, goes to the stronger model), made to work for
 * Japanese.
 *
 * - Size is measured in estimated model tokens, not `split(' ')` words: a Japanese paragraph
 *   has no spaces and would count as one word. 200 English words are about 260 tokens
 *   (≈ 1.3 tokens a word), so that is the default threshold; with a CJK-aware estimate a
 *   Japanese prompt reaches it at roughly 200 characters.
 * - Keywords are matched after NFKC (full-width `ＡＮＡＬＹＺＥ` and half-width `ｵｽｽﾒ` match),
 *   lower-casing and folding whitespace runs, so `Explain\nWhy` matches `explain why`.
 */

/** Counts model tokens in a text (CJK-aware); injected so routing does not own tokenisation. */
export type TokenEstimator = (text: string) => number;

/**
 * The seed's English keywords (plus British spellings and noun forms) and their Japanese
 * equivalents. A bare `おすすめ` is deliberately absent: in a manga store "おすすめの漫画は？"
 * is the everyday question, and the seed's keyword is "recommend *based on*" (`基づいて`).
 */
export const defaultAnalysisKeywords: readonly string[] = [
  'analyze',
  'analyse',
  'analysis',
  'compare',
  'comparison',
  'explain why',
  'summarize',
  'summarise',
  'recommend based on',
  '分析',
  '比較',
  '要約',
  'まとめて',
  '理由',
  'なぜ',
  '何故',
  'どうして',
  '説明して',
  '解説',
  '考察',
  '違い',
  '基づいて',
  'レビュー',
];

/** Seed 000 §5.2's 200 words at ≈ 1.3 tokens a word. */
export const defaultLongPromptTokens = 260;

export type ComplexityAssessment =
  | { readonly kind: 'complex'; readonly keyword: string }
  | { readonly kind: 'long'; readonly tokens: number }
  | { readonly kind: 'simple'; readonly tokens: number };

/** Folds a text the way keywords are matched: NFKC, lower case, one space per whitespace run. */
export function foldForKeywordMatch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ');
}

/**
 * A keyword matcher built once from configuration; reports the keyword as configured.
 *
 * @example createKeywordMatcher(['分析'])('売上を分析して') // '分析'
 */
export function createKeywordMatcher(keywords: readonly string[]): (text: string) => string | undefined {
  const folded = keywords.map((keyword) => [keyword, foldForKeywordMatch(keyword).trim()] as const);
  return (text) => {
    const haystack = foldForKeywordMatch(text);
    return folded.find(([, needle]) => needle !== '' && haystack.includes(needle))?.[0];
  };
}

/**
 * Classifies a prompt: a keyword wins over length (it is cheaper to find and the more specific
 * signal); otherwise more than `longPromptTokens` estimated tokens is `long`.
 */
export function assessComplexity(
  text: string,
  options: {
    readonly matchKeyword: (text: string) => string | undefined;
    readonly estimateTokens: TokenEstimator;
    readonly longPromptTokens: number;
  },
): ComplexityAssessment {
  const keyword = options.matchKeyword(text);
  if (keyword !== undefined) return { kind: 'complex', keyword };
  const tokens = options.estimateTokens(text);
  return tokens > options.longPromptTokens ? { kind: 'long', tokens } : { kind: 'simple', tokens };
}
