import { utf8ByteLength } from '@mangaassist/commons';
import { sanitizeForPrompt } from './sanitize.js';

export type TextRejectionReason =
  | 'too_many_bytes'
  | 'null_byte'
  | 'control_characters'
  | 'empty'
  | 'invalid_utf16';

export interface TextRejectionDetails {
  /** The limit that was exceeded (bytes, or a ratio for `control_characters`). */
  readonly limit?: number;
  /** The measured value (bytes, or a ratio for `control_characters`). */
  readonly actual?: number;
  /** How many offending characters were found. */
  readonly count?: number;
  /** UTF-16 offset of the first offending character in the text as received. */
  readonly index?: number;
}

/**
 * User text that cannot be accepted. `reason` is a stable code for clients and metrics;
 * `message` is safe to show (it never echoes the text).
 */
export class TextRejectedError extends Error {
  override readonly name = 'TextRejectedError';
  constructor(
    readonly reason: TextRejectionReason,
    message: string,
    readonly details: TextRejectionDetails = {},
  ) {
    super(message);
  }
}

export interface TextLimits {
  /**
   * Maximum UTF-8 size of the text as received. A Japanese character is 3 bytes, so the
   * default allows about 5 400 of them.
   * @default 16_384
   */
  readonly maxBytes?: number;
  /**
   * Maximum share of control and format characters (Unicode Cc and Cf, except `\n`, `\r`,
   * `\t`), measured after sanitising.
   * @default 0.05
   */
  readonly maxControlRatio?: number;
}

export const defaultTextLimits = { maxBytes: 16_384, maxControlRatio: 0.05 } as const satisfies TextLimits;

export interface ValidatedText {
  /** The text after `sanitizeForPrompt`: what to put in the prompt and store. */
  readonly text: string;
  /** UTF-8 size of `text`. */
  readonly bytes: number;
}

const loneSurrogate = /\p{Surrogate}/u;
// Emoji tag sequences (🏴󠁧󠁢󠁥󠁮󠁧󠁿) are made of Cf tag characters U+E0020–U+E007F; they are not noise.
const controlCharacter = /(?![\n\r\t\u{E0020}-\u{E007F}])[\p{Cc}\p{Cf}]/gu;

/**
 * Checks one chat message and returns it sanitised, or throws `TextRejectedError`.
 *
 * Checks, in order: UTF-8 size of the text as received (`too_many_bytes`), lone surrogates
 * that no UTF-8 encoder can represent (`invalid_utf16`), U+0000 (`null_byte`), then — after
 * `sanitizeForPrompt` — the share of control characters (`control_characters`) and emptiness
 * (`empty`). The ratio is measured after sanitising on purpose: zero-width joiners, bidi
 * marks and BOMs are Cf too, and a message of ZWJ emoji (👨‍👩‍👧 is 3 of 5 code points) or
 * text pasted from a right-to-left page must not be rejected for characters the sanitiser
 * removes anyway.
 *
 * Markup, template syntax and mixed scripts are not grounds for rejection; see `inspectText`.
 */
export function validateUserText(text: string, limits: TextLimits = {}): ValidatedText {
  const maxBytes = limits.maxBytes ?? defaultTextLimits.maxBytes;
  const maxControlRatio = limits.maxControlRatio ?? defaultTextLimits.maxControlRatio;

  const receivedBytes = utf8ByteLength(text);
  if (receivedBytes > maxBytes) {
    throw new TextRejectedError(
      'too_many_bytes',
      `Message is ${receivedBytes} bytes in UTF-8; the limit is ${maxBytes}.`,
      { limit: maxBytes, actual: receivedBytes },
    );
  }
  const surrogate = loneSurrogate.exec(text);
  if (surrogate) {
    throw new TextRejectedError('invalid_utf16', 'Message is not valid Unicode (unpaired surrogate).', {
      index: surrogate.index,
    });
  }
  const nullIndex = text.indexOf('\0');
  if (nullIndex !== -1) {
    throw new TextRejectedError('null_byte', 'Message contains a null character.', { index: nullIndex });
  }

  const sanitized = sanitizeForPrompt(text);
  if (sanitized === '') {
    throw new TextRejectedError('empty', 'Message is empty.');
  }
  const controls = sanitized.match(controlCharacter)?.length ?? 0;
  const ratio = controls / codePointCount(sanitized);
  if (ratio > maxControlRatio) {
    throw new TextRejectedError(
      'control_characters',
      `Message has too many control characters (${controls}).`,
      { limit: maxControlRatio, actual: ratio, count: controls },
    );
  }
  return { text: sanitized, bytes: utf8ByteLength(sanitized) };
}

function codePointCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) index++;
    count++;
  }
  return count;
}
