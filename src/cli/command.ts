// A command is one typed table of options plus a run function; parsing, validation and --help
// all come from the table, so help text and behaviour cannot drift apart.
import { UsageError } from '../errors.js';

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'strings';

export interface OptionSpec {
  type: OptionType;
  description: string;
  default?: string | number | boolean;
  // Shown in help as --name VALUE.
  value?: string;
  short?: string;
}

type ValueOf<T extends OptionType> = T extends 'number' | 'integer'
  ? number
  : T extends 'boolean'
    ? boolean
    : T extends 'strings'
      ? string[]
      : string;

export type Options<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: string | number | boolean }
    ? ValueOf<O[K]['type']>
    : ValueOf<O[K]['type']> | undefined;
};

export interface RunContext<O extends Record<string, OptionSpec>> {
  options: Options<O>;
  positionals: string[];
  // stdout for results; logs and progress go to stderr.
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  // One or more words: 'info', 'bench gemm', 'book analyze'.
  name: string;
  summary: string;
  // The part of the usage line after the command name, e.g. '(--file F | TEXT)'.
  usage?: string;
  options: O;
  // Runnable examples shown in --help.
  examples?: string[];
  run(ctx: RunContext<O>): Promise<void> | void;
}

export function defineCommand<O extends Record<string, OptionSpec>>(command: Command<O>): Command<O> {
  return command;
}

export function parseValue(name: string, spec: OptionSpec, raw: string): string | number {
  if (spec.type === 'number' || spec.type === 'integer') {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(`--${name} expects a number, got '${raw}'`);
    }
    if (spec.type === 'integer' && !Number.isInteger(value)) {
      throw new UsageError(`--${name} expects an integer, got '${raw}'`);
    }
    return value;
  }
  return raw;
}
