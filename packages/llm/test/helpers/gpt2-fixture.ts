// The weights of tools/fixtures/gpt2_tiny.py, recomputed: each value comes from an integer hash of
// the tensor's name and the element's index, identically in Python and here, so the fixture needs
// only its expected outputs committed. writeFixtureModel writes them as a Hugging Face model dir.
import { readFileSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/index.js';

export const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/gpt2-tiny.json', import.meta.url), 'utf8'),
) as {
  config: { vocab_size: number; n_positions: number; n_embd: number; n_layer: number; n_head: number };
  ids: number[];
  targets: number[];
  loss: number;
  wte_grad_rows: number[];
  greedy: number[];
};

export const expected = readSafetensors(
  new URL('../fixtures/gpt2-tiny.safetensors', import.meta.url).pathname,
).tensors;

export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function mix(i: number, seed: number): number {
  let x = Math.imul((i ^ seed) >>> 0, 0x9e3779b1) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x85ebca77) >>> 0;
  return (x ^ (x >>> 13)) >>> 0;
}

export function fixtureValue(name: string, seed: number, i: number): number {
  const u = mix(i, seed) / 4294967296 - 0.5;
  if (/ln_(1|2|f)\.weight$/.test(name)) return 1 + 0.2 * u;
  if (name.endsWith('.bias')) return 0.04 * u;
  return 0.2 * u;
}

export function fixtureShapes(): Map<string, number[]> {
  const { vocab_size: V, n_positions: P, n_embd: C, n_layer: L } = fixture.config;
  const s = new Map<string, number[]>([
    ['wte.weight', [V, C]],
    ['wpe.weight', [P, C]],
    ['ln_f.weight', [C]],
    ['ln_f.bias', [C]],
  ]);
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    const layer: [string, number[]][] = [
      [`${h}.ln_1.weight`, [C]],
      [`${h}.ln_1.bias`, [C]],
      [`${h}.attn.c_attn.weight`, [C, 3 * C]],
      [`${h}.attn.c_attn.bias`, [3 * C]],
      [`${h}.attn.c_proj.weight`, [C, C]],
      [`${h}.attn.c_proj.bias`, [C]],
      [`${h}.ln_2.weight`, [C]],
      [`${h}.ln_2.bias`, [C]],
      [`${h}.mlp.c_fc.weight`, [C, 4 * C]],
      [`${h}.mlp.c_fc.bias`, [4 * C]],
      [`${h}.mlp.c_proj.weight`, [4 * C, C]],
      [`${h}.mlp.c_proj.bias`, [C]],
    ];
    for (const [k, v] of layer) s.set(k, v);
  }
  return s;
}

export function fixtureTensors(prefix = ''): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of fixtureShapes()) {
    const seed = fnv1a(name);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fixtureValue(name, seed, i);
    out.set(prefix + name, new Tensor(data, shape));
  }
  return out;
}

// A model directory as transformers' save_pretrained writes it for GPT-2.
export function writeFixtureModel(dir: string, options: { prefix?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), fixtureTensors(options.prefix), { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', ...fixture.config }));
  return dir;
}
