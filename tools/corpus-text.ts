// Writes one of the real corpora that ship as npm dev dependencies as a plain text file, to pretrain
// on: `npx tsx tools/corpus-text.ts brown runs/brown.txt` (or `spamassassin`).
import { brownText, spamAssassinText } from '../bench/corpora.js';
import { writeFileAtomic } from '../src/io/atomic.js';

const corpora: Record<string, () => string> = { brown: brownText, spamassassin: spamAssassinText };
const [name, out] = process.argv.slice(2);
const make = name === undefined ? undefined : corpora[name];
if (!make || !out) {
  console.error(`usage: tsx tools/corpus-text.ts (${Object.keys(corpora).join('|')}) OUT.txt`);
  process.exit(2);
}
const text = make();
writeFileAtomic(out, [text]);
console.error(`${out}: ${text.length.toLocaleString('en-US')} characters of ${name}`);
