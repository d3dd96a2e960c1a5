// llm-crew book analyze | split | summarize: thin commands over src/crew/book.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { UsageError } from 'llm-scratch-core/errors';
import {
  analyzeBook,
  BookError,
  splitBook,
  summarizeDir,
  type BookStructure,
  type Entry,
} from '../../crew/book/index.js';
import type { SplitBy } from '../../crew/book/chunks.js';
import { labelRange } from '../../crew/book/page-labels.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireOutputDir, requireOutputFile } from 'llm-scratch-core/cli/file-checks';

function oneBook(positionals: string[], max = 1): string {
  if (positionals.length === 0) throw new UsageError('missing BOOK.pdf');
  if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}'`);
  return positionals[0]!;
}

function tree(entries: Entry[], out: string[] = []): string[] {
  for (const e of entries) {
    const pages = e.firstPage === e.lastPage ? `${e.firstPage}` : `${e.firstPage}-${e.lastPage}`;
    out.push(
      `${'  '.repeat(e.level + 1)}${e.title}  [${e.kind}, p. ${e.firstLabel}, PDF ${pages}, ${e.method}]`,
    );
    tree(e.children, out);
  }
  return out;
}

export function structureText(s: BookStructure): string {
  const range = (r: { firstPage: number; lastPage: number } | null) =>
    r ? `${r.firstPage}-${r.lastPage}` : 'none';
  const lines = [
    `${s.title ?? '(untitled)'}${s.author ? ` by ${s.author}` : ''}`,
    `${s.pageCount} pages; page labels: ${s.hasPageLabels ? 'yes' : 'no'}; structure from: ${s.method}`,
    `front matter: ${range(s.matter.front)}; body: ${range(s.matter.body)}; back matter: ${range(s.matter.back)}`,
    ...tree(s.entries),
  ];
  if (s.pagesWithoutText.length > 0) lines.push(`pages without text: ${s.pagesWithoutText.join(', ')}`);
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

/** Writes a file whole or not at all. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    throw new BookError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? err})`, 'io');
  }
}

export const bookAnalyzeCommand = defineCommand({
  name: 'book analyze',
  summary: "Find a book's title, page labels, parts, chapters, sections and front/back matter",
  usage: 'BOOK.pdf',
  options: {
    json: { type: 'boolean', description: 'print the structure (structure.json format) on stdout' },
    out: { type: 'string', value: 'FILE', description: 'also write the structure as JSON to FILE' },
    password: { type: 'string', value: 'P', description: 'password of an encrypted PDF' },
  },
  examples: ['llm-crew book analyze book.pdf', 'llm-crew book analyze book.pdf --json --out structure.json'],
  async run({ options, positionals, stdout }) {
    const book = oneBook(positionals);
    if (options.out) requireOutputFile('out', options.out);
    const s = await analyzeBook(book, { password: options.password });
    const json = JSON.stringify(s, null, 2) + '\n';
    if (options.out) await writeAtomic(options.out, json);
    stdout(options.json ? json : structureText(s));
  },
});

export const bookSplitCommand = defineCommand({
  name: 'book split',
  summary: 'Split a book into chunk PDFs (with bookmarks), Markdown text, structure.json and splits.json',
  usage: 'BOOK.pdf (--by chapter | --by plan FILE | --max-pages N) --out DIR',
  options: {
    by: {
      type: 'string',
      value: 'chapter|plan',
      choices: ['chapter', 'plan'],
      description: 'one chunk per chapter, or the chunks of a plan file',
    },
    'max-pages': {
      type: 'integer',
      value: 'N',
      min: 1,
      description: 'pack chapters into chunks of at most N pages',
    },
    out: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'output directory (replaced as a whole when done)',
    },
    password: { type: 'string', value: 'P', description: 'password of an encrypted PDF' },
    json: { type: 'boolean', description: 'print splits.json on stdout' },
  },
  examples: [
    'llm-crew book split book.pdf --by chapter --out chunks',
    'llm-crew book split book.pdf --max-pages 40 --out chunks',
  ],
  async run({ options, positionals, stdout, stderr }) {
    const maxPages = options['max-pages'];
    if ((options.by === undefined) === (maxPages === undefined))
      throw new UsageError('give one of --by chapter, --by plan FILE, --max-pages N');
    let split: SplitBy;
    let book: string;
    if (options.by === 'plan') {
      if (positionals.length !== 2) throw new UsageError('--by plan needs BOOK.pdf and the plan FILE');
      book = positionals[0]!;
      const planFile = positionals[1]!;
      let plan: unknown;
      try {
        plan = JSON.parse(await readFile(planFile, 'utf8'));
      } catch (err) {
        const why =
          err instanceof SyntaxError
            ? 'not valid JSON'
            : `cannot read (${(err as NodeJS.ErrnoException).code})`;
        throw new BookError(`${planFile}: ${why}`, 'bad-input');
      }
      split = { by: 'plan', plan, planFile };
    } else if (options.by === 'chapter') {
      book = oneBook(positionals);
      split = { by: 'chapter' };
    } else {
      book = oneBook(positionals);
      split = { by: 'max-pages', maxPages: maxPages! };
    }
    requireOutputDir('out', options.out);
    const result = await splitBook(book, split, options.out, {
      password: options.password,
      log: (m) => stderr(`${m}\n`),
    });
    if (options.json) stdout(JSON.stringify(result, null, 2) + '\n');
    else {
      const lines = result.chunks.map(
        (c) =>
          `${c.file}  PDF ${c.firstPage}-${c.lastPage} (printed ${labelRange(c.firstLabel, c.lastLabel)}), ${c.pageCount} pages`,
      );
      stdout(`${result.chunks.length} chunks in ${options.out}\n${lines.join('\n')}\n`);
    }
  },
});

export const bookSummarizeCommand = defineCommand({
  name: 'book summarize',
  summary:
    'Summarize each chunk of a split: sections, listings, figures, tables, key terms, code identifiers',
  usage: 'DIR',
  options: {
    json: { type: 'boolean', description: 'print the summaries as JSON on stdout' },
    llm: {
      type: 'string',
      value: 'URL',
      description: 'refine each summary with an OpenAI-compatible chat completions endpoint',
    },
    'llm-model': {
      type: 'string',
      value: 'NAME',
      description: 'model name sent to --llm',
      default: 'default',
    },
  },
  examples: [
    'llm-crew book summarize chunks',
    'llm-crew book summarize chunks --json',
    'llm-crew book summarize chunks --llm http://127.0.0.1:8080/v1/chat/completions',
  ],
  async run({ options, positionals, stdout }) {
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'missing DIR' : `unexpected argument '${positionals[1]}'`,
      );
    const llm = options.llm ? { url: options.llm, model: options['llm-model'] } : undefined;
    const summaries = await summarizeDir(positionals[0]!, { llm });
    if (options.json) stdout(JSON.stringify({ chunks: summaries }, null, 2) + '\n');
    else {
      const text = (s: (typeof summaries)[number]) =>
        `${String(s.chunk).padStart(2)}. ${s.summary}${s.refined ? `\n    ${s.refined}` : ''}`;
      stdout(summaries.map(text).join('\n') + '\n');
    }
  },
});

export const bookCommands = [bookAnalyzeCommand, bookSplitCommand, bookSummarizeCommand];
