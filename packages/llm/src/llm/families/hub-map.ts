// Loading and saving a family whose hub tensors map one to one onto its parameters (Llama 3,
// Qwen3, Gemma 3): every tensor of the declared map checked against the files' headers (missing,
// unexpected, wrong shape with both shapes, not a float) before the model is allocated, then read
// one at a time into the model's parameters.
import { UserError } from 'llm-scratch-core/errors';
import type { HubWeights } from '../../io/hub-weights.js';
import { quoteName } from '../../io/input-file.js';
import { FLOAT_DTYPES, type DType } from '../../io/safetensors.js';
import { widenBf16 } from '../../backend/bf16.js';
import { adviseHugePages, bf16Arena } from '../../backend/huge-pages.js';
import { keepInBf16 } from '../../tensor/bf16-weights.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/index.js';
import type { CausalLM, HubTensor, ParameterCount } from './family.js';

export interface TensorInfo {
  dtype: DType;
  shape: readonly number[];
}

// Counted from the declared map, so that `info --config` needs no weights and no allocation.
export function countParameters(
  tensors: readonly HubTensor[],
  c: { vocabSize: number; embDim: number; tieWeights: boolean },
): ParameterCount {
  const total = tensors.reduce((n, t) => n + t.shape.reduce((a, d) => a * d, 1), 0);
  const embeddings = c.vocabSize * c.embDim * (c.tieWeights ? 1 : 2);
  return { total, nonEmbedding: total - embeddings };
}

// Buffers some checkpoints carry; derived from the config, not learned.
const IGNORED = [/\.rotary_emb\.inv_freq$/];
const MAX_PROBLEMS = 3;

// What is wrong with a set of tensors (from headers) against the declared map; empty when they fit.
export function tensorProblems(
  source: Map<string, TensorInfo>,
  expected: readonly HubTensor[],
  tied: boolean,
): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const m of expected) {
    used.add(m.hub);
    const info = source.get(m.hub);
    if (!info) {
      problems.push(
        m.hub === 'lm_head.weight'
          ? "no 'lm_head.weight', but config.json says tie_word_embeddings: false (set it to true to use the embedding as the output head)"
          : `missing tensor ${quoteName(m.hub)}`,
      );
    } else if (!FLOAT_DTYPES.includes(info.dtype)) {
      problems.push(
        `tensor ${quoteName(m.hub)} is ${info.dtype}; the model takes ${FLOAT_DTYPES.join(', ')}`,
      );
    } else if (info.shape.join() !== m.shape.join()) {
      problems.push(
        `tensor ${quoteName(m.hub)} has shape ${formatShape([...info.shape])}, expected ${formatShape(m.shape)}`,
      );
    }
  }
  // A tied model saved with its head (transformers ties and drops it on load) is read the same way.
  if (tied) used.add('lm_head.weight');
  const unexpected = unexpectedTensors(source.keys(), used, IGNORED);
  if (unexpected) problems.push(unexpected);
  return problems;
}

// The tensors of a file that no parameter takes (and no ignored pattern names), as one problem.
export function unexpectedTensors(
  names: Iterable<string>,
  used: ReadonlySet<string>,
  ignored: readonly RegExp[],
): string | null {
  const unexpected = [...names].filter((k) => !used.has(k) && !ignored.some((r) => r.test(k)));
  if (!unexpected.length) return null;
  return `unexpected tensors: ${unexpected
    .slice(0, 5)
    .map((k) => quoteName(k))
    .join(', ')}${unexpected.length > 5 ? ', ...' : ''}`;
}

export function throwProblems(where: string, problems: string[]): void {
  if (!problems.length) return;
  const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more` : '';
  throw new UserError(`${where}: ${problems.slice(0, MAX_PROBLEMS).join('; ')}${more}`);
}

// A plain loop (x - x is 0 for every finite x, NaN otherwise).
export function firstNonFinite(data: Float32Array | Int32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) return i;
  return -1;
}

// Reads each declared tensor into the (already allocated, uninitialised) model, one at a time.
// With bf16, every matrix (each 2-D tensor: the projections, the embedding, an untied head) is kept
// in bfloat16 only (tensor/bf16-weights.ts), read as stored from a BF16 file, never widened: the
// model holds half the bytes and decodes through gemv; the 1-D norms stay float32. The matrices
// are asked 2 MiB pages (the bf16 ones side by side in one buffer).
export function loadIntoModel(
  model: CausalLM,
  weights: HubWeights,
  expected: readonly HubTensor[],
  options: { bf16?: boolean } = {},
): void {
  const own = model.stateDict();
  const corrupted = (m: HubTensor, value: number, at: number) =>
    new UserError(
      `${weights.tensors.get(m.hub)!.file}: tensor ${quoteName(m.hub)} holds ${value} at element ${at} (corrupted data?)`,
    );
  const matrices = expected.filter((m) => m.shape.length === 2);
  const slices = options.bf16 ? bf16Arena(matrices.map((m) => sizeOf(m.shape))) : [];
  const arena = new Map(slices.map((slice, i) => [matrices[i], slice]));
  for (const m of expected) {
    const target = own.get(m.ours);
    if (!target) throw new Error(`the declared map names ${m.ours}, which the model does not have`);
    const bits = arena.get(m);
    if (bits) {
      weights.readBf16(m.hub, bits);
      const at = firstNonFiniteBf16(bits);
      if (at >= 0) throw corrupted(m, bf16Value(bits[at]), at);
      keepInBf16(target, bits);
      continue;
    }
    const t = weights.read(m.hub);
    // A flipped exponent bit makes a NaN or an infinity that no header check sees.
    const at = firstNonFinite(t.data);
    if (at >= 0) throw corrupted(m, t.data[at], at);
    target.data.set(t.data);
  }
  // The matrices a decode step streams, in either type.
  adviseHugePages(options.bf16 ? slices : matrices.map((m) => own.get(m.ours)!.f32()));
}

// The first bf16 value whose exponent bits are all ones (an infinity or a NaN), or -1.
function firstNonFiniteBf16(bits: Uint16Array): number {
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f80) === 0x7f80) return i;
  return -1;
}

function bf16Value(bits: number): number {
  const one = new Float32Array(1);
  widenBf16(Uint16Array.of(bits), one);
  return one[0];
}

// The model's tensors under hub names, in the map's order.
export function exportByMap(model: CausalLM, expected: readonly HubTensor[]): Map<string, Tensor> {
  const own = model.stateDict();
  return new Map(expected.map((m) => [m.hub, own.get(m.ours)!]));
}
