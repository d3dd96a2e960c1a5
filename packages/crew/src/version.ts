import { readFileSync } from 'node:fs';

// llm-crew's own package.json, one level above src/ and dist/ alike.
export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
