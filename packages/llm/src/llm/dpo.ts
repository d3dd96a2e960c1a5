// The book's chapter-7 bonus: direct preference optimization (DPO). Each record has a prompt (the
// Alpaca instruction and input), a preferred `chosen` response and a `rejected` one. The policy is
// trained so that, relative to a frozen reference model (its starting point), it raises the
// log-probability of the chosen response over the rejected one:
//   loss = -logsigmoid(beta * ((pi_chosen - pi_rejected) - (ref_chosen - ref_rejected)))
// where each term is the mean log-probability of the response tokens (the notebook's
// compute_logprobs with a selection mask). The rewards are pi - ref of each response; a pair counts
// as right when the chosen reward exceeds the rejected one, and the margin is their difference.
import { UserError } from 'llm-scratch-core/errors';
import * as T from '../tensor/index.js';
import { noGrad, Tensor } from '../tensor/index.js';
import type { GPTModel } from './gpt.js';
import { formatInput, parseInstructionData, PAD_TOKEN_ID, type InstructionEntry } from './instruction.js';

export interface PreferenceEntry extends InstructionEntry {
  chosen: string;
  rejected: string;
}

// Instruction records that also carry string `chosen` and `rejected` fields (named by index if not).
export function parsePreferenceData(text: string, source: string): PreferenceEntry[] {
  const entries = parseInstructionData(text, source) as PreferenceEntry[];
  const problems: string[] = [];
  entries.forEach((e, i) => {
    const bad = (['chosen', 'rejected'] as const).filter((k) => typeof e[k] !== 'string');
    if (bad.length)
      problems.push(`record ${i}: ${bad.map((k) => `'${k}'`).join(' and ')} missing or not a string`);
  });
  if (problems.length) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw new UserError(`${source}: ${problems.slice(0, 5).join('; ')}${more}`);
  }
  return entries;
}

export interface EncodedPreference {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

// The notebook's PreferenceDataset: the prompt, and prompt + response header + each response.
export function encodePreference(
  entry: PreferenceEntry,
  tokenizer: { encode(text: string): number[] },
): EncodedPreference {
  const prompt = formatInput(entry);
  return {
    prompt: tokenizer.encode(prompt),
    chosen: tokenizer.encode(`${prompt}\n\n### Response:\n${entry.chosen}`),
    rejected: tokenizer.encode(`${prompt}\n\n### Response:\n${entry.rejected}`),
  };
}

export interface PreferenceBatch {
  // (B, T) ids of the chosen and of the rejected sequences, padded to one length.
  chosen: Tensor;
  rejected: Tensor;
  // (B, T) 1 where a token belongs to the response (not prompt, not padding), else 0.
  chosenMask: Float32Array;
  rejectedMask: Float32Array;
  shape: [number, number];
}

// The notebook's collate: both kinds padded with the end token to the longest + 1 in the batch; the
// mask drops the padding and the prompt with the two tokens after it ("\n\n"), then everything is
// cut to allowedMaxLength.
export function collatePreferences(
  batch: readonly EncodedPreference[],
  options: { allowedMaxLength?: number; padTokenId?: number } = {},
): PreferenceBatch {
  const pad = options.padTokenId ?? PAD_TOKEN_ID;
  const longest = Math.max(...batch.flatMap((b) => [b.chosen.length + 1, b.rejected.length + 1]));
  const length = Math.min(options.allowedMaxLength ?? longest, longest);
  const make = (key: 'chosen' | 'rejected') => {
    const ids = new Int32Array(batch.length * length).fill(pad);
    const mask = new Float32Array(batch.length * length);
    batch.forEach((item, r) => {
      const seq = item[key];
      for (let i = 0; i < Math.min(seq.length, length); i++) {
        ids[r * length + i] = seq[i];
        if (i >= item.prompt.length + 2) mask[r * length + i] = 1;
      }
    });
    return { ids: new Tensor(ids, [batch.length, length]), mask };
  };
  const c = make('chosen');
  const r = make('rejected');
  return {
    chosen: c.ids,
    rejected: r.ids,
    chosenMask: c.mask,
    rejectedMask: r.mask,
    shape: [batch.length, length],
  };
}

// Mean log-probability of the masked tokens of each sequence (B,), from logits (B, T, V): token t+1
// is scored by the logits at t, as in the notebook's compute_logprobs. A row without any masked token
// (a response cut off entirely by allowedMaxLength) scores 0.
export function sequenceLogProbs(logits: Tensor, ids: Tensor, mask: Float32Array): Tensor[] {
  const [B, Tn] = ids.shape;
  const out: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const targets = new Int32Array(Tn - 1);
    let count = 0;
    for (let t = 1; t < Tn; t++) {
      const keep = mask[b * Tn + t] > 0;
      targets[t - 1] = keep ? ids.data[b * Tn + t] : -100;
      if (keep) count++;
    }
    if (count === 0) {
      out.push(T.zeros([]));
      continue;
    }
    const rowLogits = logits
      .narrow(0, b, 1)
      .narrow(1, 0, Tn - 1)
      .reshape([Tn - 1, -1]);
    // Cross-entropy with the other tokens ignored is minus their mean log-probability.
    out.push(T.crossEntropy(rowLogits, new Tensor(targets, [Tn - 1])).neg());
  }
  return out;
}

export interface DPOStats {
  loss: Tensor;
  // Batch means (detached numbers).
  chosenReward: number;
  rejectedReward: number;
  margin: number;
  // Share of pairs whose chosen reward is above the rejected reward.
  accuracy: number;
}

// -logsigmoid(x) computed stably as -log_softmax([0, x])[1].
function negLogSigmoid(x: Tensor): Tensor {
  return T.concat([T.zeros([1]), x.reshape([1])])
    .logSoftmax(-1)
    .narrow(0, 1, 1)
    .reshape([])
    .neg();
}

// The notebook's compute_dpo_loss from the four mean log-probabilities of each pair.
export function dpoLoss(
  policyChosen: Tensor[],
  policyRejected: Tensor[],
  refChosen: number[],
  refRejected: number[],
  beta: number,
): DPOStats {
  const B = policyChosen.length;
  let loss: Tensor | null = null;
  let chosenReward = 0;
  let rejectedReward = 0;
  let right = 0;
  for (let b = 0; b < B; b++) {
    const logits = policyChosen[b].sub(policyRejected[b]).sub(refChosen[b] - refRejected[b]);
    const term = negLogSigmoid(logits.mul(beta));
    loss = loss ? loss.add(term) : term;
    const cr = policyChosen[b].item() - refChosen[b];
    const rr = policyRejected[b].item() - refRejected[b];
    chosenReward += cr;
    rejectedReward += rr;
    if (cr > rr) right++;
  }
  return {
    loss: loss!.div(B),
    chosenReward: chosenReward / B,
    rejectedReward: rejectedReward / B,
    margin: (chosenReward - rejectedReward) / B,
    accuracy: right / B,
  };
}

// The DPO loss and rewards of one batch: the policy with gradients, the reference without.
export function dpoBatch(
  policy: GPTModel,
  reference: GPTModel,
  batch: PreferenceBatch,
  beta: number,
): DPOStats {
  const ref = noGrad(() => ({
    chosen: sequenceLogProbs(reference.forward(batch.chosen), batch.chosen, batch.chosenMask).map((t) =>
      t.item(),
    ),
    rejected: sequenceLogProbs(reference.forward(batch.rejected), batch.rejected, batch.rejectedMask).map(
      (t) => t.item(),
    ),
  }));
  const chosen = sequenceLogProbs(policy.forward(batch.chosen), batch.chosen, batch.chosenMask);
  const rejected = sequenceLogProbs(policy.forward(batch.rejected), batch.rejected, batch.rejectedMask);
  return dpoLoss(chosen, rejected, ref.chosen, ref.rejected, beta);
}

export interface DPOEval {
  loss: number;
  chosenReward: number;
  rejectedReward: number;
  margin: number;
  accuracy: number;
  pairs: number;
}

// Means over the first numBatches batches (all when not given), without gradients, in eval mode.
export function evaluateDPO(
  policy: GPTModel,
  reference: GPTModel,
  batches: Iterable<PreferenceBatch>,
  beta: number,
  numBatches?: number,
): DPOEval {
  const wasTraining = policy.training;
  policy.eval();
  const sum = { loss: 0, chosenReward: 0, rejectedReward: 0, margin: 0, accuracy: 0, pairs: 0 };
  try {
    noGrad(() => {
      let n = 0;
      for (const batch of batches) {
        if (numBatches !== undefined && n++ >= numBatches) break;
        const s = dpoBatch(policy, reference, batch, beta);
        const B = batch.shape[0];
        sum.loss += s.loss.item() * B;
        sum.chosenReward += s.chosenReward * B;
        sum.rejectedReward += s.rejectedReward * B;
        sum.margin += s.margin * B;
        sum.accuracy += s.accuracy * B;
        sum.pairs += B;
      }
    });
  } finally {
    policy.train(wasTraining);
  }
  const p = Math.max(sum.pairs, 1);
  return {
    loss: sum.loss / p,
    chosenReward: sum.chosenReward / p,
    rejectedReward: sum.rejectedReward / p,
    margin: sum.margin / p,
    accuracy: sum.accuracy / p,
    pairs: sum.pairs,
  };
}
