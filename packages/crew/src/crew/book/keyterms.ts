/**
 * Key terms of a text: words much more frequent in it than in general English (the Brown Corpus
 * counts in data/crew/background-words.json), scored by Dunning's log-likelihood ratio, which does
 * not overrate words seen once or twice the way a plain frequency ratio does.
 */
import { readFileSync } from 'node:fs';

interface Background {
  tokens: number;
  words: Record<string, number>;
}

let background: Background | null = null;

function loadBackground(): Background {
  // The table sits in data/crew at the package root, three levels above src/crew/book and dist/crew/book alike.
  const url = new URL('../../../data/crew/background-words.json', import.meta.url);
  return (background ??= JSON.parse(readFileSync(url, 'utf8')) as Background);
}

const STOP = new Set(
  'the of and to a in is that for it as with be on by this are or an not from at which can we you use used using its if have has was were will but these their all one two also may more than when such into each other so there only then them they our how what see any should would new way both must same first well like between does do make let here where given'.split(
    ' ',
  ),
);

export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z'-]*[a-z]/g) ?? []).filter((w) => !STOP.has(w) && w.length > 2);
}

export interface KeyTerm {
  term: string;
  count: number;
  score: number;
}

export function keyTerms(text: string, limit = 15): KeyTerm[] {
  const bg = loadBackground();
  const counts = new Map<string, number>();
  const list = words(text);
  for (const w of list) counts.set(w, (counts.get(w) ?? 0) + 1);
  const n = list.length;
  const N = bg.tokens;
  const out: KeyTerm[] = [];
  for (const [term, a] of counts) {
    if (a < 3) continue;
    // Unseen in the background: counted as half a sighting, so technical words rank without dividing by 0.
    const b = bg.words[term] ?? 0.5;
    const e1 = (n * (a + b)) / (n + N);
    const e2 = (N * (a + b)) / (n + N);
    if (a <= e1) continue;
    const ll = 2 * (a * Math.log(a / e1) + b * Math.log(b / e2));
    out.push({ term, count: a, score: Math.round(ll * 10) / 10 });
  }
  return out.sort((x, y) => y.score - x.score || (x.term < y.term ? -1 : 1)).slice(0, limit);
}
