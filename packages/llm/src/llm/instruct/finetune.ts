// Section 7.6: instruction fine-tuning through the pretraining loop (checkpoints, resume, progress,
// the loss plot), optionally with LoRA adapters (appendix E), then section 7.7's responses for the
// test set. The model directory written at the end is marked 'instruct' in its config.json.
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { saveModelDir } from '../families/gpt2.js';
import { Rng } from '../../tensor/index.js';
import { counter } from 'llm-scratch-core/terminal';
import { gpt2Tokenizer } from '../fundamentals.js';
import { GPTModel } from '../gpt.js';
import { InstructionDataset, loadInstructionData, splitInstructionData } from '../instruction.js';
import { applyLoRA, mergeLoRA, type LoRAConfig } from '../lora.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { batchesPerEpoch, initialState, makeOptimizer, type TrainOptions } from '../train/loop.js';
import { runTraining, type PretrainIO, type RunOutputOptions } from '../train/run.js';
import { RESPONSES_FILE } from './defaults.js';
import { loadInstructModel, respond, respondAll } from './respond.js';

export { INSTRUCT_DEFAULTS, RESPONSES_FILE } from './defaults.js';

export interface FinetuneInstructOptions extends TrainOptions, RunOutputOptions {
  // The model directory to start from, or (resume) a checkpoint of an earlier instruction run.
  model?: string;
  resume?: string;
  data: string;
  // Inputs and targets cut to this many tokens (the model's context length at most).
  allowedMaxLength?: number;
  dropRate?: number;
  lora?: LoRAConfig;
  // Responses for the test set after training (off: none; a number: the first N entries).
  respond: boolean;
  respondLimit?: number;
  maxNewTokens: number;
}

export interface FinetuneInstructSummary {
  status: 'done' | 'stopped';
  modelDir?: string;
  responsesFile?: string;
  trainable: number;
  total: number;
  seconds: number;
  firstValLoss: number;
  lastValLoss: number;
  split: { train: number; test: number; val: number };
}

export async function finetuneInstruct(
  o: FinetuneInstructOptions,
  io: PretrainIO,
): Promise<FinetuneInstructSummary> {
  const started = performance.now();
  if ((o.model === undefined) === (o.resume === undefined))
    throw new UserError('give one of --model DIR and --resume DIR');
  const resume = o.resume !== undefined ? loadCheckpoint(o.resume) : undefined;
  const source = resume ? resume.weights : loadInstructModel(o.model!);
  const config = { ...source.config };
  if (o.dropRate !== undefined && !resume) config.dropRate = o.dropRate;
  const allowed = o.allowedMaxLength ?? config.contextLength;
  if (allowed > config.contextLength) {
    throw new UserError(
      `--allowed-max-length ${allowed} is longer than the model's context length ${config.contextLength}`,
    );
  }

  const tokenizer = gpt2Tokenizer();
  const entries = loadInstructionData(o.data);
  const split = splitInstructionData(entries);
  if (split.val.length === 0 || split.train.length < o.batchSize) {
    throw new UserError(
      `${o.data}: ${entries.length} records make ${split.train.length} training and ${split.val.length} validation examples; need at least one batch of ${o.batchSize} and one validation example`,
    );
  }
  const collate = { allowedMaxLength: allowed };
  const train = new InstructionDataset(split.train, tokenizer, collate);
  const val = new InstructionDataset(split.val, tokenizer, collate);
  const maxId = train.encoded.reduce((m, ids) => ids.reduce((a, b) => Math.max(a, b), m), 0);
  if (maxId >= config.vocabSize)
    throw new UserError(`token id ${maxId} does not fit the model's vocabulary of ${config.vocabSize}`);

  const modelRng = new Rng(o.seed);
  const model = new GPTModel(config, { rng: modelRng, skipInit: true });
  const lora = resume ? resume.file.lora : o.lora;
  if (resume) {
    if (lora) applyLoRA(model, { ...lora, rng: modelRng });
    model.loadStateDict(source.stateDict());
  } else {
    model.loadStateDict(source.stateDict());
    if (lora) applyLoRA(model, { ...lora, rng: modelRng });
  }
  const total = model.numParameters();
  const trainable = model.numParameters({ trainableOnly: true });
  const optimizer = makeOptimizer(model, o);
  let start = initialState(o.seed, modelRng);
  if (resume) {
    if (resume.file.trainWindows !== train.length) {
      throw new UserError(
        `--resume: the checkpoint was trained on ${resume.file.trainWindows} examples per epoch, this data makes ${train.length}: resume with the same --data`,
      );
    }
    optimizer.loadStateDict(resume.optimizer);
    const f = resume.file;
    start = {
      step: f.step,
      epoch: f.epoch,
      batchInEpoch: f.batchInEpoch,
      tokensSeen: f.tokensSeen,
      dataRng: f.dataRng,
      modelRng: f.modelRng,
      history: f.history,
    };
  }
  if (batchesPerEpoch(train, o.batchSize) === 0)
    throw new UserError('fewer training examples than one batch');

  const what = lora
    ? `LoRA rank ${lora.rank}, alpha ${lora.alpha}${lora.scaleByRank ? ' / rank' : ''}: ${trainable.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} parameters (${((100 * trainable) / total).toFixed(2)}%)`
    : `${trainable.toLocaleString('en-US')} parameters`;
  const run = await runTraining(
    {
      model,
      optimizer,
      data: { train, val },
      start,
      modelRng,
      resumed: resume !== undefined,
      started,
      kind: 'instruct',
      intro: `instruction fine-tuning ${what} on ${split.train.length} examples, validating on ${split.val.length} (${split.test.length} for testing)`,
      sample: () =>
        respond(model, tokenizer, split.val[0], { maxNewTokens: Math.min(o.maxNewTokens, 35) }).replace(
          /\n/g,
          ' ',
        ),
      plotTitle: (state) =>
        `instruction fine-tuning${lora ? ` (LoRA rank ${lora.rank})` : ''}: ${state.tokensSeen.toLocaleString('en-US')} tokens`,
    },
    o,
    io,
  );
  const h = run.state.history;
  const summary: FinetuneInstructSummary = {
    status: run.status,
    trainable,
    total,
    seconds: run.seconds,
    firstValLoss: h.valLosses[0] ?? NaN,
    lastValLoss: h.valLosses[h.valLosses.length - 1] ?? NaN,
    split: { train: split.train.length, test: split.test.length, val: split.val.length },
  };
  if (run.status === 'stopped') return summary;

  // The final model: adapters merged into plain weights, marked as an instruction model.
  mergeLoRA(model);
  summary.modelDir = join(o.out, 'model');
  saveModelDir(summary.modelDir, model, 'instruct');
  io.stderr(`saved the instruction-tuned model to ${summary.modelDir}\n`);
  if (o.respond) {
    const test = o.respondLimit !== undefined ? split.test.slice(0, o.respondLimit) : split.test;
    const shown = counter(io.stderr, 'responses', test.length);
    const responded = await respondAll(model, tokenizer, test, { maxNewTokens: o.maxNewTokens }, (done) => {
      if (io.progressBar) shown.update(done);
    });
    shown.end();
    summary.responsesFile = join(o.out, RESPONSES_FILE);
    writeFileAtomic(summary.responsesFile, [JSON.stringify(responded, null, 4) + '\n']);
    io.stderr(`wrote ${responded.length} test responses to ${summary.responsesFile}\n`);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
