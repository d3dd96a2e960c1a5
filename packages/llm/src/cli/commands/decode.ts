// `llm-scratch decode`: token ids -> text.
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { loadTokenizer, readTextFile } from '../../llm/fundamentals.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile } from 'llm-scratch-core/cli/file-checks';
import { encodingOption } from './tokenize.js';

// Ids written as a JSON array or separated by white space or commas.
export function parseIds(text: string, source: string): number[] {
  const trimmed = text.trim();
  const words = trimmed.startsWith('[') ? trimmed.slice(1, trimmed.endsWith(']') ? -1 : undefined) : trimmed;
  return words
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => {
      if (!/^\d+$/.test(w)) throw new UserError(`${source}: '${w}' is not a token id`);
      return Number(w);
    });
}

export const decodeCommand = defineCommand({
  name: 'decode',
  summary: 'Decode token ids to text (bytes that are not valid UTF-8 become U+FFFD, as in tiktoken)',
  usage: '[--encoding gpt2|DIR] (IDS... | --file F)',
  options: {
    encoding: encodingOption,
    file: {
      type: 'string',
      description: 'read the ids from a file (a JSON array or separated by spaces)',
      value: 'F',
    },
    json: { type: 'boolean', description: 'print the text as a JSON string' },
  },
  examples: [
    'llm-scratch decode 15496 11 995 0',
    'llm-scratch tokenize --json "Hi" > ids.json && llm-scratch decode --file ids.json',
  ],
  run({ options, positionals, stdout }) {
    if ((options.file === undefined) === (positionals.length === 0)) {
      throw new UsageError('give either --file F or the ids to decode');
    }
    const ids =
      options.file !== undefined
        ? parseIds(readTextFile(requireFile('file', options.file)), options.file)
        : parseIds(positionals.join(' '), 'ids');
    const text = loadTokenizer(options.encoding).decode(ids);
    stdout(options.json ? JSON.stringify(text) + '\n' : text);
  },
});
