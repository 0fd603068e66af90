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
 * user message (in Japanese for Japanese input).
 */
export function localReply(prompt: ModelPrompt, identity: ModelIdentity): string {
  const instructions = fullPromptText(prompt);
  const question = lastUserText(prompt);
  if (asksForProductDescription(instructions)) return describeProduct(question);
  if (asksForModeration(instructions)) return JSON.stringify(moderate(question));
  if (asksForSentiment(instructions)) return classifySentiment(question);
  return echoReply(question, identity);
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
