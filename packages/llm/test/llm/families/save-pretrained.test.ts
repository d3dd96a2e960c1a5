// What this project saves against what Hugging Face transformers' save_pretrained writes for the
// same model, with the expected lists written down from transformers' code (read, not run:
// transformers is not installed here), then save -> load round trips and files of the old layout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../src/io/safetensors.js';
import {
  addClassificationHead,
  classifierLogits,
  loadClassifierDir,
  padBatch,
  saveClassifierDir,
} from '../../../src/llm/classifier.js';
import { exportGPT2, loadModelDir, saveModelDir } from '../../../src/llm/families/gpt2.js';
import { GPTModel, presetConfig, type GPTConfig } from '../../../src/llm/gpt.js';
import { foldScoreBias } from '../../../src/llm/score-bias.js';
import { noGrad, Rng, Tensor } from '../../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'save-pretrained-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// transformers src/transformers/models/gpt2/modeling_gpt2.py: GPT2LMHeadModel(config).state_dict()
// for n_layer 2. GPT2PreTrainedModel.base_model_prefix = "transformer" (GPT2LMHeadModel holds
// `self.transformer = GPT2Model(config)` and `self.lm_head = nn.Linear(n_embd, vocab_size,
// bias=False)`); GPT2Model: wte, wpe, h (GPT2Block: ln_1, attn (GPT2Attention: c_attn, c_proj, both
// Conv1D with weight and bias), ln_2, mlp (GPT2MLP: c_fc, c_proj)), ln_f. GPT2Attention registers
// no buffer in 5.x; in later 4.x releases `bias` and `masked_bias` are register_buffer(..., persistent=False),
// so neither is in the state dict. `lm_head.weight` is in GPT2LMHeadModel._tied_weights_keys:
// modeling_utils.py's save_pretrained drops it from a safetensors file when it shares storage
// with transformer.wte.weight (tie_word_embeddings true) and keeps it otherwise.
const GPT2_LM_HEAD_MODEL_KEYS_2_LAYERS = [
  'transformer.wte.weight',
  'transformer.wpe.weight',
  ...[0, 1].flatMap((i) =>
    [
      'ln_1.weight',
      'ln_1.bias',
      'attn.c_attn.weight',
      'attn.c_attn.bias',
      'attn.c_proj.weight',
      'attn.c_proj.bias',
      'ln_2.weight',
      'ln_2.bias',
      'mlp.c_fc.weight',
      'mlp.c_fc.bias',
      'mlp.c_proj.weight',
      'mlp.c_proj.bias',
    ].map((k) => `transformer.h.${i}.${k}`),
  ),
  'transformer.ln_f.weight',
  'transformer.ln_f.bias',
  'lm_head.weight',
];

// modeling_gpt2.py GPT2ForSequenceClassification: `self.transformer = GPT2Model(config)` and
// `self.score = nn.Linear(config.n_embd, self.num_labels, bias=False)`: no lm_head, no score.bias.
const GPT2_FOR_SEQUENCE_CLASSIFICATION_KEYS_2_LAYERS = [
  ...GPT2_LM_HEAD_MODEL_KEYS_2_LAYERS.filter((k) => k !== 'lm_head.weight'),
  'score.weight',
];

// configuration_utils.py PretrainedConfig.to_diff_dict (what save_pretrained writes): every field
// of configuration_gpt2.py's GPT2Config.__init__ (not in PretrainedConfig's defaults, so always
// written), plus the PretrainedConfig fields whose value differs from its default (architectures,
// bos/eos_token_id; tie_word_embeddings only when false), torch_dtype and transformers_version.
const GPT2_CONFIG_KEYS = [
  'activation_function',
  'architectures',
  'attn_pdrop',
  'bos_token_id',
  'embd_pdrop',
  'eos_token_id',
  'initializer_range',
  'layer_norm_epsilon',
  'model_type',
  'n_embd',
  'n_head',
  'n_inner',
  'n_layer',
  'n_positions',
  'reorder_and_upcast_attn',
  'resid_pdrop',
  'scale_attn_by_inverse_layer_idx',
  'scale_attn_weights',
  'summary_activation',
  'summary_first_dropout',
  'summary_proj_to_labels',
  'summary_type',
  'summary_use_proj',
  'torch_dtype',
  'transformers_version',
  'use_cache',
  'vocab_size',
];
// PretrainedConfig fields a classifier's config adds (id2label/label2id differ from the default
// LABEL_0/LABEL_1, pad_token_id from None).
const CLASSIFIER_CONFIG_KEYS = ['id2label', 'label2id', 'pad_token_id'];
// What we write beyond transformers: tie_word_embeddings even when true (its default), n_ctx (as the
// hub's openai-community/gpt2 config.json has it), num_labels (read by PretrainedConfig.__init__,
// checked against id2label), and our own fields.
const OUR_EXTRA_KEYS = ['tie_word_embeddings', 'n_ctx', 'num_labels', 'llm_scratch'];

// A small vocabulary keeps each forward pass cheap; nothing here depends on its size.
const V = 512;
const config = (c: Partial<GPTConfig>): GPTConfig => ({
  ...presetConfig('gpt2-tiny'),
  nLayers: 2,
  vocabSize: V,
  ...c,
});
const ids = new Tensor(Int32Array.from([464, 329, 318, 257, 13, 11]), [1, 6]);
const logits = (m: GPTModel) => noGrad(() => m.eval().forward(ids)).data;
const savedKeys = (out: string) => [...readSafetensorsHeader(join(out, 'model.safetensors')).tensors.keys()];
const savedConfig = (out: string) =>
  JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;

function expectConfigKeys(hf: Record<string, unknown>, transformers: string[]): void {
  const ours = Object.keys(hf);
  expect(ours.filter((k) => !transformers.includes(k) && !OUR_EXTRA_KEYS.includes(k))).toEqual([]);
  expect(transformers.filter((k) => !ours.includes(k))).toEqual([]);
}

describe('GPT2LMHeadModel.save_pretrained layout', () => {
  for (const tieWeights of [true, false]) {
    it(`writes transformers' key set and config for a ${tieWeights ? 'tied' : 'separate'} head`, () => {
      const model = new GPTModel(config({ tieWeights }), { rng: new Rng(3) });
      const out = join(dir, `lm-${tieWeights}`);
      saveModelDir(out, model);
      const expected = GPT2_LM_HEAD_MODEL_KEYS_2_LAYERS.filter((k) => !tieWeights || k !== 'lm_head.weight');
      expect(savedKeys(out).sort()).toEqual([...expected].sort());
      expect(readSafetensorsHeader(join(out, 'model.safetensors')).metadata).toEqual({ format: 'pt' });
      const hf = savedConfig(out);
      expectConfigKeys(hf, GPT2_CONFIG_KEYS);
      expect(hf.architectures).toEqual(['GPT2LMHeadModel']);
      expect(hf.model_type).toBe('gpt2');
      expect(hf.tie_word_embeddings).toBe(tieWeights);
      expect([hf.n_layer, hf.n_embd, hf.n_head, hf.n_positions, hf.vocab_size]).toEqual([2, 64, 4, 64, V]);
      expect(hf.activation_function).toBe('gelu_new');
      expect(hf.torch_dtype).toBe('float32');

      const back = loadModelDir(out);
      expect(back.config.tieWeights).toBe(tieWeights);
      expect(logits(back)).toEqual(logits(model));
    });
  }

  it('writes zeros for the q/k/v bias of a model without one, and loads it back without', () => {
    const model = new GPTModel(config({ qkvBias: false, tieWeights: true }), { rng: new Rng(4) });
    const out = join(dir, 'no-qkv-bias');
    saveModelDir(out, model);
    const bias = readSafetensors(join(out, 'model.safetensors')).tensors.get(
      'transformer.h.1.attn.c_attn.bias',
    )!;
    expect(bias.shape).toEqual([192]);
    expect(bias.data.every((v) => v === 0)).toBe(true);
    const back = loadModelDir(out);
    expect(back.config.qkvBias).toBe(false);
    expect(logits(back)).toEqual(logits(model));
  });

  for (const tieWeights of [true, false]) {
    it(`loads a file of the old layout (no prefix), ${tieWeights ? 'tied' : 'separate head'}`, () => {
      const model = new GPTModel(config({ tieWeights }), { rng: new Rng(5) });
      const out = join(dir, `old-${tieWeights}`);
      mkdirSync(out, { recursive: true });
      writeSafetensors(join(out, 'model.safetensors'), exportGPT2(model), { format: 'pt' });
      // The fields this project wrote before it followed save_pretrained.
      const old = {
        architectures: ['GPT2LMHeadModel'],
        model_type: 'gpt2',
        vocab_size: V,
        n_positions: 64,
        n_ctx: 64,
        n_embd: 64,
        n_layer: 2,
        n_head: 4,
        resid_pdrop: 0.1,
        tie_word_embeddings: tieWeights,
        llm_scratch: { qkvBias: false, dropRate: 0.1, kind: 'base' },
      };
      writeFileSync(join(out, 'config.json'), JSON.stringify(old));
      expect(savedKeys(out)).toContain('h.0.attn.c_attn.weight');
      expect(logits(loadModelDir(out))).toEqual(logits(model));
    });
  }

  it('names a bad tensor of a prefixed file by its name in the file', () => {
    const model = new GPTModel(config({ tieWeights: true }), { rng: new Rng(6) });
    const out = join(dir, 'missing');
    saveModelDir(out, model);
    const tensors = readSafetensors(join(out, 'model.safetensors')).tensors;
    tensors.delete('transformer.h.1.mlp.c_fc.bias');
    tensors.set('transformer.extra.weight', new Tensor(new Float32Array(2), [2]));
    writeSafetensors(join(out, 'model.safetensors'), tensors);
    expect(() => loadModelDir(out)).toThrow(
      /missing tensor 'transformer\.h\.1\.mlp\.c_fc\.bias'; unexpected tensors: 'transformer\.extra\.weight'/,
    );
  });
});

describe('GPT2ForSequenceClassification.save_pretrained layout', () => {
  const classifier = (seed: number) => {
    const rng = new Rng(seed);
    return addClassificationHead(new GPTModel(config({ dropRate: 0 }), { rng }), 3, { rng });
  };
  const classLogits = (m: GPTModel) =>
    noGrad(() => classifierLogits(m.eval(), padBatch([Int32Array.from([464, 329, 318])], 5, 500), 1, 5)).data;

  it("writes transformers' key set and config, the head's bias folded into ln_f, the same logits", () => {
    const model = classifier(7);
    expect(model.out_head.bias!.data.some((v) => v !== 0)).toBe(true);
    const out = join(dir, 'clf');
    saveClassifierDir(out, model, ['a', 'b', 'c']);
    expect(savedKeys(out).sort()).toEqual([...GPT2_FOR_SEQUENCE_CLASSIFICATION_KEYS_2_LAYERS].sort());
    const hf = savedConfig(out);
    expectConfigKeys(hf, [...GPT2_CONFIG_KEYS, ...CLASSIFIER_CONFIG_KEYS]);
    expect(hf.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(hf.num_labels).toBe(3);
    expect(hf.id2label).toEqual({ 0: 'a', 1: 'b', 2: 'c' });
    expect(hf.label2id).toEqual({ a: 0, b: 1, c: 2 });
    expect(hf.pad_token_id).toBe(50256);

    const back = loadClassifierDir(out).model;
    expect(back.out_head.bias!.data.every((v) => v === 0)).toBe(true);
    const [want, got] = [classLogits(model), classLogits(back)];
    want.forEach((v, k) => expect(Math.abs(got[k] - v)).toBeLessThan(1e-5));
  });

  it('keeps score.bias, as the book has it, where the rows of the head leave no exact fold', () => {
    const model = classifier(8);
    const w = model.out_head.weight.data;
    w.copyWithin(64, 0, 64); // row 1 = row 0: no shift of ln_f moves them apart
    model.out_head.bias!.data.set([0.5, -0.5, 0.25]);
    const out = join(dir, 'clf-dependent');
    saveClassifierDir(out, model, ['a', 'b', 'c']);
    expect(savedKeys(out)).toContain('score.bias');
    const back = loadClassifierDir(out).model;
    expect(classLogits(back)).toEqual(classLogits(model));
  });

  it('loads a classifier of the old layout (no prefix, score.bias)', () => {
    const model = classifier(9);
    const out = join(dir, 'clf-old');
    mkdirSync(out, { recursive: true });
    const tensors = exportGPT2(model);
    tensors.delete('lm_head.weight');
    tensors.set('score.weight', model.out_head.weight);
    tensors.set('score.bias', model.out_head.bias!);
    writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt' });
    const old = {
      architectures: ['GPT2ForSequenceClassification'],
      model_type: 'gpt2',
      vocab_size: V,
      n_positions: 64,
      n_embd: 64,
      n_layer: 2,
      n_head: 4,
      tie_word_embeddings: false,
      id2label: { 0: 'a', 1: 'b', 2: 'c' },
      llm_scratch: { qkvBias: false, dropRate: 0, kind: 'classifier' },
    };
    writeFileSync(join(out, 'config.json'), JSON.stringify(old));
    expect(classLogits(loadClassifierDir(out).model)).toEqual(classLogits(model));
  });

  it('folds a bias exactly: W (beta + delta) = W beta + b for independent rows', () => {
    const rng = new Rng(11);
    const K = 4;
    const C = 16;
    const w = new Tensor(
      Float32Array.from({ length: K * C }, () => rng.normal()),
      [K, C],
    );
    const b = new Tensor(Float32Array.from([0.3, -1.2, 2.5, 0]), [K]);
    const beta = new Tensor(
      Float32Array.from({ length: C }, () => rng.normal() * 0.1),
      [C],
    );
    const folded = foldScoreBias(w, b, beta)!;
    for (let i = 0; i < K; i++) {
      let before = 0;
      let after = 0;
      for (let c = 0; c < C; c++) {
        before += w.data[i * C + c] * beta.data[c];
        after += w.data[i * C + c] * folded[c];
      }
      expect(Math.abs(after - (before + b.data[i]))).toBeLessThan(1e-5);
    }
    expect(foldScoreBias(new Tensor(new Float32Array(K * C), [K, C]), b, beta)).toBeNull();
  });
});

// PyTorch reads what transformers' from_pretrained would (tools/fixtures/hf_load_check.py: the class
// from config.json, its expected tensors, the tie, no score bias) and computes GPT-2's logits with
// transformers' math; Debian's torch where installed.
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const script = join(import.meta.dirname, '../../../tools/fixtures/hf_load_check.py');

describe.skipIf(!hasTorch)('the saved directory read as from_pretrained would, in PyTorch', () => {
  const torchLogits = (out: string, tokens: number[]) =>
    JSON.parse(execFileSync(PYTHON, [script, out, tokens.join(',')], { encoding: 'utf8' })) as number[][];
  const tokens = [464, 329, 318, 257, 13, 11];

  for (const tieWeights of [true, false]) {
    it(`gives our logits for a ${tieWeights ? 'tied' : 'separate'} head`, () => {
      const model = new GPTModel(config({ tieWeights, qkvBias: !tieWeights }), { rng: new Rng(12) });
      const out = join(dir, `torch-${tieWeights}`);
      saveModelDir(out, model);
      const ours = logits(model);
      const theirs = torchLogits(out, tokens).flat();
      expect(theirs).toHaveLength(ours.length);
      theirs.forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThan(1e-4));
    });
  }

  it("gives our classifier's logits with the bias folded and no score.bias", () => {
    const rng = new Rng(13);
    const model = addClassificationHead(new GPTModel(config({ dropRate: 0 }), { rng }), 3, { rng });
    const out = join(dir, 'torch-clf');
    saveClassifierDir(out, model, ['a', 'b', 'c']);
    const ours = noGrad(() => classifierLogits(model.eval(), Int32Array.from(tokens), 1, tokens.length)).data;
    const theirs = torchLogits(out, tokens).at(-1)!;
    expect(theirs).toHaveLength(3);
    theirs.forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThan(1e-4));
  });

  it('refuses, as from_pretrained would warn, a classifier whose score.bias it would drop', () => {
    const rng = new Rng(14);
    const model = addClassificationHead(new GPTModel(config({ dropRate: 0 }), { rng }), 3, { rng });
    model.out_head.weight.data.copyWithin(64, 0, 64);
    const out = join(dir, 'torch-clf-kept-bias');
    saveClassifierDir(out, model, ['a', 'b', 'c']);
    const r = spawnSync(PYTHON, [script, out, '1,2'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unused ['score.bias']");
  });
});
