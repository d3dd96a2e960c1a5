/**
 * A command line from crew.yaml or --command, split into an argument list the way a POSIX shell
 * splits words, but with no expansion at all: single and double quotes group, a backslash escapes
 * the next character, and `;`, `|`, `$` or `*` are ordinary characters passed to the program as
 * they are. That is what lets `command: ./agent --name "a b;c"` run without a shell.
 */
import { UserError } from 'llm-scratch-core/errors';

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`unterminated ${quote} quote in command: ${line}`);
  if (inWord) words.push(word);
  return words;
}
