// The chat templates of the three families' real tokenizer_config.json, rendered with
// @huggingface/jinja: a system message and two user turns, against the text each model card
// documents for that conversation.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setClock } from 'llm-scratch-core/clock';
import { UserError } from 'llm-scratch-core/errors';
import { loadTokenizer, type Tokenizer } from '../../../src/llm/fundamentals.js';
import {
  readChatTemplate,
  renderChatTemplate,
  stopTokenIds,
} from '../../../src/llm/tokenizer/hf/chat-template.js';
import { familyDir } from './family-suite.js';

const conversation = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'What is 2+2?' },
];
const scratch = mkdtempSync(join(tmpdir(), 'chat-template-'));
// Gemma's vocabulary is 33 MB of JSON: loaded once for the file.
let gemma: Tokenizer | undefined;
const gemmaTokenizer = () => (gemma ??= loadTokenizer(familyDir('gemma3')));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('chat templates of the released models', () => {
  it('Llama 3: BOS, header ids around each role, <|eot_id|> after each turn', () => {
    expect(renderChatTemplate(familyDir('llama3'), conversation, { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('Qwen3: ChatML turns, and an empty think block when enable_thinking is false', () => {
    const turns =
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
      '<|im_start|>user\nHi!<|im_end|>\n' +
      '<|im_start|>assistant\nHello! How can I help?<|im_end|>\n' +
      '<|im_start|>user\nWhat is 2+2?<|im_end|>\n';
    const dir = familyDir('qwen3');
    expect(renderChatTemplate(dir, conversation, { addGenerationPrompt: true })).toBe(
      turns + '<|im_start|>assistant\n',
    );
    expect(
      renderChatTemplate(dir, conversation, {
        addGenerationPrompt: true,
        variables: { enable_thinking: false },
      }),
    ).toBe(turns + '<|im_start|>assistant\n<think>\n\n</think>\n\n');
    expect(renderChatTemplate(dir, conversation)).toBe(turns);
  });

  it('Qwen3: the reasoning of an earlier assistant turn is dropped from the history', () => {
    const withThinking = [
      { role: 'user', content: 'Hi!' },
      { role: 'assistant', content: '<think>\nGreet back.\n</think>\n\nHello!' },
      { role: 'user', content: 'Bye' },
    ];
    expect(renderChatTemplate(familyDir('qwen3'), withThinking)).toBe(
      '<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n',
    );
  });

  it('Gemma 3: <bos>, the system text folded into the first user turn, "model" for the assistant', () => {
    expect(renderChatTemplate(familyDir('gemma3'), conversation, { addGenerationPrompt: true })).toBe(
      '<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHi!<end_of_turn>\n' +
        '<start_of_turn>model\nHello! How can I help?<end_of_turn>\n' +
        '<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n' +
        '<start_of_turn>model\n',
    );
  });

  it("Gemma 3: the template's raise_exception is a one-line UserError", () => {
    const bad = [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ];
    expect(() => renderChatTemplate(familyDir('gemma3'), bad)).toThrow(
      /the chat template failed: Conversation roles must alternate/,
    );
    expect(() => renderChatTemplate(familyDir('gemma3'), bad)).toThrow(UserError);
  });

  it('the rendered text encodes its special tokens to their ids (Gemma: <bos> is id 2)', () => {
    const text = renderChatTemplate(familyDir('gemma3'), conversation, { addGenerationPrompt: true });
    const ids = gemmaTokenizer().encode(text, { allowedSpecial: 'all' });
    expect(ids.slice(0, 2)).toEqual([2, 105]);
    expect(ids.filter((id) => id === 106)).toHaveLength(3);
  });
});

describe('chat template files', () => {
  it('chat_template.jinja wins over tokenizer_config.json, and strftime_now reads the project clock', () => {
    const dir = mkdtempSync(join(scratch, 'jinja-'));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: 'config', bos_token: { content: '<s>' } }),
    );
    writeFileSync(
      join(dir, 'chat_template.jinja'),
      "{{ bos_token }}{{ strftime_now('%d %b %Y') }}:{{ messages[0].content }}",
    );
    const restore = setClock(new Date('2026-07-04T12:00:00Z'));
    try {
      expect(readChatTemplate(dir)!.render([{ role: 'user', content: 'x' }])).toBe('<s>04 Jul 2026:x');
    } finally {
      restore();
    }
  });

  it('a directory without a template, and a template that does not parse, are one-line errors', () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    expect(() => renderChatTemplate(empty, conversation)).toThrow(`${empty}: no chat template`);
    const broken = mkdtempSync(join(scratch, 'broken-'));
    writeFileSync(join(broken, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{% if %}' }));
    expect(() => readChatTemplate(broken)).toThrow(/tokenizer_config.json: the chat template does not parse/);
  });
});

describe('the ids that end a turn', () => {
  it("tokenizer_config.json's eos_token, then generation_config.json's eos_token_id list", () => {
    const dir = mkdtempSync(join(scratch, 'llama-'));
    copyFileSync(join(familyDir('llama3'), 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
    // As Llama-3.2-1B-Instruct's generation_config.json lists them.
    writeFileSync(
      join(dir, 'generation_config.json'),
      JSON.stringify({ eos_token_id: [128001, 128008, 128009] }),
    );
    const ids = new Map([['<|end_of_text|>', 128001]]);
    expect(stopTokenIds(dir, (t) => ids.get(t))).toEqual([128001, 128008, 128009]);
  });

  it('Qwen3 and Gemma 3 end a turn with <|im_end|> and <end_of_turn>', () => {
    for (const [family, id] of [
      ['qwen3', 151645],
      ['gemma3', 106],
    ] as const) {
      const tokenizer = family === 'gemma3' ? gemmaTokenizer() : loadTokenizer(familyDir(family));
      expect(stopTokenIds(familyDir(family), (t) => tokenizer.specialTokens.get(t))).toEqual([id]);
    }
  });
});
