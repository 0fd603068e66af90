/**
 * An input transformer's `InputTemplate`, cut into literal text and `<name>` placeholders, each
 * placeholder knowing where it stands. A template whose first character (after blanks) is `{` or
 * `[` is JSON: a placeholder outside quotes stands for a JSON value, one inside quotes for text
 * within a string. Any other template is text, and so are all its placeholders. `<` and `>`
 * cannot be escaped ("Amazon EventBridge input transformation").
 */

/** Where a placeholder stands. */
export type PlaceholderContext = 'json-value' | 'text';

/** A run of the template. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'placeholder';
      readonly name: string;
      readonly context: PlaceholderContext;
      /** It stands where a JSON object key does (alone, or inside a quoted key). */
      readonly isObjectKey: boolean;
    };

/** A scanned template. */
export interface ScannedTemplate {
  readonly isJson: boolean;
  readonly parts: readonly TemplatePart[];
}

const placeholderPattern = /<([^<>\s]+)>/y;

/** Cuts `template` into parts. Never throws. */
export function scanTemplate(template: string): ScannedTemplate {
  const isJson = /^\s*[{[]/.test(template);
  const parts: TemplatePart[] = [];
  let text = '';
  let inString = false;
  // Placeholders of the string being read, to mark once we know whether it is a key.
  let stringPlaceholders: number[] = [];
  const flushText = (): void => {
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
  };
  for (let index = 0; index < template.length; index++) {
    const character = template.charAt(index);
    if (character === '<') {
      placeholderPattern.lastIndex = index;
      const placeholder = placeholderPattern.exec(template);
      if (placeholder !== null) {
        const [whole, name = ''] = placeholder;
        flushText();
        const inJsonValue = isJson && !inString;
        const end = index + whole.length;
        if (inString) stringPlaceholders.push(parts.length);
        parts.push({
          kind: 'placeholder',
          name,
          context: inJsonValue ? 'json-value' : 'text',
          isObjectKey: inJsonValue && nextSignificant(template, end) === ':',
        });
        index = end - 1;
        continue;
      }
    }
    text += character;
    if (!isJson) continue;
    if (inString && character === '\\') {
      text += template.charAt(index + 1);
      index++;
    } else if (character === '"') {
      inString = !inString;
      if (!inString) {
        if (nextSignificant(template, index + 1) === ':') markAsKeys(parts, stringPlaceholders);
        stringPlaceholders = [];
      }
    }
  }
  flushText();
  return { isJson, parts };
}

/**
 * `json` without the blanks between its tokens, strings untouched, numbers as written. Only
 * meaningful for valid JSON.
 */
export function minifyJson(json: string): string {
  let result = '';
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const character = json.charAt(index);
    if (inString) {
      result += character;
      if (character === '\\') {
        result += json.charAt(index + 1);
        index++;
      } else if (character === '"') {
        inString = false;
      }
    } else if (character === '"') {
      inString = true;
      result += character;
    } else if (!/\s/.test(character)) {
      result += character;
    }
  }
  return result;
}

function nextSignificant(template: string, from: number): string | undefined {
  const rest = template.slice(from).trimStart();
  return rest === '' ? undefined : rest.charAt(0);
}

function markAsKeys(parts: TemplatePart[], indices: readonly number[]): void {
  for (const index of indices) {
    const part = parts[index];
    if (part?.kind === 'placeholder') parts[index] = { ...part, isObjectKey: true };
  }
}
