// Parsers for option values that several commands share.
import { UsageError, UserError } from '../errors.js';

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

// Token ids must index the model's vocabulary.
export function checkIdsInVocabulary(ids: readonly number[], vocabSize: number): void {
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) {
    throw new UserError(`token id ${bad} is out of range for the model's vocabulary of ${vocabSize}`);
  }
}

// Count-like options ({ 'batch-size': 8, ... }): each one given must be at least 1.
export function checkAtLeastOne(values: Record<string, number | undefined>): void {
  for (const [flag, v] of Object.entries(values)) {
    if (v !== undefined && v < 1) throw new UsageError(`--${flag} must be at least 1`);
  }
}
