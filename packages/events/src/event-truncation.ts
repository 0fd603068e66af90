import { truncateUtf8, utf8ByteLength } from '@mangaassist/commons';

/** EventBridge's limit for one PutEvents entry (and for a whole request), in bytes. */
export const maxPutEventsEntryBytes = 256 * 1024;

/** What a PutEvents entry is made of, as far as its size goes. */
export interface PutEventsEntryParts {
  readonly source: string;
  readonly detailType: string;
  /** The serialised detail. */
  readonly detail: string;
  /** Whether `Time` is set (it counts 14 bytes). @default false */
  readonly hasTime?: boolean;
  /** @default [] */
  readonly resources?: readonly string[];
}

/**
 * The size EventBridge assigns a PutEvents entry: UTF-8 bytes of Source, DetailType, Detail and
 * each Resources item, plus 14 when Time is set; EventBusName does not count ("Calculating
 * Amazon EventBridge PutEvents event entry size"). The domain twin of the EventBridge adapter's
 * `putEventsEntrySize`, which takes the SDK's entry type; both give the same number.
 */
export function putEventsEntryBytes(entry: PutEventsEntryParts): number {
  return (
    (entry.hasTime === true ? 14 : 0) +
    utf8ByteLength(entry.source) +
    utf8ByteLength(entry.detailType) +
    utf8ByteLength(entry.detail) +
    (entry.resources ?? []).reduce((sum, resource) => sum + utf8ByteLength(resource), 0)
  );
}

/** The text that replaces what was cut: `…[truncated 12345 bytes]` (bytes of UTF-8 removed). */
export function truncationMarker(removedBytes: number): string {
  return `…[truncated ${removedBytes} bytes]`;
}

export interface FitEventDetailOptions {
  readonly source: string;
  readonly detailType: string;
  /** @default 262144 (256 KiB, EventBridge's entry limit) */
  readonly maxEntryBytes?: number;
  /**
   * The text fields that may be cut, in the order they are cut; a dot walks into nested objects
   * (`data.synopsis`). A path that is absent or not a string is skipped.
   */
  readonly fields: readonly string[];
}

export interface FittedEventDetail<T> {
  /** Whether the entry now fits. `false` when cutting every listed field was not enough. */
  readonly fits: boolean;
  /** `detail` itself when it fitted; otherwise a copy with the cut fields (the input is never changed). */
  readonly detail: T;
  /** The entry's size with `detail`, counting Time's 14 bytes. */
  readonly entryBytes: number;
  /** The fields cut, in order, with the UTF-8 bytes each lost. */
  readonly truncated: readonly { readonly field: string; readonly removedBytes: number }[];
}

/**
 * Shrinks an event detail until its PutEvents entry fits `maxEntryBytes` by cutting the long
 * text fields named in `fields`, in that order, each about as much as needed (never less), and ending each cut
 * text with `truncationMarker(removedBytes)`. Cuts fall between code points, never inside one
 * (`truncateUtf8`); JSON escaping (quotes, backslashes, control characters) is counted exactly.
 * Time's 14 bytes are always counted, so the result fits whether or not the publisher sets Time.
 *
 * Never throws for size: returns `fits: false` (with the fields cut as far as they go) when the
 * other fields alone are too large — the publisher then rejects the event as too large. Throws
 * `RangeError` for a `maxEntryBytes` that is not a positive integer, and the `TypeError` of
 * `JSON.stringify` for a detail that cannot be serialised (a BigInt, a cycle).
 *
 * @example
 * const fitted = fitEventDetail(detail, { source: 'mangaassist.reviews', detailType: 'ReviewSubmitted', fields: ['review_text'] });
 */
export function fitEventDetail<T extends Record<string, unknown>>(
  detail: T,
  options: FitEventDetailOptions,
): FittedEventDetail<T> {
  const maxEntryBytes = options.maxEntryBytes ?? maxPutEventsEntryBytes;
  if (!Number.isSafeInteger(maxEntryBytes) || maxEntryBytes < 1) {
    throw new RangeError(`maxEntryBytes must be a positive integer, got ${maxEntryBytes}`);
  }
  const sizeOf = (value: Record<string, unknown>) =>
    putEventsEntryBytes({
      source: options.source,
      detailType: options.detailType,
      detail: JSON.stringify(value),
      hasTime: true,
    });

  let current: Record<string, unknown> = detail;
  let entryBytes = sizeOf(current);
  const truncated: { field: string; removedBytes: number }[] = [];
  for (const field of options.fields) {
    if (entryBytes <= maxEntryBytes) break;
    const path = field.split('.');
    const text = readPath(current, path);
    if (typeof text !== 'string') continue;
    const cut = cutText(text, entryBytes - maxEntryBytes);
    if (cut === undefined) continue;
    current = writePath(current, path, cut.text);
    entryBytes = sizeOf(current);
    truncated.push({ field, removedBytes: cut.removedBytes });
  }
  // Every object on a written path was copied from `detail`, so `current` has T's shape.
  return { fits: entryBytes <= maxEntryBytes, detail: current as T, entryBytes, truncated };
}

/** Bytes `text` takes inside a serialised detail: its JSON string form without the quotes. */
function encodedBytes(text: string): number {
  return utf8ByteLength(JSON.stringify(text)) - 2;
}

/**
 * `text` cut so that its serialised form is at least `excess` bytes shorter, marker included;
 * as little as that, or everything when even that is not enough. `undefined` when cutting would
 * not make it shorter at all (a text shorter than the marker).
 */
function cutText(text: string, excess: number): { text: string; removedBytes: number } | undefined {
  const originalEncoded = encodedBytes(text);
  const target = originalEncoded - excess;
  const rawBytes = utf8ByteLength(text);
  let prefixBudget = rawBytes - excess - utf8ByteLength(truncationMarker(rawBytes));
  for (;;) {
    const prefix = truncateUtf8(text, Math.max(0, prefixBudget));
    const removedBytes = rawBytes - utf8ByteLength(prefix);
    const candidate = `${prefix}${truncationMarker(removedBytes)}`;
    const over = encodedBytes(candidate) - target;
    if (over <= 0 || prefix === '') {
      return encodedBytes(candidate) < originalEncoded ? { text: candidate, removedBytes } : undefined;
    }
    // Dropping `over` more raw bytes drops at least `over` serialised bytes: the prefix shrinks
    // every round, so the loop ends.
    prefixBudget = utf8ByteLength(prefix) - over;
  }
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of `target` with `text` at `path`, copying only the objects along the path. */
function writePath(
  target: Record<string, unknown>,
  path: readonly string[],
  text: string,
): Record<string, unknown> {
  const [key, ...rest] = path;
  if (key === undefined) return target;
  const child = target[key];
  return {
    ...target,
    [key]: rest.length === 0 || !isPlainObject(child) ? text : writePath(child, rest, text),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
