#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/llm-scratch.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'llm-scratch: the TypeScript build is missing; run `npm run build` in the package directory\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
