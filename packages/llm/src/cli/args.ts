// Parsers for option values that several commands share.
import { UsageError } from 'llm-scratch-core/errors';

// '1,2,3' (or '1 2 3') -> [1, 2, 3]; every entry a non-negative integer.
export function parseIdList(flag: string, raw: string): number[] {
  const parts = raw.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`--${flag} expects token ids such as 1,2,3`);
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${flag}: '${p}' is not a token id`);
    return v;
  });
}

// The generator takes its seed modulo 2^32 (splitmix32): a wider range would alias silently.
export const SEED_RANGE = { min: 0, max: 2 ** 32 - 1 } as const;
