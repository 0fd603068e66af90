import type * as z from 'zod/mini';

export type ReadJson<T> =
  | { readonly ok: true; readonly value: T }
  /** `issues` is undefined when the text is not JSON at all. */
  | { readonly ok: false; readonly issues?: string };

/**
 * Reads a JSON text against a schema: `JSON.parse`, then `safeParse`. A failure says which: not
 * JSON (no `issues`), or the schema's issues as `path: message; …` (`root` names the whole value).
 */
export function readJson<S extends z.ZodMiniType>(
  schema: S,
  text: string,
  root: string,
): ReadJson<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`);
  return { ok: false, issues: issues.join('; ') };
}
