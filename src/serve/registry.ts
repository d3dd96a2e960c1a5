// The models a server holds: each model directory loaded once at start, named, with its kind
// (base, instruct or classifier) read from config.json.
import { basename, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { readModelKind, type ModelKind } from '../io/hub-config.js';
import { loadClassifierDir } from '../llm/classifier.js';
import type { GPTConfig, GPTModel } from '../llm/gpt.js';
import { loadInstructModel } from '../llm/instruct/respond.js';
import { applyWeightDType, parseWeightDType } from '../llm/weight-dtype.js';
import { ModelQueue } from './queue.js';

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
  // One generation or classification at a time per model; the rest wait here.
  queue: ModelQueue;
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

// dtype: the --dtype option (f32 or bf16 weights for decoding; as the file stores them when
// undefined). Classifiers run the module forward and stay f32.
export function loadModel(spec: ModelSpec, maxQueue: number, dtype?: string): ServedModel {
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
  if (kind !== 'classifier') applyWeightDType(model, parseWeightDType(dtype), spec.dir);
  // Serving never trains: dropout off for good.
  model.eval();
  return {
    name: spec.name,
    dir: spec.dir,
    kind,
    model,
    config: model.config,
    parameters,
    labels,
    queue: new ModelQueue(maxQueue),
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

  static load(specs: readonly ModelSpec[], maxQueue: number, dtype?: string): ModelRegistry {
    return new ModelRegistry(specs.map((s) => loadModel(s, maxQueue, dtype)));
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
