// A tiny random Gemma 3 for the tests (2 layers, local then global, window 4, vocabulary 61).
import { type Gemma3Config, gemma3ConfigFromHF, Gemma3Model } from '../../../src/llm/families/gemma3.js';
import { manualSeed, Rng } from '../../../src/tensor/index.js';

// layer_types and the rest overridable.
export function tinyGemma(overrides: Record<string, unknown> = {}, seed = 7): Gemma3Model {
  const config: Gemma3Config = gemma3ConfigFromHF(
    {
      model_type: 'gemma3_text',
      vocab_size: 61,
      max_position_embeddings: 128,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 8,
      query_pre_attn_scalar: 8,
      sliding_window: 4,
      layer_types: ['sliding_attention', 'full_attention'],
      ...overrides,
    },
    'config.json',
  );
  manualSeed(seed);
  const model = new Gemma3Model(config);
  // Norm weights start at zero ((1 + w) = 1); give them values so that a wrong form shows.
  const rng = new Rng(seed);
  for (const [name, p] of model.stateDict())
    if (name.endsWith('norm.weight') || name.includes('layernorm'))
      p.data.set(Float32Array.from({ length: p.size }, () => rng.uniform() - 0.5));
  return model.eval();
}
