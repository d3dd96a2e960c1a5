// Reads a text file the user named, with a one-line error (a UserError) when it cannot be read and
// a warning (through `warn`, stderr by default) when it is not valid UTF-8.
import { readFileSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { decodeUtf8 } from './utf8.js';

const toStderr = (text: string) => void process.stderr.write(text);

export function readTextFile(file: string, warn: (text: string) => void = toStderr): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UserError(`cannot read ${file}: ${why}`);
  }
  return decodeUtf8(bytes, file, warn);
}
