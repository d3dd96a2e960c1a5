// crew.yaml's shape is schema/crew.schema.json, the file the package ships for editors: the parser
// and an editor's own validator (here a separate Ajv, as yaml-language-server would load the file)
// accept the same plans and reject the same mistakes, and the parser says file:line: path for each.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import {
  parsePlan,
  PlanError,
  PLAN_SCHEMA_FILE,
  planToYaml,
  proposePlan,
} from '../../../src/crew/plan/index.js';
import { runCli } from '../../../../../test/helpers/cli.js';
import { planYaml } from '../agents/project.js';
import { llmBook, SEED_YAML, seedDir, TEST_COMMAND } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const schemaFile = join(ROOT, 'schema', 'crew.schema.json');
const editor = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(schemaFile, 'utf8')) as object,
);

const fixtures: Record<string, string> = {
  seed: SEED_YAML,
  'runtime project': planYaml('/tmp/fake agent.mjs'),
  'init proposal': planToYaml(
    proposePlan(llmBook(), { agents: 4, structurePath: 'structure.json', testCommand: TEST_COMMAND }),
  ),
};

// Each mutation of the seed, and the message the parser gives for it.
const mutations: [string, string, string][] = [
  [
    'role: Training',
    'role: Training\n    command: 42',
    'agents[2].command: expected a string, got number 42',
  ],
  ['role: Training', 'role: Training\n    session: [a]', 'agents[2].session: expected a string, got a list'],
  [
    'role: Training',
    'role: Training\n    session: crew $training',
    "agents[2].session: expected a tmux session name (no '.', ':', '$' or '\\'",
  ],
  ['chapters: [3, 4]', 'chapters: 3', 'agents[1].chapters: expected a list, got number 3'],
  [
    'chapters: [3, 4]',
    'chapters: [3, {x: 1}]',
    'agents[1].chapters[1]: expected a string or number, got a mapping',
  ],
  ['    modules: [pretrain]', '    moduls: [pretrain]', 'agents[2].moduls: unknown field'],
  ['    title: "M3: Training"\n', '', 'milestones[2].title: missing (required)'],
  ['day: 16', 'day: -1', 'milestones[4].day: expected a whole number >= 0, got number -1'],
  ['day: 16', 'day: 1.5', 'milestones[4].day: expected a whole number, got number 1.5'],
  ['day: 16', 'day: "16"', 'milestones[4].day: expected a whole number, got string "16"'],
  [
    'id: m5',
    'id: M5',
    "milestones[4].id: expected an id (lower-case letters, digits, '.', '_', '-'), got 'M5'",
  ],
  ['repo: acme/llm-scratch', 'repo: not a repo', "project.repo: expected OWNER/NAME, got 'not a repo'"],
  ['repo: acme/llm-scratch', 'tracker: gitlab', "project.tracker: expected local or github, got 'gitlab'"],
  ['  structure: structure.json', '  structure: ""', 'book.structure: must not be empty'],
  ['version: 1', 'version: true', 'version: expected a whole number, got boolean true'],
  [
    'version: 1',
    'version: 1\nlabels: [{ name: x, color: 12345 }]',
    'labels[0].color: expected a string, got number 12345',
  ],
];

describe('schema/crew.schema.json', () => {
  it('is the file the parser validates with, and the package ships it', () => {
    expect(fileURLToPath(PLAN_SCHEMA_FILE)).toBe(schemaFile);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schema');
  });

  it.each(Object.entries(fixtures))('accepts the %s plan, as the parser does', (_, text) => {
    expect(editor(parse(text)), JSON.stringify(editor.errors)).toBe(true);
    expect(() => parsePlan(text)).not.toThrow();
  });

  it.each(mutations)('rejects %s -> %s in the editor and in the parser (%s)', (from, to, message) => {
    const text = SEED_YAML.replace(from, to);
    expect(text).not.toBe(SEED_YAML);
    expect(editor(parse(text))).toBe(false);
    let err: unknown;
    try {
      parsePlan(text, 'plans/crew.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const issue = (err as PlanError).issues[0]!;
    expect(`${issue.path}: ${issue.message}`).toContain(message);
    // The line is the line of the field, or of its parent where the field is missing.
    const line = text.split('\n')[issue.line! - 1]!;
    const key = String(
      issue.path
        .split(/[.[\]]/)
        .filter(Boolean)
        .at(-1),
    );
    expect(/^\d+$/.test(key) || line.includes(key) || message.includes('missing')).toBe(true);
    expect((err as PlanError).message).toMatch(/^plans\/crew\.yaml:\d+: /);
  });

  it('init writes the modeline that points editors at the shipped file', async () => {
    const dir = seedDir(null);
    const out = join(dir, 'crew.yaml');
    const r = await runCli(llmCrew, [
      'init',
      '--book',
      join(dir, 'structure.json'),
      '--agents',
      '3',
      '--out',
      out,
      '--test-command',
      'make test',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const first = readFileSync(out, 'utf8').split('\n')[0]!;
    const m = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
    expect(m).not.toBeNull();
    expect(resolve(dirname(out), m![1]!)).toBe(schemaFile);
  });

  it('plan --check rejects command: 42 in one line that names the file, the line and the field', async () => {
    const text = SEED_YAML.replace('role: Training', 'role: Training\n    command: 42');
    const dir = seedDir(text);
    const r = await runCli(llmCrew, ['plan', '--check', '--plan', join(dir, 'crew.yaml')]);
    expect(r.code).toBe(1);
    const line = text.split('\n').findIndex((l) => l.includes('command: 42')) + 1;
    expect(r.stderr).toContain(
      `${join(dir, 'crew.yaml')}:${line}: agents[2].command: expected a string, got number 42`,
    );
  });

  it('stops an alias bomb at the parser guard, with one line naming the file', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parsePlan(levels.join('\n') + '\n', 'bomb.yaml')).toThrow(
      'bomb.yaml: not valid YAML: too many aliases (a YAML alias bomb?)',
    );
  });
});
