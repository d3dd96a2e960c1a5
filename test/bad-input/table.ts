// The bad-input table: every case under cases/, and the Markdown page made from them.
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { BadInputCase } from './case.js';
import { cases as crew } from './cases/crew.js';
import { cases as crewRuntime } from './cases/crew-runtime.js';
import { cases as crewPlan } from './cases/crew-plan.js';
import { cases as decode } from './cases/decode.js';
import { cases as families } from './cases/families.js';
import { cases as files } from './cases/files.js';
import { cases as gemma3 } from './cases/gemma3.js';
import { cases as judge } from './cases/judge.js';
import { cases as options } from './cases/options.js';
import { cases as precision } from './cases/precision.js';
import { cases as pull } from './cases/pull.js';
import { cases as serve } from './cases/serve.js';
import { cases as terminal } from './cases/terminal.js';
import { cases as tokenizerHf } from './cases/tokenizer-hf.js';
import { cases as weights } from './cases/weights.js';

export const allCases: BadInputCase[] = [
  ...options,
  ...files,
  ...weights,
  ...terminal,
  ...crew,
  ...decode,
  ...pull,
  ...crewRuntime,
  ...tokenizerHf,
  ...families,
  ...gemma3,
  ...crewPlan,
  ...serve,
  ...judge,
  ...precision,
];

const EXIT = { 0: '0 (goes on)', 1: '1 (user error)', 2: '2 (bad usage)' } as const;

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export const pagePath = fileURLToPath(new URL('../../docs/bad-input.md', import.meta.url));

/** docs/bad-input.md, generated from the cases (npm run docs:bad-input), as Prettier lays it out. */
export async function badInputPage(rows = allCases): Promise<string> {
  const options = await resolveConfig(pagePath);
  return format(pageText(rows), { ...options, filepath: pagePath });
}

function pageText(rows: BadInputCase[]): string {
  const kinds = [...new Set(rows.map((c) => c.kind))];
  const lines = [
    '# What each command does with bad input',
    '',
    'Generated from the cases in `test/bad-input/cases/` by `npm run docs:bad-input`; the test',
    '`test/bad-input/table.test.ts` runs every row and fails when this page is not up to date.',
    'A user error prints one line on stderr and exits 1; bad usage points at `--help` and exits 2;',
    'no case prints a stack trace or leaves a partial file behind.',
    '',
    `${rows.length} cases of ${kinds.length} kinds.`,
  ];
  for (const kind of kinds) {
    lines.push('', `## ${kind}`, '', '| command | exit | what the user sees |', '| --- | --- | --- |');
    for (const c of rows.filter((r) => r.kind === kind)) {
      const seen = typeof c.stderr === 'string' ? c.stderr : c.stderr.source;
      lines.push(`| \`${cell([c.program, ...c.args].join(' '))}\` | ${EXIT[c.exit]} | ${cell(seen)} |`);
    }
  }
  return lines.join('\n') + '\n';
}
