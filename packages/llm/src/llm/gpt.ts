// Chapter 4: implementing a GPT model from scratch to generate text. Config and presets, the
// feed-forward network with GELU, the pre-norm transformer block with shortcut connections, and
// the GPT model itself (token + position embeddings, blocks, final norm, output head).
// Shapes: B batch, T tokens, C embedding size, V vocabulary.
import { UserError } from 'llm-scratch-core/errors';
import {
  Dropout,
  Embedding,
  GELU,
  type InitOptions,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  Sequential,
} from '../nn/index.js';
import * as T from '../tensor/index.js';
import { globalRng, Tensor } from '../tensor/index.js';
import { MultiHeadAttention } from './attention.js';
import type { CausalLM, ForwardOptions } from './families/family.js';
import { KVCache } from './kv-cache.js';

export interface GPTConfig {
  // Vocabulary size (50,257 for GPT-2's BPE).
  vocabSize: number;
  // Longest sequence the position embedding covers.
  contextLength: number;
  // Embedding size C.
  embDim: number;
  // Attention heads per block (C must divide by it).
  nHeads: number;
  // Transformer blocks.
  nLayers: number;
  // Dropout on embeddings, attention weights and shortcut paths (0.1 in the book, 0 for inference).
  dropRate: number;
  // Bias on the query/key/value projections (false in the book's model, true in OpenAI's GPT-2).
  qkvBias: boolean;
  // Share the output head with the token embedding, as GPT-2 does.
  tieWeights?: boolean;
}

export { PRESETS, presetConfig } from './presets.js';

export function validateConfig(config: GPTConfig): void {
  for (const key of ['vocabSize', 'contextLength', 'embDim', 'nHeads', 'nLayers'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new UserError(`config: ${key} must be a positive integer, got ${config[key]}`);
    }
  }
  if (config.embDim % config.nHeads !== 0) {
    throw new UserError(`config: embDim ${config.embDim} must be divisible by nHeads ${config.nHeads}`);
  }
  if (!(config.dropRate >= 0 && config.dropRate < 1)) {
    throw new UserError(`config: dropRate must be in [0, 1), got ${config.dropRate}`);
  }
}

// Section 4.3: Linear(C, 4C) -> GELU -> Linear(4C, C).
export class FeedForward extends Module {
  layers: Sequential;

  constructor(config: GPTConfig, init: InitOptions = {}) {
    super();
    this.layers = new Sequential(
      new Linear(config.embDim, 4 * config.embDim, init),
      new GELU(),
      new Linear(4 * config.embDim, config.embDim, init),
    );
  }

  // With a residual, returns residual + FF(x). Two plain Linears around the GELU run as two
  // GEMMs whose epilogues do bias + GELU and bias + the shortcut; layers replaced by others
  // (LoRA) run one by one.
  forward(x: Tensor, residual?: Tensor): Tensor {
    const [up, act, down] = [this.layers[0], this.layers[1], this.layers[2]];
    if (this.layers.length === 3 && up instanceof Linear && act instanceof GELU && down instanceof Linear) {
      return down.forward(up.forward(x, { gelu: true }), { residual });
    }
    const y = this.layers.forward(x);
    return residual ? residual.add(y) : y;
  }
}

// Section 4.5: pre-norm attention and feed-forward, each wrapped in a shortcut connection.
export class TransformerBlock extends Module {
  att: MultiHeadAttention;
  ff: FeedForward;
  norm1: LayerNorm;
  norm2: LayerNorm;
  drop_shortcut: Dropout;

  constructor(config: GPTConfig, init: InitOptions = {}) {
    super();
    this.att = new MultiHeadAttention(
      config.embDim,
      config.embDim,
      config.contextLength,
      config.dropRate,
      config.nHeads,
      {
        qkvBias: config.qkvBias,
        ...init,
      },
    );
    this.ff = new FeedForward(config, init);
    this.norm1 = new LayerNorm(config.embDim);
    this.norm2 = new LayerNorm(config.embDim);
    this.drop_shortcut = new Dropout(config.dropRate, init.rng);
  }

  forward(x: Tensor, cache?: KVCache['layers'][number]): Tensor {
    const h = x.add(this.drop_shortcut.forward(this.att.forward(this.norm1.forward(x), cache))); // (B, T, C)
    // Without dropout on the shortcut path, its add is the FF's last epilogue.
    if (!this.drop_shortcut.training || this.drop_shortcut.p === 0)
      return this.ff.forward(this.norm2.forward(h), h);
    return h.add(this.drop_shortcut.forward(this.ff.forward(this.norm2.forward(h))));
  }
}

// Section 4.6: the GPT model. forward(ids (B, T) int32) -> logits (B, T, V).
export class GPTModel extends Module implements CausalLM {
  readonly family = 'gpt2';
  // GPT-2's <|endoftext|>.
  readonly eosTokenIds: readonly number[] = [50256];
  readonly config: GPTConfig;
  tok_emb: Embedding;
  pos_emb: Embedding;
  drop_emb: Dropout;
  trf_blocks: ModuleList<TransformerBlock>;
  final_norm: LayerNorm;
  out_head: Linear;
  // Set by keepWeightsInBf16 (decoder.ts): the matrices live only as bf16 copies for the decoder.
  decodeOnly = false;

  constructor(config: GPTConfig, options: InitOptions = {}) {
    super();
    validateConfig(config);
    this.config = { ...config };
    const init = { ...options, rng: options.rng ?? globalRng };
    this.tok_emb = new Embedding(config.vocabSize, config.embDim, init);
    this.pos_emb = new Embedding(config.contextLength, config.embDim, init);
    this.drop_emb = new Dropout(config.dropRate, init.rng);
    this.trf_blocks = new ModuleList(
      Array.from({ length: config.nLayers }, () => new TransformerBlock(config, init)),
    );
    this.final_norm = new LayerNorm(config.embDim);
    this.out_head = new Linear(config.embDim, config.vocabSize, { ...init, bias: false });
    if (config.tieWeights) this.out_head.weight = this.tok_emb.weight;
  }

  // With a cache, ids are the tokens after those already cached and positions continue from there.
  // lastOnly computes the logits of the last position only (all that generation needs); hidden
  // returns the final norm's output instead of the logits.
  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    if (options.rows)
      throw new Error('GPTModel: sequences decoded together go through Decoder.stepBatch, not rows');
    const h = this.hidden(ids, options);
    return options.hidden ? h : this.out_head.forward(h); // (B, T, V)
  }

  // The final norm's output (B, T, C), what the head turns into logits; the training loss takes it
  // to the head and the cross-entropy in one op (linearCrossEntropy).
  hidden(ids: Tensor, options: { cache?: KVCache; lastOnly?: boolean } = {}): Tensor {
    if (this.decodeOnly) {
      throw new Error(
        'GPTModel: this model keeps its weights in bf16 for decoding only; generate with the KV cache, or load it in f32',
      );
    }
    const { cache } = options;
    const [, Tn] = ids.shape;
    const start = cache?.length ?? 0;
    if (start + Tn > this.config.contextLength) {
      throw new Error(
        `GPTModel: ${start + Tn} tokens exceed the context length ${this.config.contextLength}`,
      );
    }
    const positions = T.arange(start, start + Tn, 1, { dtype: 'int32' });
    let x = this.tok_emb.forward(ids).add(this.pos_emb.forward(positions)); // (B, T, C)
    x = this.drop_emb.forward(x);
    [...this.trf_blocks].forEach((block, i) => {
      x = block.forward(x, cache?.layers[i]);
    });
    if (options.lastOnly && Tn > 1) x = x.narrow(1, Tn - 1, 1); // (B, 1, C)
    return this.final_norm.forward(x);
  }

  newCache(batch = 1): KVCache {
    const { nLayers, nHeads, contextLength, embDim } = this.config;
    return new KVCache(nLayers, batch, nHeads, contextLength, embDim / nHeads);
  }
}

export interface ModelSize {
  parameters: number;
  // With the output head tied to the token embedding (how GPT-2 counts its 124M).
  parametersTied: number;
  // float32 size of `parameters`, in MB of 2^20 bytes, as the book computes it.
  megabytes: number;
}

// Section 4.6's accounting, from the config alone (no need to allocate gpt2-xl to count it).
export function modelSize(config: GPTConfig): ModelSize {
  const { vocabSize: V, contextLength, embDim: C, nLayers, qkvBias } = config;
  const attention = 3 * (C * C + (qkvBias ? C : 0)) + C * C + C;
  const feedForward = C * 4 * C + 4 * C + 4 * C * C + C;
  const block = attention + feedForward + 2 * 2 * C;
  const tied = V * C + contextLength * C + nLayers * block + 2 * C;
  const parameters = config.tieWeights ? tied : tied + V * C;
  return { parameters, parametersTied: tied, megabytes: (parameters * 4) / (1024 * 1024) };
}
