/**
 * Patterns the seed's validator rejected on, kept here as observations only.
 *
 * Rejecting on them would turn away legitimate customers and stop no attacker:
 * - `<script` and `javascript:` appear in questions about web readers and bookmarklets;
 *   HTML injection is prevented by encoding output where it is rendered, not by refusing input.
 * - `{{ }}` is ordinary Vue/Handlebars/Jinja syntax in a question about code, and fan titles.
 * - `__import__`, `os.system`, `subprocess.` are Python; nothing here executes user text.
 * - CJK next to Cyrillic is everyday Japanese: kaomoji such as `(´Д｀)` use Cyrillic `Д`, and
 *   Russian editions of manga are discussed alongside the Japanese title.
 * Prompt injection is not a set of strings; it is handled by the prompt structure and by
 * guardrails. Report these signals in logs or metrics to watch for abuse, never to block.
 */
export type TextSignal = 'html_script' | 'template_syntax' | 'code_execution' | 'mixed_cjk_cyrillic';

const patterns: readonly (readonly [TextSignal, RegExp])[] = [
  ['html_script', /<script\b|javascript:/i],
  ['template_syntax', /\{\{[\s\S]*?\}\}/],
  ['code_execution', /__import__|os\.system|subprocess\./i],
];

const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const cyrillic = /\p{Script=Cyrillic}/u;

/**
 * The signals present in `text`, in a fixed order, each at most once; empty for plain text.
 * For observability only: see `TextSignal` for why none of them rejects a message.
 *
 * @example inspectText('Vue の {{ title }} が表示されません') // ['template_syntax']
 */
export function inspectText(text: string): readonly TextSignal[] {
  const signals: TextSignal[] = [];
  for (const [signal, pattern] of patterns) {
    if (pattern.test(text)) signals.push(signal);
  }
  if (cjk.test(text) && cyrillic.test(text)) signals.push('mixed_cjk_cyrillic');
  return signals;
}
