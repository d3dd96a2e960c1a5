// Files and directories a command reads, checked before any work starts (issue 21, item 3):
// missing files, directories given for files, run directories given for a model, and the
// package's own data/ as the default from any working directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFixtureModel } from '../../../packages/llm/test/helpers/gpt2-fixture.js';
import type { BadInputCase } from '../case.js';

const text = (dir: string) => writeFileSync(join(dir, 'text.txt'), 'Every effort moves you. '.repeat(40));
// What finetune-instruct leaves in its --out directory (the model files, not the training).
const instructRun = (dir: string) => {
  writeFixtureModel(join(dir, 'runs', 'instruct', 'checkpoint'));
  writeFixtureModel(join(dir, 'runs', 'instruct', 'model'));
};
// A run directory without a model in it: a run stopped before its first checkpoint.
const emptyRun = (dir: string) => {
  mkdirSync(join(dir, 'runs', 'stopped'), { recursive: true });
  writeFileSync(join(dir, 'runs', 'stopped', 'losses.json'), '{}\n');
};
const responses = (dir: string) => {
  const entry = { instruction: 'Name a colour.', input: '', output: 'Blue.', model_response: 'Red.' };
  writeFileSync(join(dir, 'r.json'), JSON.stringify([entry]));
  writeFileSync(join(dir, 'r-scores.json'), '{"scores": [');
};

const scratch = (
  kind: string,
  args: string[],
  exit: 0 | 1 | 2,
  stderr: string | RegExp,
  setup?: (dir: string) => void,
) => ({ program: 'llm-scratch', kind, args, exit, stderr, setup }) satisfies BadInputCase;

const crew = (kind: string, args: string[], exit: 0 | 1 | 2, stderr: string, setup?: (dir: string) => void) =>
  ({ program: 'llm-crew', kind, args, exit, stderr, setup }) satisfies BadInputCase;

export const cases: BadInputCase[] = [
  scratch(
    'missing file',
    ['generate', '--model', '{dir}/nope', '--ids', '1,2'],
    1,
    '/nope: no such directory',
  ),
  scratch(
    'missing file',
    ['dpo', '--model', '{model}', '--data', 'missing.json'],
    1,
    '--data missing.json: no such file',
  ),
  scratch(
    'missing file',
    ['finetune-instruct', '--model', '{model}', '--data', 'missing.json'],
    1,
    '--data missing.json: no such file',
  ),
  scratch(
    'missing file',
    ['respond', '--model', '{model}', '--data', 'missing.json'],
    1,
    '--data missing.json: no such file',
  ),
  scratch('missing file', ['train', '--data', 'missing.txt'], 1, '--data missing.txt: no such file'),
  scratch(
    'missing file',
    ['train', '--data', 'text.txt', '--init', 'nope'],
    1,
    '--init nope: no such directory',
    text,
  ),
  scratch(
    'missing file',
    ['train', '--data', 'text.txt', '--resume', 'nope'],
    1,
    '--resume nope: no such directory',
    text,
  ),
  scratch(
    'missing file',
    ['finetune-classifier', '--data', 'missing.csv', '--config', 'gpt2-tiny'],
    1,
    '--data missing.csv: no such file or directory',
  ),
  scratch(
    'missing file',
    ['classify', '--model', '{model}', '--file', 'missing.txt'],
    1,
    '--file missing.txt: no such file',
  ),
  scratch(
    'missing file',
    ['classify', '--model', '{model}', '--eval', 'missing.csv'],
    1,
    '--eval missing.csv: no such file or directory',
  ),
  scratch('missing file', ['serve', '--model', 'nope'], 1, '--model nope: no such directory'),
  scratch(
    'missing file',
    ['judge', '--responses', 'missing.json'],
    1,
    '--responses missing.json: no such file',
  ),
  scratch('missing file', ['tokenize', '--file', 'missing.txt'], 1, '--file missing.txt: no such file'),
  scratch('missing file', ['decode', '--file', 'missing.txt'], 1, '--file missing.txt: no such file'),
  scratch(
    'missing file',
    ['bpe-train', '--input', 'missing.txt', '--vocab-size', '300', '--out', 'bpe'],
    1,
    '--input missing.txt: no such file',
  ),
  scratch(
    'missing file',
    ['prepare', '--input', 'missing.txt', '--out', 'o.bin'],
    1,
    '--input missing.txt: no such file',
  ),

  crew('missing file', ['issues', 'list', '--plan', 'nope.yaml'], 1, 'nope.yaml: no plan here'),
  crew(
    'missing file',
    ['plan', '--check', '--plan', 'nope.yaml'],
    1,
    "nope.yaml: no plan here; make one with 'llm-crew init",
  ),
  crew('missing file', ['init', '--book', 'nope.json', '--agents', '2'], 1, 'nope.json: cannot read'),
  crew('missing file', ['book', 'analyze', 'nope.pdf'], 1, 'nope.pdf: cannot read (no such file)'),
  crew('missing file', ['book', 'summarize', 'nope'], 1, 'nope/splits.json: no splits.json'),

  scratch('a directory for a file', ['train', '--data', '{dir}'], 1, ': a directory, not a file'),
  scratch(
    'a directory for a file',
    ['finetune-classifier', '--data', '{dir}', '--config', 'gpt2-tiny'],
    1,
    ': a directory without train.csv, validation.csv and test.csv',
  ),
  scratch('a directory for a file', ['judge', '--responses', '{dir}'], 1, ': a directory, not a file'),
  scratch(
    'a file for a directory',
    ['generate', '--model', 'text.txt', '--ids', '1'],
    1,
    '--model text.txt: not a directory',
    text,
  ),

  scratch(
    'run directory',
    ['generate', '--model', 'runs/instruct', '--ids', '1', '--max-new-tokens', '1', '--json'],
    0,
    '',
    instructRun,
  ),
  scratch(
    'run directory',
    [
      'respond',
      '--model',
      'runs/instruct',
      '--limit',
      '1',
      '--max-new-tokens',
      '1',
      '--no-progress',
      '--out',
      'r.json',
    ],
    0,
    '',
    instructRun,
  ),
  scratch(
    'run directory',
    ['chat', '--model', 'runs/stopped'],
    1,
    '--model runs/stopped: no model (config.json and model.safetensors) there or in model/ or checkpoint/; it holds losses.json',
    emptyRun,
  ),
  scratch(
    'run directory',
    ['serve', '--model', 'chat=runs/stopped'],
    1,
    '--model runs/stopped: no model (config.json and model.safetensors) there or in model/ or checkpoint/',
    emptyRun,
  ),

  // The scratch directory has no data/: these read the package's own.
  scratch(
    'default data from another directory',
    ['dpo', '--model', '{model}', '--batch-size', '100000'],
    1,
    /\/data\/instruction-data-with-preference\.json: \d+ records make/,
  ),
  scratch(
    'default data from another directory',
    ['finetune-instruct', '--model', '{model}', '--batch-size', '100000'],
    1,
    /\/data\/instruction-data\.json: \d+ records make/,
  ),

  scratch(
    'output path',
    ['train', '--data', 'text.txt', '--out', 'text.txt'],
    1,
    '--out text.txt: a file, not a directory',
    text,
  ),
  scratch(
    'output path',
    ['train', '--data', 'text.txt', '--log-json', 'nodir/log.jsonl'],
    1,
    '--log-json nodir/log.jsonl: no directory nodir',
    text,
  ),
  scratch(
    'output path',
    ['finetune-instruct', '--model', '{model}', '--out', 'text.txt/run'],
    1,
    '--out text.txt/run: ',
    text,
  ),
  scratch(
    'output path',
    ['finetune-classifier', '--data', 'spamassassin', '--config', 'gpt2-tiny', '--out', 'text.txt'],
    1,
    '--out text.txt: a file, not a directory',
    text,
  ),
  scratch(
    'output path',
    ['dpo', '--model', '{model}', '--out', 'text.txt'],
    1,
    '--out text.txt: a file, not a directory',
    text,
  ),
  scratch(
    'output path',
    ['respond', '--model', '{model}', '--out', 'nodir/r.json'],
    1,
    '--out nodir/r.json: no directory nodir',
  ),
  scratch(
    'output path',
    ['bpe-train', '--input', 'text.txt', '--vocab-size', '300', '--out', 'text.txt'],
    1,
    '--out text.txt: a file, not a directory',
    text,
  ),
  scratch(
    'output path',
    ['prepare', '--input', 'text.txt', '--out', '{dir}'],
    1,
    ': a directory, not a file',
    text,
  ),
  crew(
    'output path',
    ['init', '--book', 's.json', '--agents', '2', '--out', 'nodir/crew.yaml'],
    1,
    '--out nodir/crew.yaml: no directory nodir',
  ),
  crew('output path', ['report', '--out', 'text.txt'], 1, '--out text.txt: a file, not a directory', text),

  scratch('corrupt file', ['judge', '--responses', 'r.json'], 1, 'r-scores.json: not valid JSON', responses),
];
