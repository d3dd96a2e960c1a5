// --precision of the training commands (issue 26, bf16 mixed precision): a precision that does not
// exist is bad usage on each of them, before any data or model is read.
import type { BadInputCase } from '../case.js';

const scratch = (args: string[], stderr: string) =>
  ({ program: 'llm-scratch', kind: 'unknown choice', args, exit: 2, stderr }) satisfies BadInputCase;

export const cases: BadInputCase[] = [
  scratch(
    ['train', '--data', 'text.txt', '--precision', 'fp16'],
    "--precision must be one of f32, bf16, got 'fp16'",
  ),
  scratch(
    ['finetune-classifier', '--model', '{model}', '--data', 'spam.csv', '--precision', 'bfloat16'],
    "--precision must be one of f32, bf16, got 'bfloat16'",
  ),
  scratch(
    ['finetune-instruct', '--model', '{model}', '--precision', 'f16'],
    "--precision must be one of f32, bf16, got 'f16'",
  ),
  scratch(
    ['dpo', '--model', '{model}', '--precision', 'BF16'],
    "--precision must be one of f32, bf16, got 'BF16'",
  ),
];
