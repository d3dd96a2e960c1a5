// The classification head (section 6.5), padding and truncation (6.3), classifyTexts and the
// classifier directory in HF's GPT2ForSequenceClassification layout.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelKind } from '../../src/io/hub-config.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import {
  addClassificationHead,
  classifierLogits,
  classifyTexts,
  encodeTexts,
  loadClassifierDir,
  padBatch,
  PAD_TOKEN_ID,
  saveClassifierDir,
  setClassifierMaxLength,
} from '../../src/llm/classifier.js';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import { Rng, Tensor } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'classifier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyClassifier(classes = 2) {
  const config = { ...presetConfig('gpt2-tiny'), dropRate: 0 };
  const rng = new Rng(1);
  return addClassificationHead(new GPTModel(config, { rng }), classes, { rng });
}

describe('classifier', () => {
  it('replaces the output head by Linear(embDim, classes) with bias and reads the last token', () => {
    const model = tinyClassifier(3);
    expect(model.out_head.weight.shape).toEqual([3, 64]);
    expect(model.out_head.bias?.shape).toEqual([3]);
    const ids = padBatch([Int32Array.from([1, 2, 3]), Int32Array.from([4])], 5);
    expect([...ids]).toEqual([
      1,
      2,
      3,
      PAD_TOKEN_ID,
      PAD_TOKEN_ID,
      4,
      PAD_TOKEN_ID,
      PAD_TOKEN_ID,
      PAD_TOKEN_ID,
      PAD_TOKEN_ID,
    ]);
    const logits = classifierLogits(model, ids, 2, 5);
    expect(logits.shape).toEqual([2, 3]);
    // The same as the full forward pass at the last position.
    const full = model.forward(new Tensor(ids, [2, 5]));
    const f = full.f32();
    const l = logits.f32();
    for (let b = 0; b < 2; b++)
      for (let k = 0; k < 3; k++) expect(l[b * 3 + k]).toBeCloseTo(f[(b * 5 + 4) * 3 + k], 5);
  });

  it('encodes, cuts to the length and counts the cut texts', () => {
    const tok = gpt2Tokenizer();
    const { ids, truncated } = encodeTexts(tok, ['hello world', 'word '.repeat(100), '<|endoftext|>'], 8);
    expect(truncated).toBe(1);
    expect(ids[1].length).toBe(8);
    expect([...ids[0]]).toEqual(tok.encode('hello world'));
    expect(ids[2].length).toBeGreaterThan(1); // ordinary text, not the special token
  });

  it('saves and loads the HF layout with score.weight (the bias folded away) and id2label', () => {
    const model = tinyClassifier(2);
    setClassifierMaxLength(model, 20);
    const out = join(dir, 'clf');
    saveClassifierDir(out, model, ['ham', 'spam']);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(config.num_labels).toBe(2);
    expect(config.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(config.label2id).toEqual({ ham: 0, spam: 1 });
    expect(readModelKind(out)).toBe('classifier');
    const tensors = readSafetensors(join(out, 'model.safetensors')).tensors;
    expect(tensors.get('score.weight')?.shape).toEqual([2, 64]);
    expect(tensors.has('score.bias')).toBe(false);
    expect(tensors.has('lm_head.weight')).toBe(false);
    expect(tensors.has('transformer.h.0.attn.c_attn.weight')).toBe(true);
    const loaded = loadClassifierDir(out);
    expect(loaded.labels).toEqual(['ham', 'spam']);
    expect(loaded.maxLength).toBe(20);
    const tok = gpt2Tokenizer();
    const texts = ['free money now', 'meeting at noon'];
    const a = classifyTexts(model, ['ham', 'spam'], tok, texts);
    const b = classifyTexts(loaded.model, loaded.labels, tok, texts);
    expect(b.map((r) => r.label)).toEqual(a.map((r) => r.label));
    b.forEach((r, i) => {
      expect(r.probability).toBeCloseTo(a[i].probability, 5);
      expect(r.probabilities.ham + r.probabilities.spam).toBeCloseTo(1, 5);
      expect(r.probability).toBe(Math.max(r.probabilities.ham, r.probabilities.spam));
    });
  });

  it('rejects fewer than two classes', () => {
    expect(() => tinyClassifier(1)).toThrow(/at least two classes/);
  });
});
