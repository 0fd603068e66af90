/**
 * The JSON paths of an input transformer's `InputPathsMap` (`$.detail.product_id`). EventBridge
 * supports only part of JSONPath ("Amazon EventBridge input transformation"): dot notation with
 * names of letters, digits, dashes, underscores and forward slashes, array indices (`[0]`) and
 * wildcards (`.*`, `[*]`); `$` alone is the whole event.
 */

/** One step of a path. */
export type InputPathStep =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' };

/** What a path reads from an event: a value, or nothing when the path leads nowhere. */
export type InputPathResult = { readonly found: true; readonly value: unknown } | { readonly found: false };

/** Why a path is refused. */
export class InputPathSyntaxError extends Error {
  override readonly name = 'InputPathSyntaxError';
}

const stepPattern = /^(?:\.([A-Za-z0-9_\-/]+)|\.\*|\[(\d+)\]|\[\*\])/;

/** Parses `path`; throws `InputPathSyntaxError` for syntax EventBridge does not support. */
export function parseInputPath(path: string): readonly InputPathStep[] {
  if (!path.startsWith('$')) throw new InputPathSyntaxError(`JSON path must start with $: ${path}`);
  const steps: InputPathStep[] = [];
  let rest = path.slice(1);
  while (rest !== '') {
    const step = stepPattern.exec(rest);
    if (step === null) throw new InputPathSyntaxError(`Unsupported JSON path syntax at "${rest}" in ${path}`);
    const [whole, name, index] = step;
    if (name !== undefined) steps.push({ kind: 'key', name });
    else if (index !== undefined) steps.push({ kind: 'index', index: Number(index) });
    else steps.push({ kind: 'wildcard' });
    rest = rest.slice(whole.length);
  }
  return steps;
}

/**
 * Reads `steps` from `event`. Without a wildcard the value is the one the path leads to; with
 * one, the array of every value it leads to (nothing found when there are none).
 */
export function readInputPath(event: unknown, steps: readonly InputPathStep[]): InputPathResult {
  let values: unknown[] = [event];
  let many = false;
  for (const step of steps) {
    values = values.flatMap((value) => stepInto(value, step));
    if (step.kind === 'wildcard') many = true;
  }
  if (many) return values.length === 0 ? { found: false } : { found: true, value: values };
  const [value] = values;
  return values.length === 0 ? { found: false } : { found: true, value };
}

function stepInto(value: unknown, step: InputPathStep): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  switch (step.kind) {
    case 'key': {
      if (Array.isArray(value) || !Object.hasOwn(value, step.name)) return [];
      const child: unknown = Reflect.get(value, step.name);
      return child === undefined ? [] : [child];
    }
    case 'index':
      return Array.isArray(value) && step.index < value.length ? [value[step.index]] : [];
    case 'wildcard':
      return (Array.isArray(value) ? value : Object.values(value)).filter((child) => child !== undefined);
  }
}
