// Section 6.2's data: the email parser on MIME messages and on the SpamAssassin corpus itself, the
// CSV/TSV/JSONL/SMS loaders and their errors, balancing and the seeded split.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  balance,
  classNames,
  detectFormat,
  findSplitDir,
  formatCsv,
  labelCounts,
  loadLabelledFile,
  parseDelimited,
  randomSplit,
  readSplit,
  requireTwoClasses,
  spamAssassinDir,
  writeSplit,
  type Example,
} from '../../src/llm/finetune/data.js';
import { decodeHeader, emailToText, htmlToText } from '../../src/llm/finetune/email.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('emailToText', () => {
  it('keeps the subject and the text/plain part of multipart/alternative, dropping headers', () => {
    const raw = [
      'From someone@example.com  Tue Aug  6 11:51:02 2002',
      'Received: from mail.example.com',
      '\tby host; Tue, 6 Aug 2002',
      'Subject: =?iso-8859-1?Q?Caf=E9_news?=',
      'Content-Type: multipart/alternative; boundary="XX"',
      '',
      'This is a multi-part message in MIME format.',
      '--XX',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Soft =',
      'break and na=EFve text.',
      '--XX',
      'Content-Type: text/html',
      '',
      '<p>HTML version</p>',
      '--XX--',
    ].join('\n');
    expect(emailToText(Buffer.from(raw, 'latin1'))).toBe('Café news\nSoft break and naïve text.');
  });

  it('decodes base64 HTML and strips it to text; drops attachments', () => {
    const html =
      '<html><head><style>p{}</style></head><body><p>Buy&nbsp;NOW &amp; save</p><br>50% off</body></html>';
    const raw = [
      'Subject: Offer',
      'Content-Type: multipart/mixed; boundary=b1',
      '',
      '--b1',
      'Content-Type: text/html; charset="windows-1252"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(html).toString('base64'),
      '--b1',
      'Content-Type: application/octet-stream; name="x.exe"',
      'Content-Transfer-Encoding: base64',
      '',
      'AAAA',
      '--b1--',
    ].join('\r\n');
    expect(emailToText(raw)).toBe('Offer\nBuy NOW & save\n\n50% off');
  });

  it('decodes RFC 2047 words, charsets and entities', () => {
    expect(decodeHeader('=?utf-8?B?w6lt?= =?utf-8?Q?ail?= x')).toBe('émail x');
    expect(htmlToText('a&#233;&#x41;<!-- c --><script>x</script>b')).toBe('aéA  b');
  });

  it('reads every SpamAssassin message to a non-empty text without headers or MIME noise', () => {
    const data = spamAssassinDir();
    const files = ['easy-ham-1', 'spam-2'].flatMap((g) =>
      readdirSync(join(data, g))
        .filter((f) => f.endsWith('.txt'))
        .slice(0, 150)
        .map((f) => join(data, g, f)),
    );
    for (const f of files) {
      const raw = readFileSync(f);
      const text = emailToText(raw);
      expect(text.trim(), f).not.toBe('');
      // The subject first, none of the message's own header lines after it.
      const subject = /^Subject: *(.*)$/im.exec(raw.toString('latin1'))?.[1].trim();
      if (subject && !subject.includes('=?'))
        expect(text.split('\n')[0], f).toBe(subject.replace(/\s+/g, ' '));
      const received = /^Received: *(.*)$/im.exec(raw.toString('latin1'))![1];
      expect(text, f).not.toContain(received);
      expect(text, f).not.toMatch(/<\/?(html|body|td|font)\b/i);
    }
  });
});

describe('labelled files', () => {
  it('parses RFC 4180 CSV with quotes, commas and newlines, giving each record its line', () => {
    const records = parseDelimited('label,text\nham,"a, ""b""\nc"\r\nspam,d\n', ',');
    expect(records.map((r) => r.fields)).toEqual([
      ['label', 'text'],
      ['ham', 'a, "b"\nc'],
      ['spam', 'd'],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it("reads the book's SMS Spam Collection TSV and names the line of an unknown label", () => {
    const file = write(
      'SMSSpamCollection.tsv',
      'ham\tGo until jurong point\nspam\tFree entry in 2 a wkly comp\n',
    );
    expect(detectFormat(file)).toBe('sms');
    expect(loadLabelledFile(file, undefined).examples).toEqual([
      { label: 'ham', text: 'Go until jurong point' },
      { label: 'spam', text: 'Free entry in 2 a wkly comp' },
    ]);
    const bad = write('bad.tsv', 'ham\tok\nspma\ttypo\n');
    expect(() => loadLabelledFile(bad, 'sms')).toThrow(/bad\.tsv:2: unknown label 'spma'/);
  });

  it('reads CSV, TSV and JSONL columns, skips and counts empty texts, and names bad lines', () => {
    const csv = write('d.csv', 'id,message,category\n1,hello,a\n2,"",b\n3,  ,a\n4,bye,b\n');
    const r = loadLabelledFile(csv, undefined, { textColumn: 'message', labelColumn: 'category' });
    expect(r.examples).toEqual([
      { text: 'hello', label: 'a' },
      { text: 'bye', label: 'b' },
    ]);
    expect(r.emptySkipped).toBe(2);
    expect(() => loadLabelledFile(csv, undefined)).toThrow(
      /no column 'text' \(columns: 'id', 'message', 'category'\)/,
    );
    expect(() =>
      loadLabelledFile(csv, 'csv', { textColumn: 'message', labelColumn: 'category', labels: ['a', 'c'] }),
    ).toThrow(/d\.csv:3: unknown label 'b'/);
    const tsv = write('d.tsv', 'label\ttext\nx\tone\ny\ttwo\n');
    expect(detectFormat(tsv)).toBe('tsv');
    expect(loadLabelledFile(tsv, undefined).examples).toHaveLength(2);
    const jsonl = write('d.jsonl', '{"text":"one","label":"x"}\n\n{"text":"","label":"y"}\n{"text":"two"}\n');
    expect(() => loadLabelledFile(jsonl, undefined)).toThrow(/d\.jsonl:4: no 'label' field/);
    const jsonlOk = write('ok.jsonl', '{"text":"one","label":"x"}\n{"text":"","label":"y"}\n');
    expect(loadLabelledFile(jsonlOk, undefined)).toMatchObject({
      emptySkipped: 1,
      examples: [{ text: 'one', label: 'x' }],
    });
    expect(() => loadLabelledFile(write('j.jsonl', '{"text":"a",\n'), undefined)).toThrow(
      /j\.jsonl:1: not valid JSON/,
    );
  });

  it('rejects data with fewer than two classes', () => {
    expect(() => requireTwoClasses([{ text: 'a', label: 'ham' }], 'one.csv')).toThrow(
      /one\.csv: only one class \('ham'\); a classifier needs at least two/,
    );
  });
});

describe('balance and split', () => {
  const examples: Example[] = [
    ...Array.from({ length: 70 }, (_, i) => ({ text: `h${i}`, label: 'ham' })),
    ...Array.from({ length: 30 }, (_, i) => ({ text: `s${i}`, label: 'spam' })),
  ];

  it('undersamples every class to the smallest, seeded', () => {
    const b = balance(examples, 123);
    expect(Object.fromEntries(labelCounts(b))).toEqual({ ham: 30, spam: 30 });
    expect(balance(examples, 123)).toEqual(b);
    expect(balance(examples, 7)).not.toEqual(b);
    expect(classNames(b)).toEqual(['ham', 'spam']);
  });

  it('splits 70/10/20 with a seed, writes CSVs and reads them back as they were', () => {
    const s = randomSplit(balance(examples, 123), 0.7, 0.1, 123);
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([42, 6, 12]);
    expect(new Set([...s.train, ...s.validation, ...s.test].map((e) => e.text)).size).toBe(60);
    const out = join(dir, 'split');
    writeSplit(out === '' ? dir : (rmSync(out, { recursive: true, force: true }), mkdtempSync(out)), s);
    const splitDir = findSplitDir(
      readdirSync(dir)
        .map((d) => join(dir, d))
        .find((d) => d.includes('split'))!,
    )!;
    expect(splitDir).not.toBeNull();
    expect(findSplitDir(join(splitDir, 'train.csv'))).toBe(splitDir);
    expect(readSplit(splitDir).split).toEqual(s);
    expect(formatCsv([{ label: 'a', text: ' x, "y"\nz' }])).toBe('label,text\na," x, ""y""\nz"\n');
  });
});
