// Tiny models for the server's tests, saved as a user's would be: GPT-2's full vocabulary (the
// tokenizer is GPT-2's) with everything else as small as the model allows, so loading and
// generating take milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModelDir } from '../../src/llm/families/gpt2.js';
import { addClassificationHead, saveClassifierDir } from '../../src/llm/classifier.js';
import { GPTModel, type GPTConfig } from '../../src/llm/gpt.js';
import { ModelRegistry, parseModelSpec } from '../../src/serve/registry.js';
import { Rng } from '../../src/tensor/index.js';

export const TINY: GPTConfig = {
  vocabSize: 50257,
  contextLength: 32,
  embDim: 16,
  nHeads: 2,
  nLayers: 1,
  dropRate: 0,
  qkvBias: false,
  tieWeights: true,
};

export const LABELS = ['ham', 'spam'];

export interface TinyModels {
  root: string;
  base: string;
  instruct: string;
  classifier: string;
  cleanup: () => void;
}

export function saveTinyModels(): TinyModels {
  const root = mkdtempSync(join(tmpdir(), 'serve-models-'));
  const base = join(root, 'tiny-base');
  const instruct = join(root, 'tiny-instruct');
  const classifier = join(root, 'tiny-spam');
  saveModelDir(base, new GPTModel(TINY, { rng: new Rng(1) }), 'base');
  saveModelDir(instruct, new GPTModel(TINY, { rng: new Rng(2) }), 'instruct');
  const cls = addClassificationHead(new GPTModel(TINY, { rng: new Rng(3) }), LABELS.length, {
    rng: new Rng(4),
  });
  saveClassifierDir(classifier, cls, LABELS, { maxLength: 16 });
  return { root, base, instruct, classifier, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function tinyRegistry(models: TinyModels, maxQueue = 8, maxBatch?: number): ModelRegistry {
  return ModelRegistry.load(
    [models.base, models.instruct, models.classifier].map((dir) => parseModelSpec(dir)),
    { maxQueue, maxBatch },
  );
}

// A tiny model with a context of 1024 positions, so that a long generation stays in the batch
// (TINY's 32 positions are soon full, and a sequence past its context is prefilled anew at every
// token, outside the batch).
export const TINY_LONG: GPTConfig = { ...TINY, contextLength: 1024 };

export function saveTinyLong(root: string, name: string, kind: 'base' | 'instruct', seed: number): string {
  const dir = join(root, name);
  saveModelDir(dir, new GPTModel(TINY_LONG, { rng: new Rng(seed) }), kind);
  return dir;
}

export interface SseMessage {
  event?: string;
  data: string;
}

// Server-sent events as a client reads them: blank-line separated, `event:` and `data:` fields.
export function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const message: SseMessage = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data += line.slice(6);
      }
      return message;
    });
}
