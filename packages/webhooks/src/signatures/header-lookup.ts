/** A header read from a delivery: absent (or blank), ambiguous, or one value. */
export type HeaderLookup =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ambiguous' }
  | { readonly kind: 'present'; readonly value: string };

/**
 * Reads one header by its lower-case name. The port promises lower-case names; a caller that
 * passed raw names still works, but two spellings of the same header carrying different values
 * (`Stripe-Signature` and `stripe-signature`) are `ambiguous` rather than silently picking one.
 * A blank value counts as missing.
 */
export function lookupHeader(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): HeaderLookup {
  let found: string | undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key.toLowerCase() !== name) continue;
    if (found !== undefined && found !== value) return { kind: 'ambiguous' };
    found = value;
  }
  if (found === undefined || found.trim() === '') return { kind: 'missing' };
  return { kind: 'present', value: found };
}
