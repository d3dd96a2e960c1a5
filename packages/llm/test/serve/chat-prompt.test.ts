// The pieces of the chat endpoint that need no model: the Alpaca prompt of a conversation, the
// stripped stream, and the prompt window a long prompt reports.
import { describe, expect, it } from 'vitest';
import { formatPrompt } from '../../src/llm/instruction.js';
import { chatPrompt, strippedStream } from '../../src/serve/routes/chat.js';
import { promptWindow } from '../../src/serve/generation.js';

describe('chatPrompt', () => {
  it("is the Alpaca prompt of the last user message's text", () => {
    const prompt = chatPrompt([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: [{ type: 'text', text: ' Convert 45 km to meters. ' }, { type: 'image_url' }],
      },
    ]);
    expect(prompt).toBe(formatPrompt({ instruction: 'Convert 45 km to meters.' }));
    expect(prompt.endsWith('\n\n### Response:\n')).toBe(true);
  });

  it('refuses a conversation without a user instruction', () => {
    expect(() => chatPrompt([{ role: 'system', content: 'x' }])).toThrow(
      'messages: no message with role user',
    );
    expect(() => chatPrompt([{ role: 'user', content: '  ' }])).toThrow('the last user message is empty');
    expect(() => chatPrompt([{ role: 'user', content: null }])).toThrow('the last user message is empty');
  });
});

describe('strippedStream', () => {
  it('adds up to the stripped text, whatever the pieces', () => {
    const pieces = ['\n', ' ', 'The', ' answer', ' ', '\n', 'is', ' 42', '.', ' ', '\n\n'];
    const sent: string[] = [];
    const push = strippedStream((t) => sent.push(t));
    pieces.forEach(push);
    expect(sent.join('')).toBe(pieces.join('').trim());
    expect(sent).toEqual(['The', ' answer', ' \nis', ' 42', '.']);
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
