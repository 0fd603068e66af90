/** ISBN-13: twelve digits and a check digit, weights 1 and 3 alternating, sum ≡ 0 (mod 10). */

/** The check digit that completes `first12` (twelve digits). Throws `RangeError` otherwise. */
export function isbn13CheckDigit(first12: string): number {
  if (!/^\d{12}$/.test(first12)) throw new RangeError(`expected 12 digits, got "${first12}"`);
  let sum = 0;
  for (let index = 0; index < 12; index++) sum += Number(first12[index]) * (index % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** Whether `isbn` is an ISBN-13 (hyphens and spaces allowed) whose check digit is right. */
export function isValidIsbn13(isbn: string): boolean {
  const digits = isbn.replace(/[-\s]/g, '');
  return /^97[89]\d{10}$/.test(digits) && isbn13CheckDigit(digits.slice(0, 12)) === Number(digits[12]);
}

/** The ISBN-13 of `first12`, check digit added. */
export function completeIsbn13(first12: string): string {
  return `${first12}${isbn13CheckDigit(first12)}`;
}
