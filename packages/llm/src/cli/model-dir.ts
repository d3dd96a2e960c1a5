// Where a command finds its model: a model directory itself, or the run directory a training
// command wrote (train and finetune-instruct keep the weights under checkpoint/, finetune-instruct
// and dpo the final model under model/, finetune-classifier the classifier in the run directory).
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';

const MODEL_FILES = ['config.json', 'model.safetensors'];
// The final model before the last checkpoint: model/ holds LoRA adapters merged into the weights.
const RUN_SUBDIRS = ['model', 'checkpoint'];

const entryExists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};
const holdsModel = (dir: string) => MODEL_FILES.every((f) => entryExists(join(dir, f)));
// Failing a whole model there or in a run's subdirectory, a directory with any of a model's files
// (a dangling link included) is taken as the model, so that the loader names what is wrong with it.
const MODEL_ENTRIES = [...MODEL_FILES, 'model.safetensors.index.json'];
const looksLikeModel = (dir: string) => MODEL_ENTRIES.some((f) => entryExists(join(dir, f)));

function listing(dir: string): string {
  const names = readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
  if (names.length === 0) return 'it is empty';
  const shown = names.slice(0, 10).join(', ');
  return `it holds ${shown}${names.length > 10 ? `, ... (${names.length} entries)` : ''}`;
}

/** The model directory at path, or inside the run directory at path; `flag` names the option. */
export function resolveModelDir(path: string, flag = 'model'): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`--${flag} ${path}: no such directory`);
  }
  if (!stat.isDirectory())
    throw new UserError(
      `--${flag} ${path}: not a directory (a model directory holds ${MODEL_FILES.join(' and ')})`,
    );
  for (const dir of [path, ...RUN_SUBDIRS.map((d) => join(path, d))]) if (holdsModel(dir)) return dir;
  if (looksLikeModel(path)) return path;
  throw new UserError(
    `--${flag} ${path}: no model (${MODEL_FILES.join(' and ')}) there or in ${RUN_SUBDIRS.map((d) => `${d}/`).join(' or ')}; ${listing(path)}`,
  );
}
