// The pieces of the OpenAI endpoints that need no model: the Alpaca prompt of a conversation, the
// stripped stream, stop sequences over pieces of text, log-probabilities, and the prompt window a
// long prompt reports.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPrompt, PREAMBLE } from '../../src/llm/instruction.js';
import { promptWindow } from '../../src/serve/generation.js';
import { alpacaPrompt } from '../../src/serve/openai/chat-prompt.js';
import { tokenLogprobs } from '../../src/serve/openai/logprobs.js';
import { StopScanner } from '../../src/serve/openai/stops.js';
import { stripper } from '../../src/serve/routes/chat.js';

describe('alpacaPrompt', () => {
  it("is the book's prompt for one user message", () => {
    const prompt = alpacaPrompt([
      {
        role: 'user',
        content: [{ type: 'text', text: ' Convert 45 km to meters. ' }, { type: 'image_url' }],
      },
    ]);
    expect(prompt).toBe(formatPrompt({ instruction: 'Convert 45 km to meters.' }));
  });

  it('puts the system message in place of the preamble and keeps every turn', () => {
    const prompt = alpacaPrompt([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'second' },
      { role: 'tool', content: '42' },
    ]);
    expect(prompt).toBe(
      'Be brief.\n\n### Instruction:\nfirst\n\n### Response:\nok\n\n### Instruction:\nsecond' +
        '\n\n### Input:\n42\n\n### Response:\n',
    );
    expect(prompt).not.toContain(PREAMBLE);
  });

  it('lets the model continue a last assistant message', () => {
    expect(
      alpacaPrompt([
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'The' },
      ]),
    ).toBe(`${PREAMBLE}\n\n### Instruction:\nx\n\n### Response:\nThe`);
  });

  it('refuses a conversation without a user instruction', () => {
    expect(() => alpacaPrompt([{ role: 'system', content: 'x' }])).toThrow(
      'messages: no message with role user',
    );
    expect(() => alpacaPrompt([{ role: 'user', content: '  ' }])).toThrow('the last user message is empty');
    expect(() => alpacaPrompt([{ role: 'user', content: null }])).toThrow('the last user message is empty');
  });
});

describe('stripper', () => {
  it('adds up to the stripped text, whatever the pieces', () => {
    const pieces = ['\n', ' ', 'The', ' answer', ' ', '\n', 'is', ' 42', '.', ' ', '\n\n'];
    const strip = stripper();
    const sent = pieces.map(strip).filter(Boolean);
    expect(sent.join('')).toBe(pieces.join('').trim());
    expect(sent).toEqual(['The', ' answer', ' \nis', ' 42', '.']);
  });
});

// Cuts `text` into pieces at the given points and runs them through a scanner.
function scan(text: string, cuts: number[], stops: string[]) {
  const released: string[] = [];
  const scanner = new StopScanner(stops, (piece) => released.push(piece));
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let stopped = false;
  for (const to of [...at, text.length]) {
    if (scanner.push(text.slice(from, to))) {
      stopped = true;
      break;
    }
    from = to;
  }
  if (!stopped) scanner.flush();
  return { released, value: scanner.value, stopped };
}

describe('StopScanner', () => {
  it('ends the text before a stop sequence that spans pieces, and never releases its start', () => {
    const { released, value, stopped } = scan('Hello, world. Bye', [3, 8, 11, 12], ['d. B', 'xyz']);
    expect(stopped).toBe(true);
    expect(value).toBe('Hello, worl');
    expect(released.join('')).toBe('Hello, worl');
  });

  it('releases, over any cutting of the text, exactly the text before the first stop sequence', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', ' ');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
        fc.array(word, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, stops, cuts) => {
          const first = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0), Infinity);
          const expected = Number.isFinite(first) ? text.slice(0, first) : text;
          const { released, value } = scan(text, cuts, stops);
          expect(value).toBe(expected);
          expect(released.join('')).toBe(expected);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('tokenLogprobs', () => {
  it('is the log-softmax of the logits, with the most likely tokens first', () => {
    const logits = Float32Array.from([0.5, 2, -1, 2.5, 0]);
    const logZ = Math.log([...logits].reduce((s, l) => s + Math.exp(l), 0));
    const r = tokenLogprobs(logits, 1, 3);
    expect(r.logprob).toBeCloseTo(2 - logZ, 12);
    expect(r.top.map((t) => t.id)).toEqual([3, 1, 0]);
    expect(r.top[0].logprob).toBeCloseTo(2.5 - logZ, 12);
    expect(tokenLogprobs(logits, 2, 0).top).toEqual([]);
  });
});

describe('promptWindow', () => {
  it('says how much of a long prompt generation crops', () => {
    expect(promptWindow(10, 32)).toEqual({ tokens: 10, contextLength: 32, cropped: false, droppedTokens: 0 });
    expect(promptWindow(40, 32)).toEqual({
      tokens: 40,
      contextLength: 32,
      cropped: true,
      droppedTokens: 8,
      warning: "the prompt has 40 tokens, more than the model's context of 32: its first 8 were cropped",
    });
  });
});
