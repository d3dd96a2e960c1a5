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
