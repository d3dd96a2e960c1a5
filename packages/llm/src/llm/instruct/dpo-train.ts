// The DPO bonus's training run (train_model_dpo_simple): AdamW on the policy, a frozen copy of the
// starting model as the reference, the loss and reward margins of the training and validation pairs
// every evalFreq steps, and the held-out (validation) pairs scored before and after.
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { saveModelDir } from '../families/gpt2.js';
import { readTextFile } from '../../io/text-file.js';
import { AdamW, clipGradNorm } from '../../optim/index.js';
import { Rng } from '../../tensor/index.js';
import {
  collatePreferences,
  dpoBatch,
  encodePreference,
  evaluateDPO,
  parsePreferenceData,
  type DPOEval,
  type EncodedPreference,
  type PreferenceBatch,
} from '../dpo.js';
import { gpt2Tokenizer } from '../fundamentals.js';
import { splitInstructionData } from '../instruction.js';
import { listenForInterrupt } from '../train/interrupt.js';
import { Progress } from '../train/progress.js';
import type { PretrainIO } from '../train/run.js';
import { loadInstructModel } from './respond.js';

export { DPO_DEFAULTS } from './defaults.js';

export interface DPOOptions {
  model: string;
  data: string;
  beta: number;
  lr: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  maxSteps?: number;
  evalFreq: number;
  evalIter: number;
  gradClip?: number;
  allowedMaxLength?: number;
  seed: number;
  out: string;
}

export interface DPOHistoryPoint {
  step: number;
  train: DPOEval;
  val: DPOEval;
}

export interface DPOSummary {
  // 'stopped': Ctrl-C ended training early; the model trained so far is saved all the same.
  status: 'done' | 'stopped';
  // Every validation pair, before training (policy = reference) and after.
  before: DPOEval;
  after: DPOEval;
  history: DPOHistoryPoint[];
  steps: number;
  seconds: number;
  modelDir: string;
}

function batchesOf(
  items: EncodedPreference[],
  order: ArrayLike<number>,
  size: number,
  allowed: number,
  dropLast: boolean,
): PreferenceBatch[] {
  const out: PreferenceBatch[] = [];
  for (let s = 0; s < order.length; s += size) {
    const idx = Array.from(order).slice(s, s + size);
    if (dropLast && idx.length < size) break;
    out.push(
      collatePreferences(
        idx.map((i) => items[i]),
        { allowedMaxLength: allowed },
      ),
    );
  }
  return out;
}

export async function trainDPO(o: DPOOptions, io: PretrainIO): Promise<DPOSummary> {
  const started = performance.now();
  const entries = parsePreferenceData(readTextFile(o.data), o.data);
  const split = splitInstructionData(entries);
  if (split.train.length < o.batchSize || split.val.length === 0) {
    throw new UserError(
      `${o.data}: ${entries.length} records make ${split.train.length} training and ${split.val.length} validation pairs; need one batch of ${o.batchSize} and one validation pair`,
    );
  }
  const policy = loadInstructModel(o.model);
  const reference = loadInstructModel(o.model).requiresGrad_(false);
  const allowed = Math.min(o.allowedMaxLength ?? policy.config.contextLength, policy.config.contextLength);
  const tokenizer = gpt2Tokenizer();
  const train = split.train.map((e) => encodePreference(e, tokenizer));
  const val = split.val.map((e) => encodePreference(e, tokenizer));
  const inOrder = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const valBatches = batchesOf(val, inOrder(val.length), o.batchSize, allowed, false);
  const trainEvalBatches = batchesOf(train, inOrder(train.length), o.batchSize, allowed, true);

  // No dropout, as the notebook loads the model with drop_rate 0.
  policy.eval();
  const optimizer = new AdamW(policy.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const perEpoch = Math.floor(train.length / o.batchSize);
  const total = Math.min(o.maxSteps ?? Infinity, perEpoch * o.epochs);
  io.stderr(
    `DPO (beta ${o.beta}) on ${train.length} preference pairs, ${val.length} held out; ${total} steps\n`,
  );
  const before = evaluateDPO(policy, reference, valBatches, o.beta);
  io.stderr(
    `before: held-out loss ${before.loss.toFixed(3)}, reward accuracy ${(100 * before.accuracy).toFixed(1)}%, margin ${before.margin.toFixed(3)}\n`,
  );
  const history: DPOHistoryPoint[] = [];
  const progress = new Progress(io, total, 0);
  const interrupt = listenForInterrupt(io.handleSignals, (t) => progress.log(t), 'saving the model');
  const rng = new Rng(o.seed);
  let step = 0;
  try {
    for (let epoch = 0; epoch < o.epochs && step < total && !interrupt.requested; epoch++) {
      const order = rng.permutation(train.length);
      for (let b = 0; b < perEpoch && step < total && !interrupt.requested; b++) {
        const batch = collatePreferences(
          Array.from(order.subarray(b * o.batchSize, (b + 1) * o.batchSize), (i) => train[i]),
          { allowedMaxLength: allowed },
        );
        optimizer.zeroGrad();
        const stats = dpoBatch(policy, reference, batch, o.beta);
        const loss = stats.loss.item();
        if (!Number.isFinite(loss))
          throw new UserError(`DPO: the loss is ${loss} at step ${step + 1}; try a lower --lr`);
        stats.loss.backward();
        if (o.gradClip !== undefined) clipGradNorm(policy.parameters(), o.gradClip);
        optimizer.step();
        step++;
        progress.step(step, loss, 0);
        if (step === 1 || step % o.evalFreq === 0 || step === total) {
          const point = {
            step,
            train: evaluateDPO(policy, reference, trainEvalBatches, o.beta, o.evalIter),
            val: evaluateDPO(policy, reference, valBatches, o.beta, o.evalIter),
          };
          history.push(point);
          progress.result(
            `Ep ${epoch + 1} (Step ${String(step).padStart(6, '0')}): Train loss ${point.train.loss.toFixed(3)}, Val loss ${point.val.loss.toFixed(3)}, Train reward margins ${point.train.margin.toFixed(3)}, Val reward margins ${point.val.margin.toFixed(3)}\n`,
          );
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const after = evaluateDPO(policy, reference, valBatches, o.beta);
  io.stderr(
    `after: held-out loss ${after.loss.toFixed(3)}, reward accuracy ${(100 * after.accuracy).toFixed(1)}%, margin ${after.margin.toFixed(3)}\n`,
  );
  const modelDir = join(o.out, 'model');
  saveModelDir(modelDir, policy, 'instruct');
  const seconds = (performance.now() - started) / 1000;
  const status = interrupt.requested ? 'stopped' : 'done';
  const summary: DPOSummary = { status, before, after, history, steps: step, seconds, modelDir };
  writeFileAtomic(join(o.out, 'dpo.json'), [JSON.stringify(summary, null, 1) + '\n']);
  return summary;
}
