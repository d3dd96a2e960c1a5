// Chapter 7: instruction fine-tuning. The Alpaca-style prompt exactly as the book formats it, the
// data (JSON or JSONL records with instruction, input and output), the 85/10/5 split, the dataset
// that tokenizes once and the book's collate function.
import { UserError } from 'llm-scratch-core/errors';
import { readTextFile } from '../io/text-file.js';
import type { Batch } from './text.js';

export interface InstructionEntry {
  instruction: string;
  input?: string;
  output: string;
}

export const PREAMBLE =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';
export const RESPONSE_HEADER = '\n\n### Response:\n';

// The book's format_input: the preamble, the instruction and, when not empty, the input.
export function formatInput(entry: Pick<InstructionEntry, 'instruction' | 'input'>): string {
  const input = entry.input ? `\n\n### Input:\n${entry.input}` : '';
  return `${PREAMBLE}\n\n### Instruction:\n${entry.instruction}${input}`;
}

// The prompt given to the model at inference: the formatted input and the response header.
export function formatPrompt(entry: Pick<InstructionEntry, 'instruction' | 'input'>): string {
  return formatInput(entry) + RESPONSE_HEADER;
}

// One training text: prompt plus the reference answer.
export function formatExample(entry: InstructionEntry): string {
  return formatPrompt(entry) + entry.output;
}

// What the model answered: the text after the prompt, without the response header (the book's
// `generated_text[len(input_text):].replace("### Response:", "").strip()`).
export function extractResponse(generated: string, prompt: string): string {
  const rest = generated.startsWith(prompt) ? generated.slice(prompt.length) : generated;
  return rest.replace('### Response:', '').trim();
}

// ---- the data (section 7.2-7.4) ----

// Reads instruction records from a JSON array or a JSONL file (one object a line). Every record
// needs a string `instruction` and `output`; `input` is optional. Bad records are named by index.
export function parseInstructionData(text: string, source: string): InstructionEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new UserError(`${source}: no records`);
  let records: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      records = JSON.parse(trimmed) as unknown[];
    } catch (err) {
      throw new UserError(`${source}: not valid JSON (${(err as Error).message})`);
    }
  } else {
    records = trimmed.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch (err) {
        throw new UserError(`${source}: line ${i + 1} is not valid JSON (${(err as Error).message})`);
      }
    });
  }
  const problems: string[] = [];
  const entries = records.map((r, i) => {
    const rec = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    const bad = ['instruction', 'output'].filter((k) => typeof rec[k] !== 'string');
    if (rec.input !== undefined && rec.input !== null && typeof rec.input !== 'string') bad.push('input');
    if (bad.length)
      problems.push(`record ${i}: ${bad.map((k) => `'${k}'`).join(' and ')} missing or not a string`);
    return { ...rec, input: rec.input ?? '' } as InstructionEntry;
  });
  if (problems.length) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw new UserError(`${source}: ${problems.slice(0, 5).join('; ')}${more}`);
  }
  if (entries.length === 0) throw new UserError(`${source}: no records`);
  return entries;
}

export function loadInstructionData(file: string): InstructionEntry[] {
  return parseInstructionData(readTextFile(file), file);
}

export interface InstructionSplit<E> {
  train: E[];
  test: E[];
  val: E[];
}

// Section 7.2: the first 85% train, the next 10% test, the remaining 5% validate (no shuffling).
export function splitInstructionData<E>(data: E[]): InstructionSplit<E> {
  const trainPortion = Math.floor(data.length * 0.85);
  const testPortion = Math.floor(data.length * 0.1);
  return {
    train: data.slice(0, trainPortion),
    test: data.slice(trainPortion, trainPortion + testPortion),
    val: data.slice(trainPortion + testPortion),
  };
}

export const PAD_TOKEN_ID = 50256;
export const IGNORE_INDEX = -100;

export interface CollateOptions {
  padTokenId?: number;
  ignoreIndex?: number;
  // Cut inputs and targets to this many tokens (the model's context length, say).
  allowedMaxLength?: number;
}

// Section 7.3's custom_collate_fn: each sequence gets one end token, all are padded with it to the
// longest + 1, inputs drop the last token and targets the first; every padding target but the first
// is replaced by ignoreIndex so that the loss skips it, then both are cut to allowedMaxLength.
export function customCollate(batch: readonly (readonly number[])[], options: CollateOptions = {}): Batch {
  const pad = options.padTokenId ?? PAD_TOKEN_ID;
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  if (batch.length === 0) throw new Error('customCollate: empty batch');
  const batchMaxLength = Math.max(...batch.map((item) => item.length + 1));
  const length =
    options.allowedMaxLength !== undefined
      ? Math.min(options.allowedMaxLength, batchMaxLength - 1)
      : batchMaxLength - 1;
  const inputs = new Int32Array(batch.length * length);
  const targets = new Int32Array(batch.length * length);
  batch.forEach((item, r) => {
    const padded = [...item, ...new Array<number>(batchMaxLength - item.length).fill(pad)];
    const input = padded.slice(0, -1);
    const target = padded.slice(1);
    let seenPad = false;
    for (let i = 0; i < target.length; i++) {
      if (target[i] !== pad) continue;
      if (seenPad) target[i] = ignore;
      seenPad = true;
    }
    inputs.set(input.slice(0, length), r * length);
    targets.set(target.slice(0, length), r * length);
  });
  return { inputs, targets, shape: [batch.length, length] };
}

// Section 7.3's InstructionDataset: every example tokenized once (prompt + response), batched by
// customCollate. Usable as the training loop's batch source.
export class InstructionDataset {
  readonly encoded: number[][];

  constructor(
    readonly entries: readonly InstructionEntry[],
    tokenizer: { encode(text: string): number[] },
    readonly collate: CollateOptions = {},
  ) {
    this.encoded = entries.map((e) => tokenizer.encode(formatExample(e)));
  }

  get length(): number {
    return this.encoded.length;
  }

  batch(indices: ArrayLike<number>): Batch {
    return customCollate(
      Array.from(indices, (i) => this.encoded[i]),
      this.collate,
    );
  }
}
