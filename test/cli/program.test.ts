// Option validation from the tables (src/cli/program.ts): ranges, integers, choices, required
// options, negative numbers as values, and help that shows what the table declares.
import { describe, expect, it } from 'vitest';
import { defineCommand, parseValue, type Command, type OptionSpec } from 'llm-scratch-core/cli/command';
import { llmCrew } from '../../packages/crew/src/cli/llm-crew.js';
import { llmScratch } from '../../packages/llm/src/cli/llm-scratch.js';
import type { Program } from 'llm-scratch-core/cli/program';
import { runCli } from '../helpers/cli.js';

let seen: { options: Record<string, unknown>; positionals: string[] } | null = null;

const go = defineCommand({
  name: 'go',
  summary: 'a command to parse',
  options: {
    count: { type: 'integer', value: 'N', default: 2, min: 1, max: 10, description: 'how many' },
    rate: { type: 'number', value: 'R', above: 0, below: 1, description: 'a share' },
    offset: { type: 'integer', value: 'K', short: 'o', description: 'any integer' },
    mode: { type: 'string', value: 'M', default: 'a', choices: ['a', 'b'], description: 'a mode' },
    tag: { type: 'strings', value: 'T', choices: ['x', 'y'], description: 'tags' },
    model: { type: 'string', value: 'DIR', required: true, description: 'a model (description)' },
  },
  run({ options, positionals }) {
    seen = { options, positionals };
  },
});

const program: Program = {
  name: 'p',
  version: '0.0.0',
  description: 'test',
  commands: [go as unknown as Command],
};

async function run(...argv: string[]) {
  seen = null;
  return runCli(program, ['go', ...argv]);
}

describe('options validated from the table', () => {
  it('reads a negative number as the value of a numeric option, in every spelling', async () => {
    for (const argv of [['--offset', '-3'], ['-o', '-3'], ['--offset=-3']]) {
      const r = await run('--model', 'm', ...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(seen!.options.offset).toBe(-3);
    }
    expect((await run('--model', 'm', '--offset', '-.5')).stderr).toContain(
      "--offset expects an integer, got '-.5'",
    );
  });

  it('reads a negative number after an option with a text value as that value', async () => {
    expect((await run('--model', '-1')).code).toBe(0);
    expect(seen!.options.model).toBe('-1');
    const r = await run('--model', 'm', '--mode', '-2');
    expect(r.stderr).toContain("--mode must be one of a, b, got '-2'");
  });

  it('keeps words after -- as positionals, negative numbers included', async () => {
    const r = await run('--model', 'm', '--', '--offset', '-3');
    expect(r.code).toBe(0);
    expect(seen!.positionals).toEqual(['--offset', '-3']);
    expect(seen!.options.offset).toBeUndefined();
  });

  it('checks the bounds, naming the option and the value, with exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--count', '-1'], '--count must be at least 1, got -1'],
      [['--count', '0'], '--count must be at least 1, got 0'],
      [['--count', '11'], '--count must be at most 10, got 11'],
      [['--count', '2.5'], "--count expects an integer, got '2.5'"],
      [['--count', 'many'], "--count expects a number, got 'many'"],
      [['--offset', '1e20'], "--offset expects an integer, got '1e20'"],
      [['--rate', '0'], '--rate must be above 0, got 0'],
      [['--rate', '-0.5'], '--rate must be above 0, got -0.5'],
      [['--rate', '1'], '--rate must be below 1, got 1'],
      [['--mode', 'c'], "--mode must be one of a, b, got 'c'"],
      [['--tag', 'x', '--tag', 'z'], "--tag must be one of x, y, got 'z'"],
    ];
    for (const [argv, message] of cases) {
      const r = await run('--model', 'm', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toBe(`p go: ${message}. Run 'p go --help'.\n`);
      expect(seen).toBeNull();
    }
  });

  it('accepts the bounds themselves and passes values on typed', async () => {
    const r = await run('--model', 'm', '--count', '10', '--rate', '0.25', '--mode', 'b', '--tag', 'y');
    expect(r.code).toBe(0);
    expect(seen!.options).toEqual({
      count: 10,
      rate: 0.25,
      offset: undefined,
      mode: 'b',
      tag: ['y'],
      model: 'm',
    });
    await run('--model', 'm');
    expect(seen!.options).toMatchObject({ count: 2, mode: 'a' });
  });

  it('refuses a command line without a required option', async () => {
    const r = await run('--count', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("p go: --model is required. Run 'p go --help'.\n");
    expect(seen).toBeNull();
  });

  it('answers --help whatever else the line holds, showing ranges, choices and required options', async () => {
    const r = await run('--count', '-5', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--count N       how many (1 to 10; default: 2)');
    expect(r.stdout).toContain('--rate R        a share (above 0, below 1)');
    expect(r.stdout).toContain('--mode M        a mode (one of a, b; default: a)');
    expect(r.stdout).toContain('--tag T         tags (one of x, y)');
    expect(r.stdout).toContain('--model DIR     a model (description) (required)');
  });
});

describe('the option tables of both programs', () => {
  const tables = [llmScratch, llmCrew].flatMap((p) =>
    p.commands.flatMap((c) =>
      Object.entries(c.options as Record<string, OptionSpec>).map(
        ([name, spec]) => [`${p.name} ${c.name} --${name}`, name, spec] as const,
      ),
    ),
  );

  it.each(tables)('%s: its default passes its own checks', (_, name, spec) => {
    if (spec.required) expect(spec.default).toBeUndefined();
    if (spec.default === undefined || spec.type === 'boolean') return;
    expect(parseValue(name, spec, String(spec.default))).toBe(spec.default);
  });

  const commands = [llmScratch, llmCrew].flatMap((p) =>
    p.commands.map((c) => [`${p.name} ${c.name}`, p, c] as const),
  );

  it.each(commands)('%s --help lists every option with what the table declares', async (_, p, c) => {
    const r = await runCli(p, [...c.name.split(' '), '--help']);
    expect(r.code).toBe(0);
    for (const [name, spec] of Object.entries(c.options as Record<string, OptionSpec>)) {
      const line = r.stdout.split('\n').find((l) => l.includes(`--${name}`) && l.includes(spec.description));
      expect(line, `--${name}`).toBeDefined();
      if (spec.required) expect(line).toContain('required');
      if (spec.min !== undefined) expect(line).toContain(String(spec.min));
      if (spec.choices) expect(line).toContain(`one of ${spec.choices.join(', ')}`);
    }
  });

  it('declares ranges where the brief asks for them', () => {
    const find = (program: Program, command: string, option: string) =>
      (program.commands.find((c) => c.name === command)!.options as Record<string, OptionSpec>)[option];
    expect(find(llmScratch, 'generate', 'max-new-tokens').min).toBe(1);
    expect(find(llmScratch, 'generate', 'top-k').min).toBe(1);
    expect(find(llmScratch, 'serve', 'port')).toMatchObject({ min: 0, max: 65535 });
    expect(find(llmScratch, 'train', 'lr').above).toBe(0);
    expect(find(llmScratch, 'respond', 'model').required).toBe(true);
    expect(find(llmCrew, 'issues list', 'state').choices).toEqual(['open', 'closed', 'all']);
  });
});
