// Reading a family's config.json fields: each one checked for type and range with a one-line error
// naming the file and the key, sizes bounded (a forged `num_hidden_layers: 1000000000` is refused
// here, not by the allocator), and transformers' defaults where a field may be absent.
import { UserError } from 'llm-scratch-core/errors';
import { describeJson as describe } from '../../io/json.js';

// Far above any open model (the largest: ~128 layers, ~16k wide, 256k vocabulary, 1M positions).
export const SIZE_LIMITS = {
  vocab: 1 << 24,
  positions: 1 << 22,
  width: 1 << 17,
  layers: 1024,
  heads: 1024,
} as const;

export class ConfigFields {
  constructor(
    readonly hf: Record<string, unknown>,
    readonly file: string,
  ) {}

  private fail(key: string, what: string): never {
    throw new UserError(`${this.file}: '${key}' must be ${what}, got ${describe(this.hf[key])}`);
  }

  // A positive integer up to `limit`, required unless a default is given.
  size(key: string, limit: number, fallback?: number): number {
    const v = this.hf[key] ?? fallback;
    if (v === undefined) throw new UserError(`${this.file}: missing '${key}'`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(key, 'a positive integer');
    if (v > limit) throw new UserError(`${this.file}: '${key}' ${v} is above the limit of ${limit}`);
    return v;
  }

  positive(key: string, fallback: number): number {
    const v = this.hf[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(key, 'a positive number');
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.hf[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  // One of the listed strings.
  choice<S extends string>(key: string, choices: readonly S[], fallback: S): S {
    const v = this.hf[key] ?? fallback;
    if (typeof v !== 'string' || !choices.includes(v as S))
      this.fail(key, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    return v as S;
  }

  // eos_token_id: an id or a list of ids (Llama 3 instruct ends on any of three); absent is none.
  tokenIds(key: string): number[] {
    const v = this.hf[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((id) => typeof id === 'number' && Number.isInteger(id) && id >= 0))
      this.fail(key, 'a token id or a list of token ids');
    return list as number[];
  }

  // An optional token id (bos_token_id, pad_token_id).
  tokenId(key: string): number | null {
    const v = this.hf[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(key, 'a token id or null');
    return v;
  }

  // The string dtype transformers records (torch_dtype, or dtype since transformers 4.56).
  dtype(): string {
    const v = this.hf.torch_dtype ?? this.hf.dtype ?? 'float32';
    return typeof v === 'string' ? v : 'float32';
  }
}

// eos_token_id as config.json writes it: one id as a number, several as a list.
export const tokenIdsToHF = (ids: readonly number[]): number | number[] | null =>
  ids.length === 0 ? null : ids.length === 1 ? ids[0] : [...ids];
