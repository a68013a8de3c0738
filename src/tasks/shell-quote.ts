// A string as one shell word: `a b;rm -rf x.txt` → `'a b;rm -rf x.txt'`. Plain words stay bare.

const PLAIN = /^[A-Za-z0-9_./,:@%+=-]+$/

/** `text` quoted so that sh reads it back as exactly one word, never as code. */
export function shellQuote(text: string): string {
  if (PLAIN.test(text)) return text
  return `'${text.replaceAll("'", `'\\''`)}'`
}
