// `llm-scratch prepare`: text files -> one token shard (uint16 ids after a 1024-byte header, as llm.c),
// which GPTDatasetV1 reads from disk window by window (ShardTokens).
import { UsageError } from 'llm-scratch-core/errors';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile, requireOutputFile } from 'llm-scratch-core/cli/file-checks';
import { encodingOption } from './tokenize.js';

export const prepareCommand = defineCommand({
  name: 'prepare',
  summary: 'Tokenize text files into a binary shard of uint16 ids, each file followed by <|endoftext|>',
  usage: '--input F... --out FILE.bin [--encoding gpt2|DIR]',
  options: {
    input: { type: 'strings', description: 'text files (UTF-8), read in chunks', value: 'F...' },
    out: {
      type: 'string',
      description: 'the shard to write (written to a temporary file, then renamed)',
      value: 'FILE.bin',
    },
    encoding: encodingOption,
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  examples: ['llm-scratch prepare --input data/the-verdict.txt --out runs/verdict.bin'],
  async run({ options, positionals, stdout }) {
    // Loaded here, so that other commands start without them.
    const { prepareShard } = await import('../../llm/text.js');
    const { loadTokenizer } = await import('../../llm/fundamentals.js');
    const inputs = [...(options.input ?? []), ...positionals];
    if (inputs.length === 0) throw new UsageError('give the text files with --input F...');
    if (options.out === undefined) throw new UsageError('give the shard to write with --out FILE.bin');
    for (const file of inputs) requireFile('input', file);
    requireOutputFile('out', options.out);
    const tokenizer = loadTokenizer(options.encoding);
    const t0 = performance.now();
    const report = prepareShard(inputs, options.out, tokenizer);
    const seconds = (performance.now() - t0) / 1000;
    if (options.json) {
      stdout(JSON.stringify({ out: options.out, ...report, seconds }) + '\n');
      return;
    }
    stdout(
      `${options.out}: ${report.tokens} tokens (${report.tokenizer}) from ${report.files} file(s), ` +
        `${report.bytes} bytes, in ${seconds.toFixed(2)} s\n`,
    );
  },
});
