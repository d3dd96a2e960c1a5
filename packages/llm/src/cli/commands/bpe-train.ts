// `llm-scratch bpe-train`: learn a byte-level BPE vocabulary from text files (chapter 2's bonus).
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { BPETokenizer, readTextFile, saveVocab, trainBPE } from '../../llm/fundamentals.js';
import { MAX_VOCAB } from '../../llm/tokenizer/vocab-files.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile, requireOutputDir } from 'llm-scratch-core/cli/file-checks';

export const bpeTrainCommand = defineCommand({
  name: 'bpe-train',
  summary:
    "Train a byte-level BPE vocabulary with GPT-2's pre-tokenizer; save it as encoder.json + vocab.bpe",
  usage: '--input F... --vocab-size N --out DIR',
  options: {
    input: { type: 'strings', description: 'text files to learn from (UTF-8)', value: 'F...' },
    'vocab-size': {
      type: 'integer',
      required: true,
      // The 256 bytes and at least one special token; ids must fit a uint16 shard.
      min: 257,
      max: MAX_VOCAB,
      description: '256 bytes + merges + special tokens',
      value: 'N',
    },
    out: {
      type: 'string',
      required: true,
      description: 'directory to write encoder.json and vocab.bpe to',
      value: 'DIR',
    },
    special: {
      type: 'strings',
      description: 'special tokens, given the last ids (default: <|endoftext|>)',
      value: 'TOKEN',
    },
    'min-frequency': {
      type: 'integer',
      description: 'merge only pairs seen at least this often',
      default: 2,
      min: 1,
      value: 'N',
    },
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  examples: [
    'llm-scratch bpe-train --input data/the-verdict.txt --vocab-size 500 --out runs/verdict-bpe',
    'llm-scratch tokenize --encoding runs/verdict-bpe "It was the last"',
  ],
  run({ options, positionals, stdout, stderr }) {
    const inputs = [...(options.input ?? []), ...positionals];
    if (inputs.length === 0) throw new UsageError('give the text files with --input F...');
    for (const file of inputs) requireFile('input', file);
    requireOutputDir('out', options.out);
    const texts = inputs.map((file) => readTextFile(file, stderr));
    if (texts.every((t) => t === '')) {
      throw new UserError(`${inputs.join(', ')}: empty, no text to learn merges from`);
    }
    const t0 = performance.now();
    const result = trainBPE(texts, {
      vocabSize: options['vocab-size'],
      specialTokens: options.special ?? ['<|endoftext|>'],
      minFrequency: options['min-frequency'],
    });
    const seconds = (performance.now() - t0) / 1000;
    saveVocab(result.vocab, options.out);
    const tokenizer = new BPETokenizer(result.vocab, options.out);
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
    const tokens = texts.reduce((n, t) => n + tokenizer.encodeOrdinary(t).length, 0);
    const summary = {
      out: options.out,
      vocabSize: result.vocab.tokens.length,
      merges: result.vocab.merges.length,
      pieces: result.pieces,
      bytes,
      tokens,
      bytesPerToken: bytes / tokens,
      seconds,
    };
    if (options.json) {
      stdout(JSON.stringify(summary) + '\n');
      return;
    }
    if (summary.vocabSize < options['vocab-size']) {
      stderr(
        `stopped at ${summary.vocabSize} tokens: no pair is left that occurs ${options['min-frequency']} times\n`,
      );
    }
    stdout(
      `${summary.vocabSize} tokens (${summary.merges} merges) learned from ${bytes} bytes in ${seconds.toFixed(2)} s; ` +
        `wrote ${options.out}/encoder.json and vocab.bpe; the input encodes to ${tokens} tokens ` +
        `(${summary.bytesPerToken.toFixed(2)} bytes per token)\n`,
    );
  },
});
