// Training checkpoints: a directory with the model in the Hugging Face GPT-2 layout (model.safetensors
// + config.json, so it loads anywhere a model directory does), the optimizer's moment tensors in
// optimizer.safetensors, and trainer.json with everything else a resumed run needs to take the same
// steps as an uninterrupted one: step, epoch, position in the epoch, both RNG states, the optimizer's
// hyperparameters and step count, and the loss history for the plot.
//
// The directory is written beside its final name and swapped into place (see checkpoint-swap.ts),
// so a crash or Ctrl-C at any point leaves a complete checkpoint that --resume finds.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { loadModelDir, parseConfigJson, saveModelDir, type ModelKind } from '../families/gpt2.js';
import { readTextFile } from '../../io/text-file.js';
import { recoverCheckpoint, swapCheckpoint, TRAINER_FILE } from './checkpoint-swap.js';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.js';
import type { AdamWOptions, OptimizerState } from '../../optim/index.js';
import type { RngState } from '../../tensor/index.js';
import type { GPTConfig, GPTModel } from '../gpt.js';
import {
  applyLoRA,
  loadLoRAStateDict,
  loraConfig,
  loraStateDict,
  withPlainLinears,
  type LoRAConfig,
} from '../lora.js';

export { TRAINER_FILE };
export const OPTIMIZER_FILE = 'optimizer.safetensors';
// A LoRA run's adapters (appendix E); the model files beside them hold the frozen base weights.
export const LORA_FILE = 'lora.safetensors';
const FORMAT = 'llm-scratch-checkpoint';
const VERSION = 1;

// Evaluations so far, for the loss plot (figure 5.12).
export interface LossHistory {
  steps: number[];
  tokensSeen: number[];
  trainLosses: number[];
  valLosses: number[];
}

// Where a run stands between two optimizer steps.
export interface TrainerState {
  // Optimizer steps done.
  step: number;
  // 0-based epoch in progress and the index of its next batch.
  epoch: number;
  batchInEpoch: number;
  tokensSeen: number;
  // The data order generator as it was at the start of the current epoch (the epoch's permutation
  // is drawn from it again on resume), and the dropout generator as it is now.
  dataRng: RngState;
  modelRng: RngState;
  history: LossHistory;
}

export interface CheckpointFile extends TrainerState {
  format: string;
  version: number;
  config: GPTConfig;
  optimizer: { step: number; groups: AdamWOptions[] };
  // Windows per epoch when saved: a resume on other data would continue at a meaningless position.
  trainWindows: number;
  // Present when the model trains LoRA adapters (saved in lora.safetensors).
  lora?: LoRAConfig;
}

export function saveCheckpoint(
  dir: string,
  model: GPTModel,
  optimizer: OptimizerState<AdamWOptions>,
  state: TrainerState,
  trainWindows: number,
  kind: ModelKind = 'base',
): void {
  swapCheckpoint(dir, (temp) => {
    const lora = loraConfig(model);
    withPlainLinears(model, () => saveModelDir(temp, model, kind));
    if (lora) writeSafetensors(join(temp, LORA_FILE), loraStateDict(model));
    writeSafetensors(join(temp, OPTIMIZER_FILE), optimizer.tensors);
    const file: CheckpointFile = {
      format: FORMAT,
      version: VERSION,
      config: model.config,
      optimizer: { step: optimizer.step, groups: optimizer.groups },
      trainWindows,
      ...(lora ? { lora } : {}),
      ...state,
    };
    // Written last: a directory with trainer.json is complete (see checkpoint-swap.ts).
    saveJson(join(temp, TRAINER_FILE), file);
  });
}

function saveJson(file: string, value: unknown): void {
  writeFileAtomic(file, [JSON.stringify(value, null, 1) + '\n']);
}

// A checkpoint directory itself, or a run's output directory holding one under checkpoint/.
export function resolveCheckpoint(path: string): string {
  for (const dir of [path, join(path, 'checkpoint')]) {
    // A run killed in the middle of a save may have left the newest copy beside its name.
    recoverCheckpoint(dir);
    if (existsSync(join(dir, TRAINER_FILE))) return dir;
  }
  if (!existsSync(path)) throw new UserError(`--resume ${path}: no such directory`);
  if (!statSync(path).isDirectory()) throw new UserError(`--resume ${path}: not a directory`);
  throw new UserError(`--resume ${path}: no ${TRAINER_FILE} there or in ${join(path, 'checkpoint')}`);
}

export interface LoadedCheckpoint {
  file: CheckpointFile;
  optimizer: OptimizerState<AdamWOptions>;
  // The weights as saved (with the LoRA adapters of a LoRA run applied); the caller copies them into
  // a model built with its own generator.
  weights: GPTModel;
}

export function loadCheckpoint(path: string): LoadedCheckpoint {
  const dir = resolveCheckpoint(path);
  const trainerPath = join(dir, TRAINER_FILE);
  const file = parseConfigJson(readTextFile(trainerPath), trainerPath) as unknown as CheckpointFile;
  if (file.format !== FORMAT) throw new UserError(`${trainerPath}: not an llm-scratch checkpoint`);
  if (file.version !== VERSION) {
    throw new UserError(
      `${trainerPath}: checkpoint version ${String(file.version)}, this build reads version ${VERSION}`,
    );
  }
  const weights = loadModelDir(dir);
  // The model is rebuilt from trainer.json's config: it must be the one config.json describes and
  // the weights were checked against (a forged size would otherwise be allocated unchecked).
  const saved = (typeof file.config === 'object' && file.config) || ({} as Partial<GPTConfig>);
  for (const key of ['vocabSize', 'contextLength', 'embDim', 'nLayers', 'nHeads'] as const) {
    if (saved[key] !== weights.config[key])
      throw new UserError(
        `${trainerPath}: config.${key} is ${String(saved[key])}, but the model's config.json says ${weights.config[key]}`,
      );
  }
  const opt = file.optimizer as Partial<CheckpointFile['optimizer']> | undefined;
  if (!opt || !Number.isSafeInteger(opt.step) || !Array.isArray(opt.groups))
    throw new UserError(`${trainerPath}: no valid optimizer state (step and groups)`);
  if (file.lora) loadLoRAAdapters(dir, weights, file.lora, trainerPath);
  const tensors = readSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  return { file, weights, optimizer: { step: file.optimizer.step, groups: file.optimizer.groups, tensors } };
}

// Applies a LoRA run's adapters to weights loaded from `dir`: the config saved in trainer.json
// (checked, since a forged rank would be allocated), the tensors from lora.safetensors.
export function loadLoRAAdapters(dir: string, model: GPTModel, lora: unknown, trainerPath: string): void {
  const saved = lora as Partial<LoRAConfig> | null;
  const rank = saved?.rank;
  if (
    typeof saved !== 'object' ||
    saved === null ||
    !Number.isInteger(rank) ||
    rank! < 1 ||
    rank! > model.config.embDim
  )
    throw new UserError(`${trainerPath}: lora.rank must be an integer in 1..${model.config.embDim}`);
  if (typeof saved.alpha !== 'number' || !Number.isFinite(saved.alpha))
    throw new UserError(`${trainerPath}: lora.alpha must be a finite number`);
  applyLoRA(model, saved as LoRAConfig);
  const file = join(dir, LORA_FILE);
  loadLoRAStateDict(model, readSafetensors(file).tensors, file);
}
