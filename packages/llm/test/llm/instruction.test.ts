// Chapter 7's data: the Alpaca prompt, the book's file and split, the collate function's worked example.
import { describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import {
  customCollate,
  extractResponse,
  formatExample,
  formatInput,
  formatPrompt,
  InstructionDataset,
  loadInstructionData,
  parseInstructionData,
  splitInstructionData,
} from '../../src/llm/instruction.js';

const rows = (flat: Int32Array, width: number) =>
  Array.from({ length: flat.length / width }, (_, r) => [...flat.subarray(r * width, (r + 1) * width)]);

describe('the Alpaca prompt (section 7.2)', () => {
  it('formats the book entry 50 and entry 999 as the book prints them', () => {
    const data = loadInstructionData('data/instruction-data.json');
    expect(data.length).toBe(1100);
    expect(formatInput(data[50]) + `\n\n### Response:\n${data[50].output}`).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion' +
        "\n\n### Response:\nThe correct spelling is 'Occasion.'",
    );
    expect(formatInput(data[999])).not.toContain('### Input:');
    expect(formatExample(data[50])).toBe(formatPrompt(data[50]) + data[50].output);
  });

  it('extracts the response after the prompt', () => {
    const prompt = formatPrompt({ instruction: 'Say hi.' });
    expect(extractResponse(`${prompt}Hi there.\n`, prompt)).toBe('Hi there.');
  });
});

describe('the data file and the split', () => {
  it('splits 85/10/5 as the book: 935 train, 110 test, 55 validation, in file order', () => {
    const data = loadInstructionData('data/instruction-data.json');
    const { train, test, val } = splitInstructionData(data);
    expect([train.length, test.length, val.length]).toEqual([935, 110, 55]);
    expect(test[0]).toBe(data[935]);
    expect(val[0]).toBe(data[1045]);
  });

  it('reads JSONL and names bad records by index', () => {
    const jsonl = '{"instruction":"a","output":"b"}\n\n{"instruction":"c","input":"d","output":"e"}\n';
    expect(parseInstructionData(jsonl, 'x.jsonl').map((e) => e.input)).toEqual(['', 'd']);
    const bad = JSON.stringify([{ instruction: 'a', output: 'b' }, { instruction: 'a' }, { output: 3 }]);
    expect(() => parseInstructionData(bad, 'bad.json')).toThrow(UserError);
    expect(() => parseInstructionData(bad, 'bad.json')).toThrow(
      "bad.json: record 1: 'output' missing or not a string; record 2: 'instruction' and 'output' missing or not a string",
    );
    expect(() => parseInstructionData('{"instruction": "a"\n', 'x.jsonl')).toThrow(
      /line 1 is not valid JSON/,
    );
    expect(() => parseInstructionData('[]', 'empty.json')).toThrow('empty.json: no records');
    expect(() => loadInstructionData('no/such.json')).toThrow('cannot read no/such.json: no such file');
  });
});

describe('customCollate (section 7.3)', () => {
  const batch = [
    [0, 1, 2, 3, 4],
    [5, 6],
    [7, 8, 9],
  ];

  it("reproduces the book's padded inputs and -100-masked targets", () => {
    const b = customCollate(batch);
    expect(b.shape).toEqual([3, 5]);
    expect(rows(b.inputs, 5)).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 50256, 50256, 50256],
      [7, 8, 9, 50256, 50256],
    ]);
    expect(rows(b.targets, 5)).toEqual([
      [1, 2, 3, 4, 50256],
      [6, 50256, -100, -100, -100],
      [8, 9, 50256, -100, -100],
    ]);
  });

  it('cuts inputs and targets to allowedMaxLength', () => {
    const b = customCollate(batch, { allowedMaxLength: 3 });
    expect(b.shape).toEqual([3, 3]);
    expect(rows(b.inputs, 3)).toEqual([
      [0, 1, 2],
      [5, 6, 50256],
      [7, 8, 9],
    ]);
    expect(rows(b.targets, 3)).toEqual([
      [1, 2, 3],
      [6, 50256, -100],
      [8, 9, 50256],
    ]);
    // A limit longer than the batch changes nothing.
    expect(customCollate(batch, { allowedMaxLength: 1024 })).toEqual(customCollate(batch));
  });

  it('the dataset tokenizes each example once and batches through the collate', () => {
    const tokenizer = gpt2Tokenizer();
    const entries = [
      { instruction: 'Name a colour.', input: '', output: 'Blue.' },
      { instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
    ];
    const ds = new InstructionDataset(entries, tokenizer, { allowedMaxLength: 1024 });
    expect(ds.length).toBe(2);
    expect(ds.encoded[0]).toEqual(tokenizer.encode(formatExample(entries[0])));
    const b = ds.batch([1, 0]);
    const longest = Math.max(ds.encoded[0].length, ds.encoded[1].length);
    expect(b.shape).toEqual([2, longest]);
    expect([...b.inputs.subarray(0, longest)]).toEqual(ds.encoded[1].concat(50256).slice(0, longest));
  });
});
