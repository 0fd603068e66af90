export type Sentiment = 'positive' | 'negative' | 'neutral' | 'mixed';

// Deliberately excludes "positive"/"negative" themselves: prompts list them as the answer choices.
const positiveWords = [
  'love',
  'loved',
  'great',
  'excellent',
  'amazing',
  'awesome',
  'wonderful',
  'fantastic',
  'enjoyed',
  'beautiful',
  'best',
  'fun',
  'recommend',
];
const negativeWords = [
  'hate',
  'hated',
  'terrible',
  'awful',
  'boring',
  'worst',
  'bad',
  'disappointing',
  'disappointed',
  'poor',
  'broken',
  'waste',
];
const positiveJapanese = [
  '最高',
  '好き',
  '面白い',
  'おもしろい',
  '素晴らしい',
  '楽しい',
  '感動',
  'おすすめ',
  '良かった',
];
const negativeJapanese = ['最悪', 'つまらない', '嫌い', 'ひどい', '酷い', '残念', '退屈', 'がっかり', '不満'];

const positivePattern = new RegExp(`\\b(?:${positiveWords.join('|')})\\b`, 'giu');
const negativePattern = new RegExp(`\\b(?:${negativeWords.join('|')})\\b`, 'giu');

/** True when the prompt asks for a sentiment label. */
export function asksForSentiment(prompt: string): boolean {
  return /sentiment/i.test(prompt) || prompt.includes('感情');
}

/**
 * A one-word sentiment from a small English + Japanese lexicon: both kinds of words make
 * `mixed`, neither makes `neutral`.
 */
export function classifySentiment(text: string): Sentiment {
  const positive =
    (text.match(positivePattern)?.length ?? 0) +
    positiveJapanese.filter((word) => text.includes(word)).length;
  const negative =
    (text.match(negativePattern)?.length ?? 0) +
    negativeJapanese.filter((word) => text.includes(word)).length;
  if (positive > 0 && negative > 0) return 'mixed';
  if (positive > 0) return 'positive';
  if (negative > 0) return 'negative';
  return 'neutral';
}
