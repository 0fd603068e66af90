import { stripInvisibleCharacters } from './invisible-characters.js';

/**
 * What a user message may be up to, as signals for logs and metrics — never grounds for refusal.
 *
 * Prompt-injection signals (OWASP LLM01), the reason to look:
 * - `instruction_override`: "ignore (all) previous instructions", 「これまでの指示を無視して」;
 * - `system_prompt_probe`: asks for the system, initial or hidden prompt;
 * - `role_override`: "you are now DAN", jailbreak and developer-mode talk, 「制限を解除して」;
 * - `prompt_delimiter`: chat-template markup (`<system>`, `<|im_start|>`, `[INST]`,
 *   `Human:`/`Assistant:` turns) pasted to fake a turn of the conversation.
 *
 * The patterns the seed's validator rejected on, kept as observations: `html_script`
 * (`<script`, `javascript:`), `template_syntax` (`{{ }}`), `code_execution` (`__import__`,
 * `os.system`, `subprocess.`). Rejecting on any of these would turn away legitimate customers —
 * a question about a bookmarklet, Vue or Python — and stop no attacker: injection is handled by
 * the prompt's structure, the sanitiser and, where a stage enables it, a Bedrock Guardrail. The
 * seed's "CJK next to Cyrillic" is gone: it is every kaomoji with `Д`.
 */
export type TextSignal =
  | 'instruction_override'
  | 'system_prompt_probe'
  | 'role_override'
  | 'prompt_delimiter'
  | 'html_script'
  | 'template_syntax'
  | 'code_execution';

const previous = '(?:previous|prior|above|earlier|preceding|all|any|your)';
const orders = '(?:instructions?|prompts?|rules|directions|guidelines|commands?)';
const earlierJa = '(?:これまで|今まで|以前|前|上記|先ほど|さっき|最初)';
const ordersJa = '(?:指示|命令|プロンプト|ルール|設定|制約)';

const patterns: readonly (readonly [TextSignal, RegExp])[] = [
  [
    'instruction_override',
    new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?\b${previous}\b[^.\n]{0,30}?\b${orders}\b` +
        `|${earlierJa}の?(?:すべて|全て|全部)?の?${ordersJa}(?:を|は)?(?:すべて|全て|全部)?(?:無視|忘れ|破棄|リセット)`,
      'u',
    ),
  ],
  [
    'system_prompt_probe',
    /\b(?:system|initial|hidden|original|developer)\s+(?:prompt|instructions?|message)\b|システム\s*プロンプト|初期プロンプト|隠され?た?(?:指示|プロンプト)/u,
  ],
  [
    'role_override',
    /\b(?:you are now|from now on,? you|act as|pretend (?:to be|you are)|roleplay as)\b[^.\n]{0,40}?\b(?:dan|jailbroken|unfiltered|uncensored|no (?:rules|restrictions|limits|filters)|evil)\b|\b(?:jailbreak|developer mode|dan mode)\b|開発者モード|脱獄|制限を(?:解除|無視|外)/u,
  ],
  [
    'prompt_delimiter',
    /<\/?(?:system|assistant|user|instructions?)>|<\|im_(?:start|end)\|>|\[\/?inst\]|<<\/?sys>>|^[ \t]*(?:human|assistant|system)[ \t]*:/mu,
  ],
  ['html_script', /<script\b|javascript:/u],
  ['template_syntax', /\{\{[\s\S]*?\}\}/u],
  ['code_execution', /__import__|os\.system|subprocess\./u],
];

/**
 * The text the signals are read from: invisible characters removed, NFKC (full-width ASCII
 * becomes ASCII, half-width kana full-width), lower case, runs of spaces (U+3000 included) made
 * one — so `ｉｇｎｏｒｅ　ｐｒｅｖｉｏｕｓ` and `ignore\u200b previous` read as `ignore previous`.
 * Line breaks are kept: a faked `Human:` turn starts a line. Never shown or stored.
 */
export function signalShadow(text: string): string {
  return stripInvisibleCharacters(text)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\S\n]+/gu, ' ');
}

/**
 * The signals present in `text`, read from its shadow (`signalShadow`), in the order `TextSignal`
 * lists them, each at most once; empty for an ordinary message. For observability only: see
 * `TextSignal` for why none of them rejects a message.
 *
 * @example inspectText('ｉｇｎｏｒｅ　ａｌｌ　ｐｒｅｖｉｏｕｓ　ｉｎｓｔｒｕｃｔｉｏｎｓ') // ['instruction_override']
 */
export function inspectText(text: string): readonly TextSignal[] {
  const shadow = signalShadow(text);
  return patterns.filter(([, pattern]) => pattern.test(shadow)).map(([signal]) => signal);
}
