/**
 * An event as Event Ruler (the matcher behind EventBridge) sees it: its leaves (strings,
 * numbers, booleans, `null`), each under the dot-joined names of the keys leading to it. Arrays
 * add no name: their elements sit under the array's own path, each remembering which element of
 * which array it came from, so that a match never combines fields from different elements of the
 * same array. Objects and empty arrays are not leaves.
 */

/** A leaf value of a JSON document. */
export type JsonLeaf = string | number | boolean | null;

/** Which element of which array (numbered in document order) a field lies in. */
export interface ArrayPosition {
  readonly array: number;
  readonly index: number;
}

/** One leaf of the event. */
export interface EventField {
  readonly value: JsonLeaf;
  /** Outermost array first; empty for a field in no array. */
  readonly positions: readonly ArrayPosition[];
}

/** The event's leaves by path (`detail.state`). */
export type EventFields = ReadonlyMap<string, readonly EventField[]>;

/**
 * Flattens a parsed JSON event. Values JSON cannot hold (`undefined`, functions, …) are skipped
 * as if absent.
 */
export function flattenEvent(event: unknown): EventFields {
  const fields = new Map<string, EventField[]>();
  let arrays = 0;
  const visit = (value: unknown, path: string, positions: readonly ArrayPosition[]): void => {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      const atPath = fields.get(path);
      const field = { value, positions };
      if (atPath === undefined) fields.set(path, [field]);
      else atPath.push(field);
      return;
    }
    if (Array.isArray(value)) {
      const array = arrays++;
      for (const [index, element] of value.entries()) visit(element, path, [...positions, { array, index }]);
      return;
    }
    if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        visit(child, path === '' ? key : `${path}.${key}`, positions);
      }
    }
  };
  visit(event, '', []);
  return fields;
}
