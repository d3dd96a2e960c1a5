// `llm-scratch tokenize`: text -> GPT-2 BPE token ids (the book's chapter 2).
import { UsageError } from '../../errors.js';
import { loadTokenizer, readTextFile } from '../../llm/fundamentals.js';
import { defineCommand } from '../command.js';
import { requireFile } from '../file-checks.js';

export const encodingOption = {
  type: 'string',
  description: "'gpt2' or a directory with encoder.json and vocab.bpe",
  default: 'gpt2',
  value: 'gpt2|DIR',
} as const;

export const tokenizeCommand = defineCommand({
  name: 'tokenize',
  summary: 'Encode text to token ids (GPT-2 byte-level BPE, the same ids as tiktoken)',
  usage: '[--encoding gpt2|DIR] (--file F | TEXT) [--json]',
  options: {
    encoding: encodingOption,
    file: { type: 'string', description: 'read the text from a file (UTF-8)', value: 'F' },
    'allow-special': {
      type: 'boolean',
      description: 'encode special tokens such as <|endoftext|> in the text to their ids (default: an error)',
    },
    json: { type: 'boolean', description: 'print a JSON array of ids' },
  },
  examples: [
    'llm-scratch tokenize "Hello, world!"',
    'llm-scratch tokenize --json --file data/the-verdict.txt',
    'llm-scratch tokenize --allow-special "Hello<|endoftext|>"',
  ],
  run({ options, positionals, stdout, stderr }) {
    if ((options.file === undefined) === (positionals.length === 0)) {
      throw new UsageError('give either --file F or the text to tokenize');
    }
    const text =
      options.file !== undefined
        ? readTextFile(requireFile('file', options.file), stderr)
        : positionals.join(' ');
    const tokenizer = loadTokenizer(options.encoding);
    const ids = tokenizer.encode(text, { allowedSpecial: options['allow-special'] ? 'all' : [] });
    stdout((options.json ? JSON.stringify(ids) : ids.join(' ')) + '\n');
  },
});
