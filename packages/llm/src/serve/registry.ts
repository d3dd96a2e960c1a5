// The models a server holds: each model directory loaded once at start, named, with its kind
// (base, instruct or classifier), its tokenizer, the tokens that end its generations and the
// format its chat prompts take. GPT-2 directories of this project (kind from config.json's
// llm_scratch field) and the hub directories of every family (Llama 3, Qwen3, Gemma 3) are served.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { CONFIG_FILE, readModelKind, type ModelKind } from '../io/hub-config.js';
import { loadClassifierDir } from '../llm/classifier.js';
import { decoderSupports } from '../llm/decoder.js';
import type { CausalLM, ModelShape } from '../llm/families/family.js';
import { readFamilyConfig } from '../llm/families/load.js';
import { gpt2Tokenizer } from '../llm/fundamentals.js';
import { GPTModel } from '../llm/gpt.js';
import { loadInstructModel } from '../llm/instruct/respond.js';
import { loadTokenizerDir } from '../llm/tokenizer/directory.js';
import { readChatTemplate, stopTokenIds, type ChatTemplate } from '../llm/tokenizer/hf/chat-template.js';
import type { Tokenizer } from '../llm/tokenizer/tokenizer.js';
import { applyWeightDType, loadForInference, parseWeightDType } from '../llm/weight-dtype.js';
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
  // The family's name in the registry ('gpt2', 'llama3', 'qwen3', 'gemma3').
  family: string;
  model: CausalLM;
  config: ModelShape;
  parameters: number;
  // The directory's own tokenizer (GPT-2's for this project's GPT-2 directories).
  tokenizer: Tokenizer;
  // The tokens that end a generation: config.json's end token, and the template's end of turn.
  eosIds: readonly number[];
  // The directory's chat template; null: chat prompts take the book's Alpaca format (chat-prompt.ts).
  chatTemplate: ChatTemplate | null;
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
  const family = existsSync(join(spec.dir, CONFIG_FILE)) ? readFamilyConfig(spec.dir).family.name : 'gpt2';
  return family === 'gpt2' ? loadGpt2(spec, options) : loadHubFamily(spec, family, options);
}

// A directory's chat template with the tokenizer it renders for, and the ids that end a turn.
function chatOf(dir: string, fallback: () => Tokenizer, eosIds: readonly number[]) {
  const chatTemplate = readChatTemplate(dir);
  const tokenizer = chatTemplate ? loadTokenizerDir(dir) : fallback();
  const turnEnds = chatTemplate ? stopTokenIds(dir, (t) => tokenizer.specialTokens.get(t)) : [];
  return { chatTemplate, tokenizer, eosIds: [...new Set([...turnEnds, ...eosIds])] };
}

// Llama 3, Qwen3, Gemma 3: decoded by their CausalLM one request at a time, in the weight type
// asked for or the one the files store.
function loadHubFamily(spec: ModelSpec, family: string, options: ServeOptions): ServedModel {
  const model = loadForInference(spec.dir, parseWeightDType(options.dtype));
  const chat = chatOf(spec.dir, () => loadTokenizerDir(spec.dir), model.eosTokenIds);
  return serveModel(
    {
      name: spec.name,
      dir: spec.dir,
      // A directory with a chat template is made to follow instructions.
      kind: chat.chatTemplate ? 'instruct' : 'base',
      family,
      model,
      parameters: model.numParameters(),
      ...chat,
    },
    options,
  );
}

function loadGpt2(spec: ModelSpec, options: ServeOptions): ServedModel {
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
  const chat = chatOf(spec.dir, gpt2Tokenizer, model.eosTokenIds);
  return serveModel(
    { name: spec.name, dir: spec.dir, kind, family: 'gpt2', model, parameters, labels, ...chat },
    options,
  );
}

type ChatFields = 'family' | 'tokenizer' | 'eosIds' | 'chatTemplate';

// A loaded model made ready to serve (also for a model made in memory, as the benchmark does: a
// GPT-2 model with GPT-2's tokenizer and the Alpaca format unless told otherwise).
export function serveModel(
  loaded: Omit<ServedModel, 'config' | 'queue' | 'batcher' | ChatFields> &
    Partial<Pick<ServedModel, ChatFields>>,
  options: ServeOptions,
): ServedModel {
  const { model } = loaded;
  // Serving never trains: dropout off for good.
  model.eval();
  const batcher =
    loaded.kind !== 'classifier' && (!(model instanceof GPTModel) || decoderSupports(model))
      ? new Batcher(model)
      : null;
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  return {
    family: 'gpt2',
    tokenizer: loaded.tokenizer ?? gpt2Tokenizer(),
    eosIds: model.eosTokenIds,
    chatTemplate: null,
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
