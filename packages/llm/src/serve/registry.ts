// The models a server holds: each model directory loaded once at start, named, with its kind
// (base, instruct or classifier) read from config.json.
import { basename, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { readModelKind, type ModelKind } from '../io/hub-config.js';
import { loadClassifierDir } from '../llm/classifier.js';
import { decoderSupports } from '../llm/decoder.js';
import type { GPTConfig, GPTModel } from '../llm/gpt.js';
import { loadInstructModel } from '../llm/instruct/respond.js';
import { applyWeightDType, parseWeightDType } from '../llm/weight-dtype.js';
import { Batcher } from './batcher.js';
import { DEFAULT_MAX_BATCH, ModelQueue } from './queue.js';

export interface ServeOptions {
  // Requests that may wait per model once it runs all it may (429 beyond).
  maxQueue: number;
  // Generations decoded together per model (1: one at a time).
  maxBatch?: number;
  // f32 or bf16 weights for decoding; as the file stores them when undefined.
  dtype?: string;
}

export interface ServedModel {
  // The name clients use in requests: the directory's base name, or NAME from NAME=DIR.
  name: string;
  dir: string;
  kind: ModelKind;
  model: GPTModel;
  config: GPTConfig;
  parameters: number;
  // A classifier's label names, in the order of its head's outputs.
  labels?: string[];
  // Admission: up to maxBatch generations at once (one classification), the rest wait here.
  queue: ModelQueue;
  // Decodes the model's generations together; null where the decoder does not run the model
  // (a classifier, a model with layers it does not know), which generates one request at a time.
  batcher: Batcher | null;
}

export interface ModelSpec {
  name: string;
  dir: string;
}

// '--model DIR' names the model after the directory; '--model NAME=DIR' names it explicitly.
export function parseModelSpec(spec: string): ModelSpec {
  const eq = spec.indexOf('=');
  if (eq > 0 && /^[\w.-]+$/.test(spec.slice(0, eq)))
    return { name: spec.slice(0, eq), dir: spec.slice(eq + 1) };
  return { name: basename(resolve(spec)), dir: spec };
}

// options.dtype: the --dtype option. Classifiers run the module forward and stay f32.
export function loadModel(spec: ModelSpec, options: ServeOptions): ServedModel {
  const kind = readModelKind(spec.dir);
  let model: GPTModel;
  let labels: string[] | undefined;
  if (kind === 'classifier') {
    ({ model, labels } = loadClassifierDir(spec.dir));
  } else {
    // A language model directory, or a LoRA checkpoint of finetune-instruct with its adapters merged.
    model = loadInstructModel(spec.dir);
  }
  // Counted before a bf16 model releases its float32 arrays.
  const parameters = model.numParameters();
  if (kind !== 'classifier') applyWeightDType(model, parseWeightDType(options.dtype), spec.dir);
  return serveModel({ name: spec.name, dir: spec.dir, kind, model, parameters, labels }, options);
}

// A loaded model made ready to serve (also for a model made in memory, as the benchmark does).
export function serveModel(
  loaded: Pick<ServedModel, 'name' | 'dir' | 'kind' | 'model' | 'parameters' | 'labels'>,
  options: ServeOptions,
): ServedModel {
  const { model } = loaded;
  // Serving never trains: dropout off for good.
  model.eval();
  const batcher = loaded.kind !== 'classifier' && decoderSupports(model) ? new Batcher(model) : null;
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  return {
    ...loaded,
    config: model.config,
    queue: new ModelQueue(options.maxQueue, batcher ? maxBatch : 1),
    batcher,
  };
}

export class ModelRegistry {
  private readonly models = new Map<string, ServedModel>();

  constructor(models: readonly ServedModel[]) {
    for (const m of models) {
      if (this.models.has(m.name))
        throw new UserError(`two models are named '${m.name}': name them with --model NAME=DIR`);
      this.models.set(m.name, m);
    }
  }

  static load(specs: readonly ModelSpec[], options: ServeOptions): ModelRegistry {
    return new ModelRegistry(specs.map((s) => loadModel(s, options)));
  }

  get(name: string): ServedModel | undefined {
    return this.models.get(name);
  }

  list(): ServedModel[] {
    return [...this.models.values()];
  }

  // The model a request names, or the first one of the kinds it accepts when it names none.
  firstOf(kinds: readonly ModelKind[]): ServedModel | undefined {
    return this.list().find((m) => kinds.includes(m.kind));
  }
}
