// Writes docs/bad-input.md from the cases in test/bad-input/cases/ (npm run docs:bad-input).
import { writeFileSync } from 'node:fs';
import { badInputPage, pagePath } from '../test/bad-input/table.js';

writeFileSync(pagePath, await badInputPage());
