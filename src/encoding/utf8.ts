/** The code point Go reads at `i`: a lone surrogate is invalid UTF-8, which Go decodes as U+FFFD. */
function goRuneAt(s: string, i: number): number {
  const c = s.codePointAt(i) as number;
  return c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
}

/**
 * Go's string comparison (`a < b`, strings.Compare, sort.Strings) for JavaScript strings: the byte order
 * of their UTF-8 encodings, which is code point order; a lone surrogate orders as the U+FFFD that
 * encoding it to UTF-8 gives. Negative, zero or positive, for Array.prototype.sort. Allocates nothing.
 */
export function goStringCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = goRuneAt(a, i);
    const y = goRuneAt(b, j);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
}
