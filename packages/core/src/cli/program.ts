// Runs a program made of commands: finds the command (longest match of its words), parses its
// option table with node:util parseArgs, prints help, and maps errors to exit codes
// (0 success, 1 user error as one line, 2 bad usage).
import { parseArgs } from 'node:util';
import { Interrupted, UsageError, UserError } from '../errors.js';
import { constraintText, parseValue, type Command, type OptionSpec } from './command.js';

export interface Program {
  name: string;
  version: string;
  description: string;
  commands: Command[];
}

export interface ProgramIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: ProgramIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function findCommand(program: Program, args: string[]): { command: Command; rest: string[] } | null {
  let best: { command: Command; rest: string[] } | null = null;
  for (const command of program.commands) {
    const words = command.name.split(' ');
    if (
      words.every((w, i) => args[i] === w) &&
      (!best || words.length > best.command.name.split(' ').length)
    ) {
      best = { command, rest: args.slice(words.length) };
    }
  }
  return best;
}

function optionLabel(name: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '';
  const value =
    spec.type === 'boolean' ? '' : ` ${spec.value ?? (spec.type === 'strings' ? 'VALUE...' : 'VALUE')}`;
  return `${short}--${name}${value}`;
}

export function commandHelp(program: Program, command: Command): string {
  const lines = [
    `Usage: ${program.name} ${command.name}${command.usage ? ` ${command.usage}` : ''}`,
    '',
    command.summary,
  ];
  const entries = Object.entries(command.options);
  if (entries.length > 0) {
    lines.push('', 'Options:');
    const labels = entries.map(([name, spec]) => optionLabel(name, spec));
    const width = Math.max(...labels.map((l) => l.length), 10) + 2;
    entries.forEach(([, spec], i) => {
      const notes = constraintText(spec);
      if (spec.default !== undefined && spec.default !== false) notes.push(`default: ${spec.default}`);
      const suffix = notes.length ? ` (${notes.join('; ')})` : '';
      lines.push(`  ${labels[i].padEnd(width)}${spec.description}${suffix}`);
    });
  }
  lines.push(`  ${'-h, --help'.padEnd(12)}  show this help`);
  if (command.examples?.length) {
    lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  }
  return lines.join('\n') + '\n';
}

export function programHelp(program: Program): string {
  const width = Math.max(...program.commands.map((c) => c.name.length)) + 2;
  return [
    `${program.name} ${program.version}: ${program.description}`,
    '',
    `Usage: ${program.name} <command> [options]`,
    '',
    'Commands:',
    ...program.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${program.name} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

// node:util parseArgs reads '-1' after an option as another option ("argument is ambiguous"). No
// option is spelled like a negative number, so after an option that takes a value such a word is
// that value: '--max-new-tokens -1' then says what is wrong with -1.
function joinNegativeNumbers(options: Record<string, OptionSpec>, args: string[]): string[] {
  // Each spelling of an option with a value -> its long form, which takes '--name=-1'.
  const valued = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === 'boolean') continue;
    valued.set(`--${name}`, `--${name}`);
    if (spec.short) valued.set(`-${spec.short}`, `--${name}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const long = valued.get(arg);
    if (long !== undefined && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${long}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function parseCommandArgs(command: Command, args: string[]) {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.options)) {
    config[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'strings' ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(command.options, args),
      options: config,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // node:util's message for an unknown option goes on about '--' and positionals; name the option.
    const message = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option '${unknown[1]}'` : message.split('\n')[0]);
  }
  // --help answers whatever else the line holds.
  if (parsed.values.help === true) return { help: true, options: {}, positionals: parsed.positionals };
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const raw = parsed.values[name] as string | boolean | string[] | undefined;
    if (raw === undefined) {
      if (spec.required) throw new UsageError(`--${name} is required`);
      options[name] = spec.type === 'strings' && spec.default === undefined ? undefined : spec.default;
    } else if (typeof raw === 'string') {
      options[name] = parseValue(name, spec, raw);
    } else if (Array.isArray(raw)) {
      options[name] = raw.map((r) => parseValue(name, spec, r));
    } else {
      options[name] = raw;
    }
  }
  return { help: false, options, positionals: parsed.positionals };
}

export async function runProgram(
  program: Program,
  argv: string[],
  io: ProgramIO = defaultIO,
): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv[0] === 'help' ? findCommand(program, argv.slice(1)) : null;
    io.stdout(topic ? commandHelp(program, topic.command) : programHelp(program));
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout(`${program.version}\n`);
    return 0;
  }
  const found = findCommand(program, argv);
  if (!found) {
    io.stderr(`${program.name}: unknown command '${argv[0]}'. Run '${program.name} --help' for the list.\n`);
    return 2;
  }
  const { command, rest } = found;
  try {
    const { help, options, positionals } = parseCommandArgs(command, rest);
    if (help) {
      io.stdout(commandHelp(program, command));
      return 0;
    }
    await command.run({ options, positionals, stdout: io.stdout, stderr: io.stderr } as never);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(
        `${program.name} ${command.name}: ${err.message}. Run '${program.name} ${command.name} --help'.\n`,
      );
      return 2;
    }
    if (err instanceof UserError) {
      io.stderr(`${program.name} ${command.name}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Interrupted) {
      io.stderr(`${program.name} ${command.name}: ${err.message}\n`);
      return 130;
    }
    throw err;
  }
}
