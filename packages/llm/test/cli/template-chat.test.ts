// `chat` on a model directory that carries a chat template: the conversation is rendered by the
// template each turn, encoded by the directory's own tokenizer (GPT-2's files as the hub ships them,
// beside the tiny GPT-2 fixture model), and each reply stops at the template's end-of-turn token.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/llm/families/gpt2.js';
import { generate } from '../../src/llm/generate.js';
import { TemplateChat } from '../../src/llm/instruct/template-chat.js';
import { dataPath } from '../../src/paths.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'template-chat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEMPLATE =
  '{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}{% endfor %}' +
  '{% if add_generation_prompt %}assistant:{% endif %}';

function modelWithTemplate(): string {
  const model = writeFixtureModel(join(dir, 'model'));
  copyFileSync(dataPath('gpt2', 'encoder.json'), join(model, 'vocab.json'));
  copyFileSync(dataPath('gpt2', 'vocab.bpe'), join(model, 'merges.txt'));
  writeFileSync(
    join(model, 'tokenizer_config.json'),
    JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|endoftext|>' }),
  );
  return model;
}

describe('chat with a chat template', () => {
  const model = modelWithTemplate();

  it('renders the whole conversation each turn and remembers the replies', () => {
    const gpt = loadModelDir(model).eval();
    const chat = TemplateChat.fromDirectory(model)!;
    expect(chat.stopIds).toEqual([50256]);
    const first = chat.reply(gpt, 'Hi', { maxNewTokens: 3 });
    const prompt = chat.tokenizer.encode(`user: Hi<|endoftext|>assistant:`, { allowedSpecial: 'all' });
    const expected = generate(gpt, prompt, { maxNewTokens: 3, eosId: 50256 }).filter((id) => id !== 50256);
    expect(first).toBe(chat.tokenizer.decode(expected));
    chat.reply(gpt, 'And you?', { maxNewTokens: 3 });
    expect(chat.history.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(chat.tokenizer.decode(chat.promptIds())).toBe(
      `user: Hi<|endoftext|>assistant: ${first}<|endoftext|>` +
        `user: And you?<|endoftext|>assistant: ${chat.history[3].content}<|endoftext|>assistant:`,
    );
  });

  it('the chat command answers through the template, without the Alpaca header', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/llm-scratch.ts'),
        'chat',
        '--model',
        model,
        '--max-new-tokens',
        '3',
      ],
      { input: 'Hi\nAnd you?\n/quit\n', encoding: 'utf8', cwd: root },
    );
    expect(r.status).toBe(0);
    const gpt = loadModelDir(model).eval();
    const chat = TemplateChat.fromDirectory(model)!;
    const answers = ['Hi', 'And you?'].map((line) => chat.reply(gpt, line, { maxNewTokens: 3 }));
    expect(r.stdout).toBe(answers.map((a) => `${a}\n\n`).join(''));
    expect(r.stdout).not.toContain('### Response:');
  });
});
