import { shortModelName } from './model-names.js';
import { fullPromptText, lastUserText, type ModelPrompt } from './model-prompt.js';
import { asksForModeration, moderate } from './moderation.js';
import { asksForProductDescription, describeProduct } from './product-description.js';
import { asksForSentiment, classifySentiment } from './sentiment.js';
import { containsCjk } from './tokens.js';

/** Which emulated model answered, and for which region; every default reply says so. */
export interface ModelIdentity {
  readonly modelId: string;
  readonly region: string;
}

const excerptLength = 60;

/**
 * The emulated model's answer, before any output limit. Deterministic and honest about being
 * local: a product description prompt gets sentences and a `Tags:` line, a moderation prompt
 * only the verdict JSON, a sentiment prompt one word, and anything else a tagged echo of the last
 * user message (in Japanese for Japanese input), followed, when the system prompt has a catalog
 * section, by the first entry's title, price and ISBN as the entry gives them.
 */
export function localReply(prompt: ModelPrompt, identity: ModelIdentity): string {
  const instructions = fullPromptText(prompt);
  const question = lastUserText(prompt);
  if (asksForProductDescription(instructions)) return describeProduct(question);
  if (asksForModeration(instructions)) return JSON.stringify(moderate(question));
  if (asksForSentiment(instructions)) return classifySentiment(question);
  const entry = firstCatalogEntry(prompt.system);
  const echo = echoReply(question, identity);
  return entry === undefined ? echo : `${echo}${catalogSentence(entry, containsCjk(question))}`;
}

/** The first product of a `<catalog>` section of the system prompt (the chat's grounding). */
interface CatalogEntry {
  readonly title: string;
  readonly priceJpy: string;
  readonly isbn: string;
}

function firstCatalogEntry(system: string): CatalogEntry | undefined {
  const line = /<catalog>\n- (.+)/u.exec(system)?.[1];
  const match = line && /^(.+?) \(.+?\) by .+?; ¥(\d+); ISBN (\d{13});/u.exec(line);
  return match ? { title: match[1] ?? '', priceJpy: match[2] ?? '', isbn: match[3] ?? '' } : undefined;
}

/** What a model given the catalog would say of its first entry, as the entry says it. */
function catalogSentence(entry: CatalogEntry, japanese: boolean): string {
  return japanese
    ? ` カタログでは「${entry.title}」は¥${entry.priceJpy}（ISBN ${entry.isbn}）です。`
    : ` The catalog lists ${entry.title} at ¥${entry.priceJpy} (ISBN ${entry.isbn}).`;
}

function echoReply(question: string, identity: ModelIdentity): string {
  const tag = `[local ${shortModelName(identity.modelId)} @ ${identity.region}]`;
  const normalised = question.replace(/\s+/g, ' ').trim();
  const characters = [...normalised];
  const excerpt =
    characters.length > excerptLength ? `${characters.slice(0, excerptLength).join('')}…` : normalised;
  if (containsCjk(normalised)) {
    return (
      `${tag} 【日本語・ローカル応答】「${excerpt}」についてのご質問ですね。` +
      `これはローカルのBedrockエミュレーターによる決定的な応答です（入力${characters.length}文字、実際のモデルは呼び出していません）。`
    );
  }
  const words = normalised === '' ? 0 : normalised.split(' ').length;
  return (
    `${tag} You asked: "${excerpt}". ` +
    `This is a deterministic reply from the local Bedrock emulator (${words} words in, no real model was called).`
  );
}
