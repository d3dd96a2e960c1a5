// Writes a real corpus as a plain text file to pretrain on:
//   npx tsx tools/corpus-text.ts brown runs/brown.txt            the Brown corpus (npm dev dependency)
//   npx tsx tools/corpus-text.ts spamassassin runs/spam.txt      every raw SpamAssassin message
//   npx tsx tools/corpus-text.ts split-train DIR runs/emails.txt the training texts of a written split
// `split-train` takes only train.csv of a `finetune-classifier --out DIR` split, so that a model
// pretrained on it has never read a validation or test email.
import { join } from 'node:path';
import { brownText, spamAssassinText } from '../bench/corpora.js';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { loadDelimited, SPLIT_FILES } from '../src/llm/finetune/data.js';

const corpora: Record<string, (arg: string) => string> = {
  brown: brownText,
  spamassassin: spamAssassinText,
  'split-train': (dir) =>
    loadDelimited(join(dir, SPLIT_FILES.train), ',')
      .examples.map((e) => e.text)
      .join('\n\n'),
};
const args = process.argv.slice(2);
const name = args[0];
const make = name === undefined ? undefined : corpora[name];
const needsDir = name === 'split-train';
const out = args[needsDir ? 2 : 1];
if (!make || !out || (needsDir && !args[1])) {
  console.error('usage: tsx tools/corpus-text.ts (brown | spamassassin | split-train DIR) OUT.txt');
  process.exit(2);
}
let text: string;
try {
  text = make(args[1]!);
} catch (err) {
  console.error(`corpus-text: ${(err as Error).message}`);
  process.exit(1);
}
writeFileAtomic(out, [text]);
console.error(`${out}: ${text.length.toLocaleString('en-US')} characters of ${name}`);
