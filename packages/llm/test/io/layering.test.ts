// io/ holds formats (safetensors, the hub layout, config.json), not models: none of its files
// imports llm/ (the families' name maps live in src/llm/families/).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('src/io imports nothing from src/llm', () => {
  const files = readdirSync('src/io', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  const offenders = files.filter((f) => /from '(\.\.\/)+llm\//.test(readFileSync(join('src/io', f), 'utf8')));
  expect(offenders).toEqual([]);
});
