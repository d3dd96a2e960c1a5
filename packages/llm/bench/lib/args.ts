// Command-line options of a benchmark script: node:util's parseArgs, with --help printing the
// script's usage and a mistyped option one line on stderr (exit 2) instead of a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  name: string,
  usage: string,
  options: T,
): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}; usage: ${usage}`);
    process.exit(2);
  }
}

// An option's value as a whole number of at least `min`; anything else ends the script with one
// line naming the option (exit 2).
export function countArg(name: string, option: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`${name}: --${option} takes a whole number of at least ${min}, got '${value}'`);
    process.exit(2);
  }
  return n;
}

// An option's value that must be one of `choices`; anything else ends the script with one line.
export function choiceArg<T extends string>(
  name: string,
  option: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    console.error(`${name}: --${option} must be one of ${choices.join(', ')}, got '${value}'`);
    process.exit(2);
  }
  return value as T;
}
