/**
 * Tokenisers of clkhash's comparisons. n-grams run over Unicode code points (as Python slices
 * do); for n > 1 the value is padded with n-1 spaces each side; positional tokens are
 * "<1-based index> <gram>". An empty value yields no tokens for every comparison.
 */
import type { Comparison, Strategy } from './schema.js';
import { parsePythonFloat, parsePythonInt, roundHalfEven } from './python-text.js';

export class TokenError extends Error {}

/** True if the string has a UTF-16 surrogate (so code units are not code points). */
export function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xe000) return true;
  }
  return false;
}

export function ngramTokens(value: string, n: number, positional: boolean, out: string[] = []): string[] {
  if (value.length === 0) return out;
  const pad = n > 1 ? ' '.repeat(n - 1) : '';
  const word = pad + value + pad;
  if (!hasSurrogate(word)) {
    const count = word.length - n + 1;
    for (let i = 0; i < count; i++) {
      const gram = word.slice(i, i + n);
      out.push(positional ? `${i + 1} ${gram}` : gram);
    }
    return out;
  }
  const cps = Array.from(word);
  const count = cps.length - n + 1;
  for (let i = 0; i < count; i++) {
    const gram = cps.slice(i, i + n).join('');
    out.push(positional ? `${i + 1} ${gram}` : gram);
  }
  return out;
}

/**
 * clkhash's NumericComparison: quantise the number onto a grid of thresholdDistance/(2·resolution)
 * (scaled by 2·resolution to stay in integers) and emit the 2·resolution+1 neighbours.
 * BigInt keeps Python's arbitrary-precision integer arithmetic.
 */
export function numericTokens(
  value: string,
  thresholdDistance: number,
  resolution: number,
  fractionalPrecision: number,
  out: string[] = [],
): string[] {
  if (value.length === 0) return out;
  const scale = 10n ** BigInt(fractionalPrecision);
  const scaleFloat = Number(scale);
  const interval = BigInt(roundHalfEven(thresholdDistance * scaleFloat));
  let v: bigint;
  const asInt = parsePythonInt(value);
  if (asInt !== null) {
    v = fractionalPrecision > 0 ? asInt * scale : asInt;
  } else {
    const f = parsePythonFloat(value);
    if (f === null) throw new TokenError('value is not a number');
    if (!Number.isFinite(f)) throw new TokenError('value is not a finite number');
    v = BigInt(fractionalPrecision > 0 ? roundHalfEven(f * scaleFloat) : Math.trunc(f));
  }
  v = v * 2n * BigInt(resolution);
  let residue = v % interval;
  if (residue < 0n) residue += interval; // Python's % takes the divisor's sign
  if (residue !== 0n) v = 2n * residue < interval ? v - residue : v + (interval - residue);
  for (let i = -resolution; i <= resolution; i++) out.push((v + BigInt(i) * interval).toString());
  return out;
}

/** Tokens of a (formatted) value for a comparison. */
export function tokenize(comparison: Comparison, value: string, out: string[] = []): string[] {
  switch (comparison.type) {
    case 'ngram':
      return ngramTokens(value, comparison.n, comparison.positional, out);
    case 'exact':
      if (value.length > 0) out.push(value);
      return out;
    case 'numeric':
      return numericTokens(
        value,
        comparison.thresholdDistance,
        comparison.resolution,
        comparison.fractionalPrecision,
        out,
      );
  }
}

/**
 * Bits per token: bitsPerToken k for every token, or bitsPerFeature B spread over T tokens
 * (the first B mod T tokens get floor(B/T)+1, the rest floor(B/T)).
 */
export function bitsForToken(strategy: Strategy, tokenCount: number, index: number): number {
  const base = baseBitsPerToken(strategy, tokenCount);
  return index < tokensWithExtraBit(strategy, tokenCount) ? base + 1 : base;
}

/** floor(B/T) for bitsPerFeature B over T tokens, else bitsPerToken. */
export function baseBitsPerToken(strategy: Strategy, tokenCount: number): number {
  return strategy.type === 'bitsPerToken' ? strategy.bitsPerToken : Math.floor(strategy.bitsPerFeature / tokenCount);
}

/** How many leading tokens get one bit more than the base: B mod T for bitsPerFeature, else 0. */
export function tokensWithExtraBit(strategy: Strategy, tokenCount: number): number {
  return strategy.type === 'bitsPerToken' ? 0 : strategy.bitsPerFeature % tokenCount;
}
