// The README's library example, as the tests run it: the ```ts block after the marker below.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '<!-- library-example: tested by test/packages -->';

export function readmeExample(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error('README.md: no ```ts block after the library example marker');
  return block[1];
}

/** The crew's dependencies, none of which an install of llm-scratch may bring. */
export const CREW_ONLY = [
  'better-sqlite3',
  'pdfjs-dist',
  '@napi-rs/canvas',
  '@cantoo/pdf-lib',
  '@octokit/rest',
  '@octokit/plugin-retry',
  '@octokit/plugin-throttling',
  'ink',
  'react',
];
