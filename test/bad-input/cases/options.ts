// Option values: negative and out-of-range numbers, values out of range for the model, choices
// that do not exist and required options left out, in both programs (issue 21, item 2).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

const text = (dir: string) => writeFileSync(join(dir, 'text.txt'), 'Every effort moves you. '.repeat(40));
const labelled = (dir: string) =>
  writeFileSync(join(dir, 'labelled.csv'), 'label,text\nham,hello there\nspam,win a prize now\n');
const seventyIds = Array.from({ length: 70 }, (_, i) => i + 1).join(',');

const scratch = (
  kind: string,
  args: string[],
  exit: 0 | 1 | 2,
  stderr: string,
  setup?: (dir: string) => void,
) => ({ program: 'llm-scratch', kind, args, exit, stderr, setup }) satisfies BadInputCase;
const crew = (kind: string, args: string[], exit: 0 | 1 | 2, stderr: string) =>
  ({ program: 'llm-crew', kind, args, exit, stderr }) satisfies BadInputCase;

export const cases: BadInputCase[] = [
  scratch(
    'not a number',
    ['generate', '--model', '{model}', '--ids', '1,2', '--max-new-tokens', 'abc'],
    2,
    "--max-new-tokens expects a number, got 'abc'",
  ),
  scratch(
    'not a number',
    ['generate', '--model', '{model}', '--ids', '1,2', '--max-new-tokens', '2.5'],
    2,
    "--max-new-tokens expects an integer, got '2.5'",
  ),

  scratch(
    'negative number',
    ['logits', '--model', '{model}', '--ids', '-1'],
    2,
    "--ids: '-1' is not a token id",
  ),
  scratch(
    'negative number',
    ['generate', '--model', '{model}', '--ids', '1,2', '--max-new-tokens', '-1'],
    2,
    '--max-new-tokens must be at least 1, got -1',
  ),
  scratch(
    'negative number',
    ['chat', '--model', '{model}', '--temperature', '-0.5'],
    2,
    '--temperature must be at least 0, got -0.5',
  ),
  scratch(
    'negative number',
    ['respond', '--model', '{model}', '--limit', '-3'],
    2,
    '--limit must be at least 1, got -3',
  ),
  scratch(
    'negative number',
    ['train', '--data', 'text.txt', '--lr', '-0.1'],
    2,
    '--lr must be above 0, got -0.1',
    text,
  ),
  scratch(
    'negative number',
    ['finetune-instruct', '--model', '{model}', '--epochs', '-1'],
    2,
    '--epochs must be at least 1, got -1',
  ),
  scratch(
    'negative number',
    ['finetune-classifier', '--data', 'spamassassin', '--config', 'gpt2-tiny', '--weight-decay', '-1'],
    2,
    '--weight-decay must be at least 0, got -1',
  ),
  scratch(
    'negative number',
    ['dpo', '--model', '{model}', '--beta', '-1'],
    2,
    '--beta must be above 0, got -1',
  ),
  scratch(
    'negative number',
    ['classify', '--model', '{model}', '--max-length', '-8', 'hi'],
    2,
    '--max-length must be at least 1, got -8',
  ),
  scratch(
    'negative number',
    ['serve', '--model', '{model}', '--queue', '-1'],
    2,
    '--queue must be at least 0, got -1',
  ),
  scratch(
    'negative number',
    ['judge', '--responses', 'r.json', '--tries', '-2'],
    2,
    '--tries must be at least 1, got -2',
  ),
  scratch(
    'negative number',
    ['bpe-train', '--input', 'text.txt', '--vocab-size', '300', '--out', 'bpe', '--min-frequency', '-1'],
    2,
    '--min-frequency must be at least 1, got -1',
  ),
  scratch('negative number', ['bench', 'gemm', '--threads', '-1'], 2, '--threads must be at least 0, got -1'),
  crew('negative number', ['logs', 'agent', '--lines', '-5'], 2, '--lines must be at least 0, got -5'),
  crew(
    'negative number',
    ['init', '--book', 'structure.json', '--agents', '-2'],
    2,
    '--agents must be at least 1, got -2',
  ),
  crew(
    'negative number',
    ['supervise', '--max-restarts', '-1'],
    2,
    '--max-restarts must be at least 0, got -1',
  ),
  crew('negative number', ['test', '--timeout', '-5'], 2, '--timeout must be above 0, got -5'),

  scratch(
    'out of range',
    ['generate', '--model', '{model}', '--ids', '1', '--top-k', '0'],
    2,
    '--top-k must be at least 1, got 0',
  ),
  scratch(
    'out of range',
    ['generate', '--model', '{model}', '--ids', '1', '--top-p', '1.5'],
    2,
    '--top-p must be at most 1, got 1.5',
  ),
  scratch(
    'out of range',
    ['train', '--data', 'text.txt', '--drop-rate', '1'],
    2,
    '--drop-rate must be below 1, got 1',
    text,
  ),
  scratch(
    'out of range',
    ['serve', '--model', '{model}', '--port', '70000'],
    2,
    '--port must be at most 65535, got 70000',
  ),
  scratch(
    'out of range',
    ['bpe-train', '--input', 'text.txt', '--vocab-size', '100', '--out', 'bpe'],
    2,
    '--vocab-size must be at least 257, got 100',
  ),
  crew('out of range', ['dashboard', '--port', '99999'], 2, '--port must be at most 65535, got 99999'),
  crew('out of range', ['dashboard', '--interval', '0'], 2, '--interval must be above 0, got 0'),

  scratch(
    'out of range for the model',
    ['generate', '--model', '{model}', '--ids', '1', '--eos-id', '50257'],
    1,
    "--eos-id 50257 is outside the model's vocabulary (ids 0 to 50256)",
  ),
  scratch(
    'out of range for the model',
    ['generate', '--model', '{model}', '--ids', '1', '--top-k', '60000'],
    1,
    "--top-k 60000 is above the model's vocabulary of 50257 tokens",
  ),
  scratch(
    'out of range for the model',
    ['generate', '--model', '{model}', '--ids', '1,99999'],
    1,
    "--ids: token id 99999 is outside the model's vocabulary (ids 0 to 50256)",
  ),
  scratch(
    'out of range for the model',
    ['logits', '--model', '{model}', '--ids', seventyIds],
    1,
    "--ids: 70 ids are more than the model's context length of 64",
  ),
  scratch(
    'out of range for the model',
    ['chat', '--model', '{model}', '--top-k', '50258'],
    1,
    "--top-k 50258 is above the model's vocabulary of 50257 tokens",
  ),
  scratch(
    'out of range for the model',
    ['finetune-instruct', '--model', '{model}', '--allowed-max-length', '65'],
    1,
    "--allowed-max-length 65 is above the model's context length of 64",
  ),
  scratch(
    'out of range for the model',
    ['dpo', '--model', '{model}', '--allowed-max-length', '100'],
    1,
    "--allowed-max-length 100 is above the model's context length of 64",
  ),
  scratch(
    'out of range for the model',
    ['finetune-classifier', '--data', 'labelled.csv', '--model', '{model}', '--max-length', '65'],
    1,
    "--max-length 65 is above the model's context length of 64",
    labelled,
  ),
  scratch(
    'out of range for the model',
    ['train', '--data', 'text.txt', '--init', '{model}', '--context-length', '128'],
    1,
    "--context-length 128 is above the model's context length of 64",
    text,
  ),
  scratch(
    'out of range for the model',
    ['classify', '--model', '{model}', '--max-length', '65', 'hello'],
    1,
    "--max-length 65 is above the model's context length of 64",
  ),

  scratch(
    'bad choice',
    ['respond', '--model', '{model}', '--split', 'dev'],
    2,
    "--split must be one of test, val, train, all, got 'dev'",
  ),
  scratch(
    'bad choice',
    ['judge', '--responses', 'r.json', '--api', 'claude'],
    2,
    "--api must be one of ollama, openai, got 'claude'",
  ),
  scratch(
    'bad choice',
    ['finetune-classifier', '--data', 'spamassassin', '--config', 'gpt2-tiny', '--trainable', 'some'],
    2,
    "--trainable must be one of last-block, all, head, got 'some'",
  ),
  scratch(
    'bad choice',
    ['finetune-classifier', '--data', 'spamassassin', '--config', 'gpt2-tiny', '--format', 'xml'],
    2,
    "--format must be one of sms, csv, tsv, jsonl, got 'xml'",
  ),
  scratch(
    'bad choice',
    ['info', '--config', 'gpt5'],
    2,
    "--config must be one of gpt2-small, gpt2-medium, gpt2-large, gpt2-xl, gpt2-mini, gpt2-tiny, gemma-3-270m, llama-3.2-1b, qwen3-0.6b or a config.json file, got 'gpt5'",
  ),
  crew(
    'bad choice',
    ['issues', 'list', '--state', 'done'],
    2,
    "--state must be one of open, closed, all, got 'done'",
  ),
  crew(
    'bad choice',
    ['issues', 'list', '--tracker', 'jira'],
    2,
    "--tracker must be one of local, github, got 'jira'",
  ),
  crew(
    'bad choice',
    ['book', 'split', 'book.pdf', '--by', 'page', '--out', 'chunks'],
    2,
    "--by must be one of chapter, plan, got 'page'",
  ),

  scratch('missing required option', ['generate', '--ids', '1'], 2, '--model is required'),
  scratch('missing required option', ['logits', '--model', '{model}'], 2, '--ids is required'),
  scratch('missing required option', ['respond'], 2, '--model is required'),
  scratch('missing required option', ['chat'], 2, '--model is required'),
  scratch('missing required option', ['dpo'], 2, '--model is required'),
  scratch('missing required option', ['classify', 'hello'], 2, '--model is required'),
  scratch('missing required option', ['serve'], 2, '--model is required'),
  scratch('missing required option', ['judge'], 2, '--responses is required'),
  scratch('missing required option', ['train', '--epochs', '1'], 2, '--data is required'),
  scratch(
    'missing required option',
    ['finetune-classifier', '--config', 'gpt2-tiny'],
    2,
    '--data is required',
  ),
  scratch(
    'missing required option',
    ['bpe-train', '--input', 'text.txt', '--out', 'bpe'],
    2,
    '--vocab-size is required',
  ),
  crew('missing required option', ['init', '--agents', '2'], 2, '--book is required'),
  crew('missing required option', ['issues', 'comment', '3'], 2, '--body is required'),
  crew('missing required option', ['book', 'split', 'book.pdf', '--by', 'chapter'], 2, '--out is required'),
  scratch('unknown option', ['generate', '--model', '{model}', '--nope'], 2, "unknown option '--nope'"),
  crew('unknown option', ['status', '--verbose'], 2, "unknown option '--verbose'"),
];
