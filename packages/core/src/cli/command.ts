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
  // The command cannot run without it (checked before run, listed in help).
  required?: boolean;
  // Numbers: inclusive bounds (min, max) and exclusive ones (above, below), e.g. a learning rate
  // above 0 or a dropout rate from 0 to below 1.
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  // Strings: the only values accepted (each value of a 'strings' option).
  choices?: readonly string[];
}

type ValueOf<T extends OptionType> = T extends 'number' | 'integer'
  ? number
  : T extends 'boolean'
    ? boolean
    : T extends 'strings'
      ? string[]
      : string;

export type Options<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: string | number | boolean } | { required: true }
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

const takesNumber = (spec: OptionSpec) => spec.type === 'number' || spec.type === 'integer';

export function parseValue(name: string, spec: OptionSpec, raw: string): string | number {
  if (takesNumber(spec)) {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(`--${name} expects a number, got '${raw}'`);
    }
    // Past 2^53 an integer is no longer exact: 1e20 would count in steps of thousands.
    if (spec.type === 'integer' && !Number.isSafeInteger(value)) {
      throw new UsageError(`--${name} expects an integer, got '${raw}'`);
    }
    checkRange(name, spec, value);
    return value;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
  }
  return raw;
}

function checkRange(name: string, spec: OptionSpec, value: number): void {
  const bad = (rule: string) => new UsageError(`--${name} must be ${rule}, got ${value}`);
  if (spec.min !== undefined && value < spec.min) throw bad(`at least ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) throw bad(`at most ${spec.max}`);
  if (spec.above !== undefined && !(value > spec.above)) throw bad(`above ${spec.above}`);
  if (spec.below !== undefined && !(value < spec.below)) throw bad(`below ${spec.below}`);
}

// What help says about the values an option accepts: 'required', '1 to 65535', 'one of a, b'.
export function constraintText(spec: OptionSpec): string[] {
  const notes: string[] = [];
  if (spec.required) notes.push('required');
  if (spec.choices) notes.push(`one of ${spec.choices.join(', ')}`);
  if (spec.min !== undefined && spec.max !== undefined) notes.push(`${spec.min} to ${spec.max}`);
  else {
    const lower =
      spec.min !== undefined
        ? `at least ${spec.min}`
        : spec.above !== undefined
          ? `above ${spec.above}`
          : null;
    const upper =
      spec.max !== undefined
        ? `at most ${spec.max}`
        : spec.below !== undefined
          ? `below ${spec.below}`
          : null;
    const range = [lower, upper].filter((r) => r !== null).join(', ');
    if (range) notes.push(range);
  }
  return notes;
}
