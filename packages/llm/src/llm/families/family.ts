// A model family (GPT-2, Llama 3, Qwen3, ...): what downstream code (logits, generate, chat,
// serve, fine-tuning) needs from any causal language model, and what the loader needs to build one
// from a Hugging Face model directory. Each family is one readable file of its architecture plus
// one declared map from the hub's tensor names to ours; the registry (registry.ts) picks the family
// from config.json's model_type / architectures.
import type { WriteHubOptions } from '../../io/hub-weights.js';
import type { InitOptions, Module } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';
import { type KVCache, type LayerCache, RowCaches } from '../kv-cache.js';

export interface ForwardOptions {
  // With a cache, ids are the tokens after those already cached and positions continue from there.
  cache?: KVCache;
  // Compute the logits of the last position only (all that generation needs).
  lastOnly?: boolean;
  // Return the final norm's output (B, T, C) instead of the logits: what embeddings are made of.
  hidden?: boolean;
  // Instead of cache: one cache per row of ids (B, 1), each row the next token of a sequence of its
  // own at its own position (continuous batching). Each row's logits are those the sequence gets
  // decoding alone with its cache, as long as B is at most 8 (linear's matrix-vector rows). The
  // Llama 3, Qwen3 and Gemma 3 models read it; GPT-2's batches go through Decoder.stepBatch.
  rows?: readonly KVCache[];
}

// The position each row of ids continues from (options.rows) and the check that ids fits them.
function rowPositions(rows: readonly KVCache[], ids: Tensor, who: string): number[] {
  const [B, Tn] = ids.shape;
  if (rows.length !== B || Tn !== 1 || new Set(rows).size !== B)
    throw new Error(
      `${who}: rows needs one distinct cache per row of ids (B, 1), got ${rows.length} for ids [${B}, ${Tn}]`,
    );
  return rows.map((c) => c.length);
}

// Where a forward starts: each row's position (options.rows), or the cache's length; and the check
// that its tokens fit the context.
export function forwardStarts(
  options: ForwardOptions,
  ids: Tensor,
  contextLength: number,
  who: string,
): number[] {
  const [, Tn] = ids.shape;
  const starts = options.rows ? rowPositions(options.rows, ids, who) : [options.cache?.length ?? 0];
  const end = Math.max(...starts) + Tn;
  if (end > contextLength)
    throw new Error(`${who}: ${end} tokens exceed the context length ${contextLength}`);
  return starts;
}

export interface RopeTables {
  cos: Tensor;
  sin: Tensor;
}

// A forward's rotary tables from a family's table (`at`: Tn positions from a start): (T, hs) for
// the one sequence of ids; with options.rows, each row's (1, hs) stacked as (B, 1, 1, hs) for
// RowCaches, which is also what the blocks get as their tables (they read each row's from the cache).
export function forwardRope(
  table: { at(start: number, Tn: number): RopeTables },
  starts: readonly number[],
  Tn: number,
  options: ForwardOptions,
): { rope: RopeTables; rowRope: RopeTables | null } {
  if (!options.rows) return { rope: table.at(starts[0], Tn), rowRope: null };
  const ropes = starts.map((s) => table.at(s, 1));
  const stack = (parts: Tensor[]) => T.concat(parts, 0).view([parts.length, 1, 1, parts[0].shape[1]]);
  const rowRope = { cos: stack(ropes.map((r) => r.cos)), sin: stack(ropes.map((r) => r.sin)) };
  return { rope: rowRope, rowRope };
}

// Layer i's cache: the one cache's, or each row's with their rotary embedding (forwardRope).
export function layerCache(
  options: ForwardOptions,
  i: number,
  rowRope: RopeTables | null,
): LayerCache | RowCaches | undefined {
  if (!options.rows || !rowRope) return options.cache?.layers[i];
  return new RowCaches(
    options.rows.map((c) => c.layers[i]),
    rowRope,
  );
}

// What every family's config tells the code that runs it.
export interface ModelShape {
  vocabSize: number;
  contextLength: number;
}

// A causal language model of any family: forward(ids (B, T) int32) -> logits (B, T, V).
export interface CausalLM extends Module {
  readonly config: ModelShape;
  // The family's name in the registry ('gpt2', 'llama3', 'qwen3').
  readonly family: string;
  // The tokens that end a generation by default (config.json's eos_token_id, which may be a list).
  readonly eosTokenIds: readonly number[];
  forward(ids: Tensor, options?: ForwardOptions): Tensor;
  newCache(batch?: number): KVCache;
}

// One tensor of the hub layout: its name there, our parameter path, and its shape (the same in
// both: these families store nn.Linear weights (out, in), as we do).
export interface HubTensor {
  hub: string;
  ours: string;
  shape: number[];
}

export interface ParameterCount {
  // Every distinct parameter (a tied output head counted once).
  total: number;
  // Without the token embedding (and without an untied output head), as model cards quote it.
  nonEmbedding: number;
}

// The shape of a config in a few named numbers, for `info`.
export type ShapeSummary = Record<string, number | string | boolean>;

export interface Family<C extends ModelShape = ModelShape> {
  readonly name: string;
  // config.json's model_type values this family reads, and the architectures it answers to.
  readonly modelTypes: readonly string[];
  readonly architectures: readonly string[];
  // Validates config.json (every field the model is built from, with one-line errors naming `file`).
  configFromHF(hf: Record<string, unknown>, file: string): C;
  // config.json as transformers writes it for this family.
  configToHF(config: C): Record<string, unknown>;
  eosTokenIds(config: C): number[];
  create(config: C, init?: InitOptions): CausalLM;
  // The declared map, every tensor of the hub layout (lm_head only when untied).
  hubTensors(config: C): HubTensor[];
  parameterCount(config: C): ParameterCount;
  summary(config: C): ShapeSummary;
  // A family whose hub layout is not one tensor per parameter (GPT-2's fused q/k/v and transposed
  // Conv1D weights) checks, loads and saves its directories itself.
  readonly ownLoader?: {
    check(dir: string): C;
    load(dir: string): CausalLM;
    save(dir: string, model: CausalLM, options: WriteHubOptions): void;
  };
}

// A family with its config type erased, as the registry holds them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFamily = Family<any>;
