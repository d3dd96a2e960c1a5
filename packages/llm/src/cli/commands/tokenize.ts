// `llm-scratch tokenize`: text -> token ids (the book's chapter 2): GPT-2's BPE, or the tokenizer of a
// Hugging Face model directory (Llama 3, Qwen3, Gemma 3).
import { UsageError } from 'llm-scratch-core/errors';
import { loadTokenizer, readTextFile } from '../../llm/fundamentals.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile } from 'llm-scratch-core/cli/file-checks';

export const encodingOption = {
  type: 'string',
  description:
    "'gpt2', or a directory with tokenizer.json (Hugging Face: Llama 3, Qwen3, Gemma 3), vocab.json + merges.txt (GPT-2 from the hub) or encoder.json + vocab.bpe",
  default: 'gpt2',
  value: 'gpt2|DIR',
} as const;

export const tokenizeCommand = defineCommand({
  name: 'tokenize',
  summary: "Encode text to token ids (GPT-2's BPE as tiktoken, or a Hugging Face model's tokenizer.json)",
  usage: '[--encoding gpt2|DIR] (--file F | TEXT) [--json]',
  options: {
    encoding: encodingOption,
    file: { type: 'string', description: 'read the text from a file (UTF-8)', value: 'F' },
    'allow-special': {
      type: 'boolean',
      description:
        'encode special tokens such as <|endoftext|> or <|im_start|> in the text to their ids (default: an error); no special token is ever added',
    },
    json: { type: 'boolean', description: 'print a JSON array of ids' },
  },
  examples: [
    'llm-scratch tokenize "Hello, world!"',
    'llm-scratch tokenize --json --file data/the-verdict.txt',
    'llm-scratch tokenize --allow-special "Hello<|endoftext|>"',
    'llm-scratch tokenize --encoding models/Qwen3-0.6B --allow-special --json --file chat.txt',
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
